package garbagecollector

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// ownerState is what a dependent's reference finds.
type ownerState int

const (
	// ownerPresent: the owner exists and is not waiting for its dependents
	// (or its kind cannot be resolved, which counts as present: an
	// unresolvable reference never makes an object garbage).
	ownerPresent ownerState = iota
	// ownerAbsent: no object with that name and UID exists.
	ownerAbsent
	// ownerWaiting: the owner is being deleted in the foreground and waits
	// for its dependents.
	ownerWaiting
	// ownerUnknown: not in the caches; only a live read can tell.
	ownerUnknown
)

// absentCacheLimit bounds the remembered absent owners.
const absentCacheLimit = 10000

// dependent is a cached object that references some owner.
type dependent struct {
	item
	meta *metav1.PartialObjectMetadata
}

// dependents returns the cached objects referencing uid, once each even
// when a resource is served under two groups (extensions and apps).
func (c *Controller) dependents(uid types.UID) []dependent {
	c.mu.RLock()
	defer c.mu.RUnlock()
	seen := map[types.UID]bool{}
	var out []dependent
	for gvr, inf := range c.monitors {
		objs, err := inf.GetIndexer().ByIndex(ownerIndex, string(uid))
		if err != nil {
			continue
		}
		for _, o := range objs {
			m := asMeta(o)
			if m == nil || seen[m.UID] {
				continue
			}
			seen[m.UID] = true
			out = append(out, dependent{item: itemOf(gvr, m), meta: m})
		}
	}
	return out
}

// cached returns the cached object, or nil.
func (c *Controller) cached(gvr schema.GroupVersionResource, namespace, name string) *metav1.PartialObjectMetadata {
	c.mu.RLock()
	inf, ok := c.monitors[gvr]
	c.mu.RUnlock()
	if !ok {
		return nil
	}
	key := name
	if namespace != "" {
		key = namespace + "/" + name
	}
	obj, exists, err := inf.GetIndexer().GetByKey(key)
	if err != nil || !exists {
		return nil
	}
	return asMeta(obj)
}

// resolve maps a reference from an object in namespace to the owner's
// resource and namespace. It fails for kinds not served and for a
// namespaced owner of a cluster-scoped object.
func (c *Controller) resolve(namespace string, ref metav1.OwnerReference) (Resource, string, bool) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return Resource{}, "", false
	}
	c.mu.RLock()
	res, ok := c.kinds[schema.GroupKind{Group: gv.Group, Kind: ref.Kind}]
	c.mu.RUnlock()
	if !ok {
		return Resource{}, "", false
	}
	if !res.Namespaced {
		return res, "", true
	}
	if namespace == "" {
		return Resource{}, "", false
	}
	return res, namespace, true
}

func stateOf(owner *metav1.PartialObjectMetadata) ownerState {
	if owner.DeletionTimestamp != nil && hasFinalizer(owner, metav1.FinalizerDeleteDependents) {
		return ownerWaiting
	}
	return ownerPresent
}

// cachedOwnerState answers from the caches alone.
func (c *Controller) cachedOwnerState(namespace string, ref metav1.OwnerReference) ownerState {
	res, ns, ok := c.resolve(namespace, ref)
	if !ok {
		return ownerPresent
	}
	if c.isAbsent(ref.UID) {
		return ownerAbsent
	}
	if owner := c.cached(res.GVR, ns, ref.Name); owner != nil && owner.UID == ref.UID {
		return stateOf(owner)
	}
	return ownerUnknown
}

// ownerState answers from the caches, or else from the API server: an
// owner is only absent once a live read confirms it.
func (c *Controller) ownerState(ctx context.Context, namespace string, ref metav1.OwnerReference) (ownerState, error) {
	st := c.cachedOwnerState(namespace, ref)
	if st != ownerUnknown {
		return st, nil
	}
	res, ns, _ := c.resolve(namespace, ref)
	live, err := c.md.Resource(res.GVR).Namespace(ns).Get(ctx, ref.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		c.markAbsent(ref.UID)
		return ownerAbsent, nil
	case err != nil:
		return ownerUnknown, err
	case live.UID != ref.UID:
		c.markAbsent(ref.UID)
		return ownerAbsent, nil
	}
	return stateOf(live), nil
}

func (c *Controller) isAbsent(uid types.UID) bool {
	c.absentMu.Lock()
	defer c.absentMu.Unlock()
	_, ok := c.absent[uid]
	return ok
}

func (c *Controller) markAbsent(uid types.UID) {
	c.absentMu.Lock()
	defer c.absentMu.Unlock()
	if len(c.absent) >= absentCacheLimit {
		c.absent = map[types.UID]struct{}{}
	}
	c.absent[uid] = struct{}{}
}
