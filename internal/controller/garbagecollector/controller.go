package garbagecollector

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

const (
	// workers is how many objects are processed at once.
	workers = 8
	// rediscoverEvery is how often new resources are looked for.
	rediscoverEvery = 30 * time.Second
	// ownerIndex indexes objects by their owners' UIDs.
	ownerIndex = "owner-uid"
)

// Resource is one watched resource.
type Resource struct {
	GVR        schema.GroupVersionResource
	Kind       string
	Namespaced bool
}

// item names one object; the UID tells it from a later one of the same
// name.
type item struct {
	gvr       schema.GroupVersionResource
	namespace string
	name      string
	uid       types.UID
}

func (it item) String() string {
	return fmt.Sprintf("%s %s/%s", it.gvr.Resource, it.namespace, it.name)
}

// Controller is the garbage collector.
type Controller struct {
	md       metadata.Interface
	discover func() ([]Resource, error)
	log      *slog.Logger
	queue    workqueue.TypedRateLimitingInterface[item]
	factory  metadatainformer.SharedInformerFactory

	mu       sync.RWMutex
	monitors map[schema.GroupVersionResource]cache.SharedIndexInformer
	kinds    map[schema.GroupKind]Resource

	// absent remembers owner UIDs confirmed gone; UIDs are never reused.
	absentMu sync.Mutex
	absent   map[types.UID]struct{}
}

// New builds the garbage collector. It starts nothing: discovery and the
// watches begin in Run.
func New(md metadata.Interface, disc discovery.DiscoveryInterface, log *slog.Logger) *Controller {
	return &Controller{
		md:       md,
		discover: func() ([]Resource, error) { return deletableResources(disc) },
		log:      log,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[item](),
			workqueue.TypedRateLimitingQueueConfig[item]{Name: "garbagecollector"}),
		factory:  metadatainformer.NewSharedInformerFactory(md, 0),
		monitors: map[schema.GroupVersionResource]cache.SharedIndexInformer{},
		kinds:    map[schema.GroupKind]Resource{},
		absent:   map[types.UID]struct{}{},
	}
}

// Run collects garbage until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	defer c.factory.Shutdown()
	// The API server may still be settling; retry discovery until it
	// answers.
	for {
		err := c.sync(ctx)
		if err == nil {
			break
		}
		c.log.Warn("garbage collector discovery failed", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
	if !cache.WaitForCacheSync(ctx.Done(), c.hasSynced) {
		return nil
	}
	c.log.Info("garbage collector synced", "resources", len(c.monitors))
	go func() {
		<-ctx.Done()
		c.queue.ShutDown()
	}()
	go func() {
		t := time.NewTicker(rediscoverEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := c.sync(ctx); err != nil {
					c.log.Warn("garbage collector rediscovery failed", "err", err)
				}
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c.next(ctx) {
			}
		})
	}
	wg.Wait()
	return nil
}

func (c *Controller) next(ctx context.Context) bool {
	it, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(it)
	if err := c.process(ctx, it); err != nil {
		c.log.Warn("garbage collection failed", "resource", it.gvr.Resource, "namespace", it.namespace, "name", it.name, "err", err)
		c.queue.AddRateLimited(it)
		return true
	}
	c.queue.Forget(it)
	return true
}

// sync discovers resources and watches those not watched yet.
func (c *Controller) sync(ctx context.Context) error {
	resources, err := c.discover()
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	added := 0
	for _, r := range resources {
		c.kinds[schema.GroupKind{Group: r.GVR.Group, Kind: r.Kind}] = r
		if _, ok := c.monitors[r.GVR]; ok {
			continue
		}
		inf := c.factory.ForResource(r.GVR).Informer()
		if err := inf.AddIndexers(cache.Indexers{ownerIndex: indexByOwner}); err != nil {
			return fmt.Errorf("index %s: %w", r.GVR, err)
		}
		gvr := r.GVR
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj interface{}) { c.observe(gvr, nil, asMeta(obj)) },
			UpdateFunc: func(old, cur interface{}) { c.observe(gvr, asMeta(old), asMeta(cur)) },
			DeleteFunc: func(obj interface{}) { c.gone(gvr, asMeta(obj)) },
		}); err != nil {
			return fmt.Errorf("watch %s: %w", r.GVR, err)
		}
		c.monitors[r.GVR] = inf
		added++
	}
	if added > 0 {
		c.factory.Start(ctx.Done())
	}
	return nil
}

func (c *Controller) hasSynced() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, inf := range c.monitors {
		if !inf.HasSynced() {
			return false
		}
	}
	return true
}

