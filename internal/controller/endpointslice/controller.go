package endpointslice

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	esutil "k8s.io/endpointslice/util"

	"github.com/portal-dev/portal/internal/controller/internal/ctrlutil"
)

// ControllerName is the endpointslice.kubernetes.io/managed-by value of the
// slices this controller owns (kube's, so either can take over).
const ControllerName = "endpointslice-controller.k8s.io"

// DefaultMaxEndpointsPerSlice is kube-controller-manager's default.
const DefaultMaxEndpointsPerSlice = 100

// Options tune the controller; the zero value is usable.
type Options struct {
	// MaxEndpointsPerSlice caps the endpoints of one slice (1 to 1000);
	// 0 means DefaultMaxEndpointsPerSlice.
	MaxEndpointsPerSlice int32
	// Workers is how many Services are synced at once; 0 means 5, kube's
	// default.
	Workers int
	// Metrics receives the controller's metrics; nil keeps them private.
	Metrics prometheus.Registerer
	// Log defaults to slog.Default().
	Log *slog.Logger
}

// Controller keeps EndpointSlices for Services with selectors.
type Controller struct {
	client   kubernetes.Interface
	services corelisters.ServiceLister
	pods     corelisters.PodLister
	nodes    corelisters.NodeLister
	slices   discoverylisters.EndpointSliceLister
	synced   []cache.InformerSynced

	queue       workqueue.TypedRateLimitingInterface[string]
	maxPerSlice int
	// tracker remembers the generation of every slice this controller
	// wrote, so a sync can tell that the informer has not caught up yet.
	tracker *esutil.EndpointSliceTracker
	// triggers computes the last-change-trigger-time annotation.
	triggers *triggerTracker
	// scratch keeps each Service's scan between its syncs; dirty names
	// the pods that changed since.
	scratch *scratchPool
	dirty   *dirtyPods
	// zoneGen counts node zone changes: a scan made before one is stale.
	zoneGen atomic.Uint64
	metrics *ctrlutil.SyncMetrics
	workers int
	log     *slog.Logger
}

// New builds the controller and registers its event handlers on factory's
// Service, Pod, Node and EndpointSlice informers. It starts nothing: the
// caller starts factory and calls Run.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) *Controller {
	if opts.MaxEndpointsPerSlice <= 0 {
		opts.MaxEndpointsPerSlice = DefaultMaxEndpointsPerSlice
	}
	if opts.Workers <= 0 {
		opts.Workers = 5
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	svcInf := factory.Core().V1().Services()
	podInf := factory.Core().V1().Pods()
	nodeInf := factory.Core().V1().Nodes()
	sliceInf := factory.Discovery().V1().EndpointSlices()
	c := &Controller{
		client:   client,
		services: svcInf.Lister(),
		pods:     podInf.Lister(),
		nodes:    nodeInf.Lister(),
		slices:   sliceInf.Lister(),
		synced: []cache.InformerSynced{
			svcInf.Informer().HasSynced, podInf.Informer().HasSynced,
			nodeInf.Informer().HasSynced, sliceInf.Informer().HasSynced,
		},
		queue:    ctrlutil.NewQueue("endpointslice"),
		tracker:  esutil.NewEndpointSliceTracker(),
		triggers: newTriggerTracker(),
		scratch:  &scratchPool{scans: map[string]*scan{}},
		dirty:    newDirtyPods(),
		metrics: ctrlutil.NewSyncMetrics(opts.Metrics, "endpointslice",
			"Endpoints the endpointslice controller last computed, summed over Services."),
		maxPerSlice: int(opts.MaxEndpointsPerSlice),
		workers:     opts.Workers,
		log:         opts.Log,
	}

	_, _ = svcInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj any) { c.enqueue(obj) },
		DeleteFunc: c.enqueue,
	})
	_, _ = podInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.onPod(nil, obj) },
		UpdateFunc: c.onPod,
		DeleteFunc: func(obj any) { c.onPod(obj, nil) },
	})
	// Nodes of the initial list need nothing: every Service is synced
	// once the caches are.
	_, _ = nodeInf.Informer().AddEventHandler(cache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(_ any, initial bool) {
			if !initial {
				c.enqueueAll()
			}
		},
		UpdateFunc: func(old, cur any) {
			if zoneOf(old) != zoneOf(cur) {
				c.enqueueAll()
			}
		},
		DeleteFunc: func(any) { c.enqueueAll() },
	})
	_, _ = sliceInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.onSliceAdd,
		UpdateFunc: c.onSliceUpdate,
		DeleteFunc: c.onSliceDelete,
	})
	return c
}

