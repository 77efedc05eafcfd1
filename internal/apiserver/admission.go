package apiserver

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// immortalNamespaces may not be deleted, as in kube-apiserver.
var immortalNamespaces = sets.New(metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic)

// namespaceLifecycle refuses content in a namespace that does not exist or
// is being deleted, and the deletion of the system namespaces: kube's
// NamespaceLifecycle admission plugin.
type namespaceLifecycle struct {
	namespaces rest.Getter
}

var _ admission.ValidationInterface = (*namespaceLifecycle)(nil)

func (l *namespaceLifecycle) Handles(op admission.Operation) bool {
	return op == admission.Create || op == admission.Delete
}

func (l *namespaceLifecycle) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	isNamespace := a.GetKind().GroupKind() == corev1.SchemeGroupVersion.WithKind("Namespace").GroupKind() && a.GetSubresource() == ""
	if a.GetOperation() == admission.Delete {
		if isNamespace && immortalNamespaces.Has(a.GetName()) {
			return apierrors.NewForbidden(a.GetResource().GroupResource(), a.GetName(), fmt.Errorf("this namespace may not be deleted"))
		}
		return nil
	}
	if a.GetNamespace() == "" || isNamespace {
		return nil
	}
	// Look the namespace up outside the request's own namespace.
	nsCtx := genericapirequest.WithNamespace(ctx, "")
	obj, err := l.namespaces.Get(nsCtx, a.GetNamespace(), &metav1.GetOptions{ResourceVersion: "0"})
	if apierrors.IsNotFound(err) {
		// The cache may lag behind a namespace created a moment ago.
		obj, err = l.namespaces.Get(nsCtx, a.GetNamespace(), &metav1.GetOptions{})
	}
	if err != nil {
		if apierrors.IsNotFound(err) {
			return apierrors.NewNotFound(corev1.Resource("namespaces"), a.GetNamespace())
		}
		return apierrors.NewInternalError(err)
	}
	ns := obj.(*corev1.Namespace)
	if ns.Status.Phase == corev1.NamespaceTerminating && a.GetSubresource() == "" {
		err := apierrors.NewForbidden(a.GetResource().GroupResource(), a.GetName(),
			fmt.Errorf("unable to create new content in namespace %s because it is being terminated", a.GetNamespace()))
		// As kube-apiserver: the cause tells controllers (the ReplicaSet
		// controller) to stop creating rather than retry.
		err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{
			Type:    corev1.NamespaceTerminatingCause,
			Message: fmt.Sprintf("namespace %s is being terminated", a.GetNamespace()),
			Field:   "metadata.namespace",
		})
		return err
	}
	return nil
}
