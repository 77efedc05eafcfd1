package garbagecollector

import (
	"context"
	"encoding/json"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
)

// process handles one queued object, read live.
func (c *Controller) process(ctx context.Context, it item) error {
	obj, err := c.md.Resource(it.gvr).Namespace(it.namespace).Get(ctx, it.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if obj.UID != it.uid {
		return nil
	}
	if obj.DeletionTimestamp != nil {
		switch {
		case hasFinalizer(obj, metav1.FinalizerOrphanDependents):
			return c.orphanDependents(ctx, it, obj)
		case hasFinalizer(obj, metav1.FinalizerDeleteDependents):
			return c.deleteDependents(ctx, it, obj)
		}
		// Being deleted, by someone else's terms.
		return nil
	}
	return c.attemptToDelete(ctx, it, obj)
}

// attemptToDelete deletes obj when none of its owners is alive, or drops
// its references to the owners that are gone.
func (c *Controller) attemptToDelete(ctx context.Context, it item, obj *metav1.PartialObjectMetadata) error {
	if len(obj.OwnerReferences) == 0 {
		return nil
	}
	var solid, dangling, waiting []types.UID
	for _, ref := range obj.OwnerReferences {
		st, err := c.ownerState(ctx, obj.Namespace, ref)
		if err != nil {
			return err
		}
		switch st {
		case ownerAbsent:
			dangling = append(dangling, ref.UID)
		case ownerWaiting:
			waiting = append(waiting, ref.UID)
		default:
			solid = append(solid, ref.UID)
		}
	}
	switch {
	case len(solid) > 0:
		if len(dangling)+len(waiting) == 0 {
			return nil
		}
		// A live owner keeps the object; the gone and going ones let go.
		drop := append(dangling, waiting...)
		c.log.Debug("removing owner references", "resource", it.gvr.Resource, "namespace", it.namespace, "name", it.name)
		_, err := c.patchOwnerRefs(ctx, it, func(refs []metav1.OwnerReference) []metav1.OwnerReference {
			return slices.DeleteFunc(refs, func(r metav1.OwnerReference) bool { return slices.Contains(drop, r.UID) })
		})
		return err
	case len(waiting) > 0 && len(c.dependents(obj.UID)) > 0:
		// An owner waits in the foreground, and obj has dependents of its
		// own: delete it in the foreground too, so the owner waits for the
		// whole chain. If a dependent waits on obj in turn, there is a
		// cycle; unblock obj's references so the owner does not wait
		// forever.
		for _, dep := range c.dependents(obj.UID) {
			if dep.meta.DeletionTimestamp != nil && hasFinalizer(dep.meta, metav1.FinalizerDeleteDependents) {
				if _, err := c.patchOwnerRefs(ctx, it, func(refs []metav1.OwnerReference) []metav1.OwnerReference {
					for i := range refs {
						if slices.Contains(waiting, refs[i].UID) {
							refs[i].BlockOwnerDeletion = new(bool)
						}
					}
					return refs
				}); err != nil {
					return err
				}
				break
			}
		}
		return c.delete(ctx, it, metav1.DeletePropagationForeground)
	default:
		policy := metav1.DeletePropagationBackground
		switch {
		case hasFinalizer(obj, metav1.FinalizerOrphanDependents):
			policy = metav1.DeletePropagationOrphan
		case hasFinalizer(obj, metav1.FinalizerDeleteDependents):
			policy = metav1.DeletePropagationForeground
		}
		return c.delete(ctx, it, policy)
	}
}

// orphanDependents removes the owner's references from its dependents,
// then the orphan finalizer, letting the API server delete it.
func (c *Controller) orphanDependents(ctx context.Context, it item, owner *metav1.PartialObjectMetadata) error {
	for _, dep := range c.dependents(owner.UID) {
		if _, err := c.patchOwnerRefs(ctx, dep.item, func(refs []metav1.OwnerReference) []metav1.OwnerReference {
			return slices.DeleteFunc(refs, func(r metav1.OwnerReference) bool { return r.UID == owner.UID })
		}); err != nil {
			return err
		}
	}
	removed, err := c.removeFinalizer(ctx, it, metav1.FinalizerOrphanDependents)
	if removed {
		c.log.Info("orphaned dependents", "resource", it.gvr.Resource, "namespace", it.namespace, "name", it.name)
	}
	return err
}

// deleteDependents has the dependents of an owner deleted in the
// foreground collected (through their own processing, which finds the owner
// waiting), and removes the foregroundDeletion finalizer once none that
// blocks owner deletion is left.
func (c *Controller) deleteDependents(ctx context.Context, it item, owner *metav1.PartialObjectMetadata) error {
	blocking := 0
	for _, dep := range c.dependents(owner.UID) {
		for _, ref := range dep.meta.OwnerReferences {
			if ref.UID == owner.UID && boolOf(ref.BlockOwnerDeletion) {
				blocking++
			}
		}
		if dep.meta.DeletionTimestamp == nil {
			c.queue.Add(dep.item)
		}
	}
	if blocking > 0 {
		// The dependents' deletion events bring the owner back.
		return nil
	}
	removed, err := c.removeFinalizer(ctx, it, metav1.FinalizerDeleteDependents)
	if removed {
		c.log.Info("deleted dependents in the foreground", "resource", it.gvr.Resource, "namespace", it.namespace, "name", it.name)
	}
	return err
}

// delete deletes the object it names, if it is still that object.
func (c *Controller) delete(ctx context.Context, it item, policy metav1.DeletionPropagation) error {
	uid := it.uid
	err := c.md.Resource(it.gvr).Namespace(it.namespace).Delete(ctx, it.name, metav1.DeleteOptions{
		Preconditions:     &metav1.Preconditions{UID: &uid},
		PropagationPolicy: &policy,
	})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	if err == nil {
		c.log.Debug("deleted garbage", "resource", it.gvr.Resource, "namespace", it.namespace, "name", it.name, "propagation", string(policy))
	}
	return err
}

// patchOwnerRefs rewrites the object's owner references with edit, through
// a JSON merge patch that carries the resourceVersion it read, retrying on
// conflicts. An object that is gone or replaced is left alone. It reports
// whether it patched.
func (c *Controller) patchOwnerRefs(ctx context.Context, it item, edit func([]metav1.OwnerReference) []metav1.OwnerReference) (bool, error) {
	return c.patchMeta(ctx, it, func(m *metav1.PartialObjectMetadata) (map[string]any, bool) {
		before := slices.Clone(m.OwnerReferences)
		after := edit(slices.Clone(m.OwnerReferences))
		if slices.EqualFunc(before, after, sameRef) {
			return nil, false
		}
		if after == nil {
			after = []metav1.OwnerReference{}
		}
		return map[string]any{"ownerReferences": after}, true
	})
}

// removeFinalizer removes one finalizer from the object; it reports whether
// it did.
func (c *Controller) removeFinalizer(ctx context.Context, it item, finalizer string) (bool, error) {
	return c.patchMeta(ctx, it, func(m *metav1.PartialObjectMetadata) (map[string]any, bool) {
		if !hasFinalizer(m, finalizer) {
			return nil, false
		}
		kept := slices.DeleteFunc(slices.Clone(m.Finalizers), func(f string) bool { return f == finalizer })
		if kept == nil {
			kept = []string{}
		}
		return map[string]any{"finalizers": kept}, true
	})
}

// patchMeta reads the object's metadata live, asks change for the fields to
// set, and patches them with the read resourceVersion as precondition. It
// reports whether it patched.
func (c *Controller) patchMeta(ctx context.Context, it item, change func(*metav1.PartialObjectMetadata) (map[string]any, bool)) (bool, error) {
	client := c.md.Resource(it.gvr).Namespace(it.namespace)
	patched := false
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		patched = false
		cur, err := client.Get(ctx, it.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.UID != it.uid {
			return nil
		}
		fields, ok := change(cur)
		if !ok {
			return nil
		}
		fields["resourceVersion"] = cur.ResourceVersion
		fields["uid"] = cur.UID
		data, err := json.Marshal(map[string]any{"metadata": fields})
		if err != nil {
			return err
		}
		_, err = client.Patch(ctx, it.name, types.MergePatchType, data, metav1.PatchOptions{})
		patched = err == nil
		return err
	})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return patched, err
}
