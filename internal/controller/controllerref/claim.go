package controllerref

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Claimer claims objects for one owner. It is used for one sync and then
// dropped: the fresh read of the owner happens at most once.
type Claimer struct {
	// Owner is the controller (a ReplicaSet, a Deployment) and Kind its
	// group version kind, written into the ownerReference.
	Owner metav1.Object
	Kind  schema.GroupVersionKind
	// Selector picks the objects the owner wants.
	Selector labels.Selector
	// Fresh reads the owner from the API server, not from a cache. It is
	// called before the first adoption so that an owner deleted since the
	// cache was read adopts nothing.
	Fresh func(ctx context.Context) (metav1.Object, error)
	// Patch applies a strategic merge patch to the named object in the
	// owner's namespace.
	Patch func(ctx context.Context, name string, data []byte) error

	once     sync.Once
	freshErr error
}

// Claim returns the objects of objs the owner owns after adopting the
// matching orphans and releasing the owned ones that stopped matching.
// Objects owned by another controller are left alone. An object that
// disappeared while being adopted or released is skipped; any other error
// is returned after the rest have been processed.
func Claim[T metav1.Object](ctx context.Context, c *Claimer, objs []T) ([]T, error) {
	var claimed []T
	var errs []error
	for _, obj := range objs {
		ok, err := c.claim(ctx, obj)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			claimed = append(claimed, obj)
		}
	}
	if len(errs) > 0 {
		return claimed, fmt.Errorf("claim for %s/%s: %w", c.Owner.GetNamespace(), c.Owner.GetName(), errors.Join(errs...))
	}
	return claimed, nil
}

func (c *Claimer) matches(obj metav1.Object) bool {
	// An empty selector would claim every object in the namespace; the API
	// rejects it, and a controller must not act on it either.
	return !c.Selector.Empty() && c.Selector.Matches(labels.Set(obj.GetLabels()))
}

func (c *Claimer) claim(ctx context.Context, obj metav1.Object) (bool, error) {
	if ref := metav1.GetControllerOfNoCopy(obj); ref != nil {
		if ref.UID != c.Owner.GetUID() {
			return false, nil
		}
		if c.matches(obj) {
			return true, nil
		}
		// Ours but no longer selected: release it, unless the owner is going
		// away (the garbage collector then handles the dependents).
		if c.Owner.GetDeletionTimestamp() != nil {
			return false, nil
		}
		return false, c.release(ctx, obj)
	}
	if c.Owner.GetDeletionTimestamp() != nil || obj.GetDeletionTimestamp() != nil || !c.matches(obj) {
		return false, nil
	}
	if c.Owner.GetNamespace() != obj.GetNamespace() {
		return false, nil
	}
	if err := c.adopt(ctx, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// recheck makes sure, once, that the owner still exists with the same UID
// and is not being deleted.
func (c *Claimer) recheck(ctx context.Context) error {
	c.once.Do(func() {
		fresh, err := c.Fresh(ctx)
		switch {
		case err != nil:
			c.freshErr = err
		case fresh.GetUID() != c.Owner.GetUID():
			c.freshErr = fmt.Errorf("original %s %s/%s is gone: got uid %s, wanted %s",
				c.Kind.Kind, c.Owner.GetNamespace(), c.Owner.GetName(), fresh.GetUID(), c.Owner.GetUID())
		case fresh.GetDeletionTimestamp() != nil:
			c.freshErr = fmt.Errorf("%s %s/%s has just been deleted at %s",
				c.Kind.Kind, c.Owner.GetNamespace(), c.Owner.GetName(), fresh.GetDeletionTimestamp())
		}
	})
	return c.freshErr
}

func (c *Claimer) adopt(ctx context.Context, obj metav1.Object) error {
	if err := c.recheck(ctx); err != nil {
		return err
	}
	ref := metav1.NewControllerRef(c.Owner, c.Kind)
	patch, err := ownerRefPatch(obj.GetUID(), *ref)
	if err != nil {
		return err
	}
	return c.Patch(ctx, obj.GetName(), patch)
}

func (c *Claimer) release(ctx context.Context, obj metav1.Object) error {
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{
			"ownerReferences": []map[string]any{{"$patch": "delete", "uid": c.Owner.GetUID()}},
			"uid":             obj.GetUID(),
		},
	})
	if err != nil {
		return err
	}
	err = c.Patch(ctx, obj.GetName(), patch)
	// NotFound: the object is gone. Invalid: it was recreated under the same
	// name (the UID in the patch no longer matches) or has no such
	// reference any more. Nothing is left to release in either case.
	if apierrors.IsNotFound(err) || apierrors.IsInvalid(err) {
		return nil
	}
	return err
}

// ownerRefPatch adds ref to the ownerReferences of the object with uid.
func ownerRefPatch(uid types.UID, ref metav1.OwnerReference) ([]byte, error) {
	return json.Marshal(map[string]any{
		"metadata": map[string]any{
			"ownerReferences": []metav1.OwnerReference{ref},
			"uid":             uid,
		},
	})
}