func indexByOwner(obj interface{}) ([]string, error) {
	m := asMeta(obj)
	if m == nil {
		return nil, nil
	}
	var out []string
	for _, ref := range m.OwnerReferences {
		out = append(out, string(ref.UID))
	}
	return out, nil
}

// asMeta unwraps informer objects and tombstones.
func asMeta(obj interface{}) *metav1.PartialObjectMetadata {
	switch o := obj.(type) {
	case *metav1.PartialObjectMetadata:
		return o
	case cache.DeletedFinalStateUnknown:
		return asMeta(o.Obj)
	}
	return nil
}

func itemOf(gvr schema.GroupVersionResource, m *metav1.PartialObjectMetadata) item {
	return item{gvr: gvr, namespace: m.Namespace, name: m.Name, uid: m.UID}
}

// observe queues an object that may need collecting: one being deleted with
// a finalizer this collector handles, or one whose owner references changed
// and name an owner not known to be alive.
func (c *Controller) observe(gvr schema.GroupVersionResource, old, cur *metav1.PartialObjectMetadata) {
	if cur == nil {
		return
	}
	if cur.DeletionTimestamp != nil && (hasFinalizer(cur, metav1.FinalizerOrphanDependents) || hasFinalizer(cur, metav1.FinalizerDeleteDependents)) {
		c.queue.Add(itemOf(gvr, cur))
	}
	if old != nil && slices.EqualFunc(old.OwnerReferences, cur.OwnerReferences, sameRef) {
		return
	}
	for _, ref := range cur.OwnerReferences {
		if st := c.cachedOwnerState(cur.Namespace, ref); st != ownerPresent {
			c.queue.Add(itemOf(gvr, cur))
			break
		}
	}
	if old != nil {
		// A reference dropped or unblocked may be what a foreground
		// deletion waits for.
		c.wakeWaitingOwners(old.Namespace, old.OwnerReferences)
	}
}

// gone queues the dependents of a deleted object, now without that owner,
// and the owners that may have waited for it.
func (c *Controller) gone(gvr schema.GroupVersionResource, m *metav1.PartialObjectMetadata) {
	if m == nil {
		return
	}
	for _, dep := range c.dependents(m.UID) {
		c.queue.Add(dep.item)
	}
	c.wakeWaitingOwners(m.Namespace, m.OwnerReferences)
}

// wakeWaitingOwners queues each referenced owner that is being deleted with
// a finalizer this collector handles.
func (c *Controller) wakeWaitingOwners(namespace string, refs []metav1.OwnerReference) {
	for _, ref := range refs {
		res, ns, ok := c.resolve(namespace, ref)
		if !ok {
			continue
		}
		owner := c.cached(res.GVR, ns, ref.Name)
		if owner == nil || owner.UID != ref.UID || owner.DeletionTimestamp == nil {
			continue
		}
		if hasFinalizer(owner, metav1.FinalizerDeleteDependents) || hasFinalizer(owner, metav1.FinalizerOrphanDependents) {
			c.queue.Add(itemOf(res.GVR, owner))
		}
	}
}

func sameRef(a, b metav1.OwnerReference) bool {
	return a.UID == b.UID && a.Name == b.Name && a.Kind == b.Kind && a.APIVersion == b.APIVersion &&
		boolOf(a.BlockOwnerDeletion) == boolOf(b.BlockOwnerDeletion) && boolOf(a.Controller) == boolOf(b.Controller)
}

func boolOf(p *bool) bool { return p != nil && *p }

func hasFinalizer(m metav1.Object, name string) bool {
	return slices.Contains(m.GetFinalizers(), name)
}

// deletableResources lists every resource that can be listed, watched and
// deleted, in each group's preferred version, except events.
func deletableResources(disc discovery.DiscoveryInterface) ([]Resource, error) {
	lists, err := disc.ServerPreferredResources()
	if err != nil && len(lists) == 0 {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	var out []Resource
	for _, l := range lists {
		gv, perr := schema.ParseGroupVersion(l.GroupVersion)
		if perr != nil {
			continue
		}
		for _, r := range l.APIResources {
			if len(r.Name) == 0 || strings.Contains(r.Name, "/") {
				continue
			}
			if r.Name == "events" && (gv.Group == "" || gv.Group == "events.k8s.io") {
				continue
			}
			if !slices.Contains(r.Verbs, "list") || !slices.Contains(r.Verbs, "watch") || !slices.Contains(r.Verbs, "delete") {
				continue
			}
			out = append(out, Resource{GVR: gv.WithResource(r.Name), Kind: r.Kind, Namespaced: r.Namespaced})
		}
	}
	return out, nil
}
