package endpointslicemirroring

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/util/workqueue"
	esutil "k8s.io/endpointslice/util"

	"github.com/portal-dev/portal/internal/controller/internal/ctrlutil"
)

// ControllerName is the endpointslice.kubernetes.io/managed-by value of the
// mirrored slices (kube's).
const ControllerName = "endpointslicemirroring-controller.k8s.io"

// DefaultMaxEndpointsPerSubset is kube-controller-manager's default.
const DefaultMaxEndpointsPerSubset = 1000

// Options tune the controller; the zero value is usable.
type Options struct {
	// MaxEndpointsPerSubset caps the addresses mirrored from one subset
	// (1 to 1000); 0 means DefaultMaxEndpointsPerSubset.
	MaxEndpointsPerSubset int32
	// Workers is how many Endpoints objects are synced at once; 0 means 5.
	Workers int
	// Metrics receives the controller's metrics; nil keeps them private.
	Metrics prometheus.Registerer
	// Log defaults to slog.Default().
	Log *slog.Logger
}

// Controller mirrors Endpoints of selectorless Services into slices.
type Controller struct {
	client    kubernetes.Interface
	services  corelisters.ServiceLister
	endpoints corelisters.EndpointsLister
	slices    discoverylisters.EndpointSliceLister
	synced    []cache.InformerSynced

	queue workqueue.TypedRateLimitingInterface[string]
	// tracker remembers the slices this controller wrote, so a sync can
	// tell the informer has not caught up with them yet.
	tracker *esutil.EndpointSliceTracker
	max     int
	metrics *ctrlutil.SyncMetrics
	workers int
	log     *slog.Logger
}

// New builds the controller and registers its event handlers on factory's
// Service, Endpoints and EndpointSlice informers. It starts nothing: the
// caller starts factory and calls Run.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) *Controller {
	if opts.MaxEndpointsPerSubset <= 0 {
		opts.MaxEndpointsPerSubset = DefaultMaxEndpointsPerSubset
	}
	if opts.Workers <= 0 {
		opts.Workers = 5
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	svcInf := factory.Core().V1().Services()
	epInf := factory.Core().V1().Endpoints()
	sliceInf := factory.Discovery().V1().EndpointSlices()
	c := &Controller{
		client:    client,
		services:  svcInf.Lister(),
		endpoints: epInf.Lister(),
		slices:    sliceInf.Lister(),
		synced: []cache.InformerSynced{
			svcInf.Informer().HasSynced, epInf.Informer().HasSynced, sliceInf.Informer().HasSynced,
		},
		queue:   ctrlutil.NewQueue("endpointslicemirroring"),
		tracker: esutil.NewEndpointSliceTracker(),
		max:     int(opts.MaxEndpointsPerSubset),
		metrics: ctrlutil.NewSyncMetrics(opts.Metrics, "endpointslicemirroring",
			"Endpoints the mirroring controller last mirrored, summed over Endpoints objects."),
		workers: opts.Workers,
		log:     opts.Log,
	}
	// Only selectorless Services matter, and a Service only when it gains
	// or loses its selector.
	_, _ = svcInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if svc, ok := obj.(*corev1.Service); ok && len(svc.Spec.Selector) == 0 {
				c.enqueue(obj)
			}
		},
		UpdateFunc: func(old, cur any) {
			o, ok1 := old.(*corev1.Service)
			n, ok2 := cur.(*corev1.Service)
			if ok1 && ok2 && (len(o.Spec.Selector) == 0) != (len(n.Spec.Selector) == 0) {
				c.enqueue(cur)
			}
		},
		DeleteFunc: c.enqueue,
	})
	_, _ = epInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if ep, ok := obj.(*corev1.Endpoints); ok && shouldMirror(ep) {
				c.enqueue(obj)
			}
		},
		UpdateFunc: func(old, cur any) {
			o, ok1 := old.(*corev1.Endpoints)
			n, ok2 := cur.(*corev1.Endpoints)
			if ok1 && ok2 && (shouldMirror(o) || shouldMirror(n)) {
				c.enqueue(cur)
			}
		},
		DeleteFunc: c.enqueue,
	})
	_, _ = sliceInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.onSliceAdd,
		UpdateFunc: c.onSliceUpdate,
		DeleteFunc: c.onSliceDelete,
	})
	return c
}

// Run mirrors until ctx ends. The informer factory must be started by the
// caller.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return ctx.Err()
	}
	c.log.Info("endpointslicemirroring controller started", "workers", c.workers)
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

// shouldMirror reports whether ep may be mirrored at all: not labelled
// skip-mirror and not a leader-election record. Whether its Service is
// selectorless is checked in sync.
func shouldMirror(ep *corev1.Endpoints) bool {
	if ep == nil || ep.Labels[discoveryv1.LabelSkipMirror] == "true" {
		return false
	}
	_, leader := ep.Annotations[resourcelock.LeaderElectionRecordAnnotationKey]
	return !leader
}

func managed(s *discoveryv1.EndpointSlice) bool {
	return s.Labels[discoveryv1.LabelManagedBy] == ControllerName
}

// The slice handlers follow kube: a mirrored slice is worth a sync only
// when it is not the version this controller wrote, or its managed-by or
// service-name label moved.

func (c *Controller) onSliceAdd(obj any) {
	if s, ok := obj.(*discoveryv1.EndpointSlice); ok && managed(s) && c.tracker.ShouldSync(s) {
		c.enqueueForSlice(s)
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
	if managed(old) != managed(cur) || (managed(cur) && c.tracker.ShouldSync(cur)) {
		c.enqueueForSlice(cur)
	}
}

func (c *Controller) onSliceDelete(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok || !managed(s) || !c.tracker.Has(s) {
		return
	}
	if !c.tracker.HandleDeletion(s) {
		c.enqueueForSlice(s)
	}
}

func (c *Controller) enqueueForSlice(s *discoveryv1.EndpointSlice) {
	if name := s.Labels[discoveryv1.LabelServiceName]; name != "" {
		c.queue.Add(s.Namespace + "/" + name)
	}
}