// Run syncs Services until ctx ends. The informer factory must be started
// by the caller. Every Service is synced once the caches are.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return ctx.Err()
	}
	c.log.Info("endpointslice controller started", "workers", c.workers)
	ctrlutil.RunWorkers(ctx, c.queue, c.workers, c.log, c.sync)
	return nil
}

func (c *Controller) enqueue(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		c.log.Warn("no key for object", "err", err)
		return
	}
	c.queue.Add(key)
}

// enqueueAll queues every Service with a selector: a Node's zone changed,
// and with it possibly the zone of any endpoint.
func (c *Controller) enqueueAll() {
	c.zoneGen.Add(1)
	svcs, err := c.services.List(labels.Everything())
	if err != nil {
		return
	}
	for _, svc := range svcs {
		if len(svc.Spec.Selector) > 0 {
			c.enqueue(svc)
		}
	}
}

// onPod queues the Services a pod event can change: those whose selector
// matches the pod's labels before or after the event. old or cur is nil
// for an add or a delete.
func (c *Controller) onPod(old, cur any) {
	c.markPod(old, cur)
	key := esutil.GetPodUpdateProjectionKey(old, cur)
	svcs, err := esutil.GetServicesToUpdate(c.services, key)
	if err != nil {
		c.log.Warn("services for pod", "err", err)
		return
	}
	for k := range svcs {
		c.queue.Add(k)
	}
}

// The slice handlers follow kube: a slice this controller manages is only
// worth a sync when it is not the version the controller itself wrote
// (someone else changed or deleted it), or when its managed-by or
// service-name label moved.

func (c *Controller) onSliceAdd(obj any) {
	slice, ok := obj.(*discoveryv1.EndpointSlice)
	if ok && managedByUs(slice) && c.tracker.ShouldSync(slice) {
		c.enqueueForSlice(slice)
	}
}

func (c *Controller) onSliceUpdate(oldObj, curObj any) {
	old, ok1 := oldObj.(*discoveryv1.EndpointSlice)
	cur, ok2 := curObj.(*discoveryv1.EndpointSlice)
	if !ok1 || !ok2 {
		return
	}
	if old.Labels[discoveryv1.LabelServiceName] != cur.Labels[discoveryv1.LabelServiceName] {
		c.enqueueForSlice(old)
		c.enqueueForSlice(cur)
		return
	}
	if managedByUs(old) != managedByUs(cur) || (managedByUs(cur) && c.tracker.ShouldSync(cur)) {
		c.enqueueForSlice(cur)
	}
}

func (c *Controller) onSliceDelete(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	slice, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok || !managedByUs(slice) || !c.tracker.Has(slice) {
		return
	}
	// HandleDeletion reports whether this controller deleted it itself.
	if !c.tracker.HandleDeletion(slice) {
		c.enqueueForSlice(slice)
	}
}

func (c *Controller) enqueueForSlice(slice *discoveryv1.EndpointSlice) {
	if name := slice.Labels[discoveryv1.LabelServiceName]; name != "" {
		c.queue.Add(slice.Namespace + "/" + name)
	}
}

func zoneOf(obj any) string {
	if n, ok := obj.(*corev1.Node); ok {
		return n.Labels[corev1.LabelTopologyZone]
	}
	return ""
}

// managedByUs reports whether this controller manages the slice.
func managedByUs(s *discoveryv1.EndpointSlice) bool {
	return s.Labels[discoveryv1.LabelManagedBy] == ControllerName
}
