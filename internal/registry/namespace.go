package registry

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	storeerr "k8s.io/apiserver/pkg/storage/errors"
)

// decorateNamespaces gives namespaces kube-apiserver's two-phase deletion: a
// delete marks the namespace Terminating, the namespace controller empties
// it and removes the "kubernetes" finalizer through /finalize, and the
// namespace goes once no finalizer is left.
func decorateNamespaces(s *Store, paths map[string]rest.Storage) {
	paths["namespaces"] = &NamespaceREST{Store: s}
	paths["namespaces/finalize"] = &FinalizeREST{store: s}
}

// NamespaceREST is the namespaces storage with finalizer-aware deletion.
type NamespaceREST struct {
	*Store
}

// Delete marks the namespace Terminating, or removes it when nothing
// holds it any more.
func (n *NamespaceREST) Delete(ctx context.Context, name string, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions) (runtime.Object, bool, error) {
	obj, err := n.Store.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, false, err
	}
	ns := obj.(*corev1.Namespace)
	if options == nil {
		options = metav1.NewDeleteOptions(0)
	}
	if options.Preconditions != nil && options.Preconditions.UID != nil && *options.Preconditions.UID != ns.UID {
		return nil, false, apierrors.NewConflict(corev1.Resource("namespaces"), name,
			fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", *options.Preconditions.UID, ns.UID))
	}
	if deleteValidation != nil {
		if err := deleteValidation(ctx, ns); err != nil {
			return nil, false, err
		}
	}
	if len(ns.Spec.Finalizers) == 0 && len(ns.Finalizers) == 0 {
		return n.Store.Delete(ctx, name, deleteValidation, options)
	}
	if ns.DeletionTimestamp != nil {
		return ns, false, nil
	}
	// Mark it Terminating straight in storage: the update strategy would
	// refuse a new deletionTimestamp, which only deletion may set.
	key, err := n.Store.KeyFunc(ctx, name)
	if err != nil {
		return nil, false, err
	}
	out := &corev1.Namespace{}
	err = n.Store.Storage.GuaranteedUpdate(ctx, key, out, false, &storage.Preconditions{UID: &ns.UID},
		func(existing runtime.Object, _ storage.ResponseMeta) (runtime.Object, *uint64, error) {
			cur := existing.(*corev1.Namespace)
			if cur.DeletionTimestamp != nil {
				return cur, nil, nil
			}
			next := cur.DeepCopy()
			now := metav1.Now()
			zero := int64(0)
			next.DeletionTimestamp = &now
			next.DeletionGracePeriodSeconds = &zero
			next.Status.Phase = corev1.NamespaceTerminating
			return next, nil, nil
		}, false, nil)
	if err != nil {
		return nil, false, storeerr.InterpretUpdateError(err, corev1.Resource("namespaces"), name)
	}
	return out, false, nil
}

// FinalizeREST serves namespaces/finalize, which alone may change
// spec.finalizers.
type FinalizeREST struct {
	store *Store
}

var _ rest.Updater = (*FinalizeREST)(nil)

// New returns an empty Namespace.
func (f *FinalizeREST) New() runtime.Object { return &corev1.Namespace{} }

// Destroy is a no-op: the main store owns the storage.
func (f *FinalizeREST) Destroy() {}

// Update sets spec.finalizers from the sent object; a terminating namespace
// left with no finalizer is then deleted.
func (f *FinalizeREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, _ rest.ValidateObjectFunc, _ rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	var finalizers []corev1.FinalizerName
	info := rest.DefaultUpdatedObjectInfo(nil, func(ctx context.Context, _, old runtime.Object) (runtime.Object, error) {
		sent, err := objInfo.UpdatedObject(ctx, old)
		if err != nil {
			return nil, err
		}
		next := old.DeepCopyObject().(*corev1.Namespace)
		next.Spec.Finalizers = sent.(*corev1.Namespace).Spec.Finalizers
		finalizers = next.Spec.Finalizers
		return next, nil
	})
	// Bypass the main strategy, which pins spec.finalizers.
	store := *f.store.Store
	store.UpdateStrategy = finalizeStrategy{f.store.UpdateStrategy}
	out, _, err := store.Update(ctx, name, info, nil, nil, false, options)
	if err != nil {
		return nil, false, err
	}
	ns := out.(*corev1.Namespace)
	if ns.DeletionTimestamp != nil && len(finalizers) == 0 && len(ns.Finalizers) == 0 {
		if _, _, err := f.store.Store.Delete(ctx, name, nil, metav1.NewDeleteOptions(0)); err != nil && !apierrors.IsNotFound(err) {
			return nil, false, err
		}
	}
	return ns, false, nil
}

type finalizeStrategy struct {
	rest.RESTUpdateStrategy
}

func (finalizeStrategy) PrepareForUpdate(context.Context, runtime.Object, runtime.Object) {}
