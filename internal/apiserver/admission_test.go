package apiserver

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
)

type nsGetter map[string]*corev1.Namespace

func (g nsGetter) Get(_ context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	if ns, ok := g[name]; ok {
		return ns, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("namespaces"), name)
}

func TestNamespaceLifecycleTerminatingCause(t *testing.T) {
	l := &namespaceLifecycle{namespaces: nsGetter{
		"gone": {ObjectMeta: metav1.ObjectMeta{Name: "gone"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}},
		"live": {ObjectMeta: metav1.ObjectMeta{Name: "live"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}},
	}}
	attrs := func(ns string) admission.Attributes {
		return admission.NewAttributesRecord(&corev1.Endpoints{}, nil, corev1.SchemeGroupVersion.WithKind("Endpoints"),
			ns, "web", corev1.Resource("endpoints").WithVersion("v1"), "", admission.Create, nil, false, nil)
	}
	err := l.Validate(context.Background(), attrs("gone"), nil)
	if !apierrors.IsForbidden(err) || !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		t.Errorf("create in a terminating namespace: %v (causes %+v)", err, err)
	}
	if err := l.Validate(context.Background(), attrs("live"), nil); err != nil {
		t.Errorf("create in an active namespace: %v", err)
	}
}
