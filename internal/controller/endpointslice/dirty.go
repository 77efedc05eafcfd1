package endpointslice

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
)

// A sync reads only the pods that changed since the Service's previous
// sync, when it can: pod events name them. dirtyPods collects those names
// per Service; a sync that cannot use them (first sync, Service or node
// zones changed, too many changes) lists all pods instead, starting the
// collection anew just before it lists, so that no change falls between.

// dirtyPods holds, per Service key, the names of the pods that had an
// event since the key's last sync took them. Only keys being watched (see
// watch) collect names.
type dirtyPods struct {
	mu    sync.Mutex
	byKey map[string]map[string]struct{}
}

func newDirtyPods() *dirtyPods {
	return &dirtyPods{byKey: map[string]map[string]struct{}{}}
}

// watch starts collecting for key afresh.
func (d *dirtyPods) watch(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.byKey[key] = map[string]struct{}{}
}

// mark records an event of pod for key, if key is watched.
func (d *dirtyPods) mark(key, pod string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if set, ok := d.byKey[key]; ok {
		set[pod] = struct{}{}
	}
}

// take returns the names collected for key and empties its set; ok is
// false when key is not watched.
func (d *dirtyPods) take(key string) (names []string, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	set, ok := d.byKey[key]
	if !ok {
		return nil, false
	}
	for n := range set {
		names = append(names, n)
	}
	clear(set)
	return names, true
}

// forget stops collecting for key.
func (d *dirtyPods) forget(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.byKey, key)
}

// markPod records a pod event (old or cur nil for an add or a delete) for
// every Service whose selector matches the pod's labels before or after
// it. Unlike the enqueueing, it does not skip changes kube deems
// irrelevant: a scan keeps the pod objects it read, and must not keep an
// outdated one.
func (c *Controller) markPod(old, cur any) {
	var ns, name string
	var sets [2]labels.Set
	for i, obj := range []any{old, cur} {
		if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		if p, ok := obj.(*corev1.Pod); ok && p != nil {
			ns, name, sets[i] = p.Namespace, p.Name, labels.Set(p.Labels)
		}
	}
	if name == "" {
		return
	}
	svcs, err := c.services.Services(ns).List(labels.Everything())
	if err != nil {
		return
	}
	for _, svc := range svcs {
		if len(svc.Spec.Selector) == 0 {
			continue
		}
		sel := labels.Set(svc.Spec.Selector).AsSelectorPreValidated()
		if (sets[0] != nil && sel.Matches(sets[0])) || (sets[1] != nil && sel.Matches(sets[1])) {
			c.dirty.mark(ns+"/"+svc.Name, name)
		}
	}
}
