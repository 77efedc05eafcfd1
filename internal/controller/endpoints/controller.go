package endpoints

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/util/workqueue"
	esutil "k8s.io/endpointslice/util"

	"github.com/portal-dev/portal/internal/controller/internal/ctrlutil"
)

// Options tune the controller; the zero value is usable.
type Options struct {
	// Workers is how many Services are synced at once; 0 means 5, kube's
	// default.
	Workers int
	// Metrics receives the controller's metrics; nil keeps them private.
	Metrics prometheus.Registerer
	// Log defaults to slog.Default().
	Log *slog.Logger
}

// Controller keeps the Endpoints objects of Services with selectors.
type Controller struct {
	client    kubernetes.Interface
	services  corelisters.ServiceLister
	pods      corelisters.PodLister
	endpoints corelisters.EndpointsLister
	synced    []cache.InformerSynced

	queue    workqueue.TypedRateLimitingInterface[string]
	triggers *esutil.TriggerTimeTracker
	metrics  *ctrlutil.SyncMetrics
	workers  int
	log      *slog.Logger
}

// New builds the controller and registers its event handlers on factory's
// Service, Pod and Endpoints informers. It starts nothing: the caller
// starts factory and calls Run.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) *Controller {
	if opts.Workers <= 0 {
		opts.Workers = 5
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	svcInf := factory.Core().V1().Services()
	podInf := factory.Core().V1().Pods()
	epInf := factory.Core().V1().Endpoints()
	c := &Controller{
		client:    client,
		services:  svcInf.Lister(),
		pods:      podInf.Lister(),
		endpoints: epInf.Lister(),
		synced: []cache.InformerSynced{
			svcInf.Informer().HasSynced, podInf.Informer().HasSynced, epInf.Informer().HasSynced,
		},
		queue:    ctrlutil.NewQueue("endpoints"),
		triggers: esutil.NewTriggerTimeTracker(),
		metrics: ctrlutil.NewSyncMetrics(opts.Metrics, "endpoints",
			"Addresses (ready and not) the endpoints controller last wrote, summed over Services."),
		workers: opts.Workers,
		log:     opts.Log,
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
	// A deleted Endpoints object of a Service with a selector is recreated.
	_, _ = epInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: c.enqueue,
	})
	return c
}

// Run syncs Services until ctx ends. The informer factory must be started
// by the caller. Once the caches are synced, every existing Endpoints
// object is queued too, so one whose Service went away while the
// controller was down is deleted.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return ctx.Err()
	}
	c.queueLeftovers()
	c.log.Info("endpoints controller started", "workers", c.workers)
	ctrlutil.RunWorkers(ctx, c.queue, c.workers, c.log, c.sync)
	return nil
}

func (c *Controller) queueLeftovers() {
	eps, err := c.endpoints.List(labels.Everything())
	if err != nil {
		return
	}
	for _, ep := range eps {
		// Leader-election records live in Endpoints without a Service.
		if _, ok := ep.Annotations[resourcelock.LeaderElectionRecordAnnotationKey]; ok {
			continue
		}
		c.enqueue(ep)
	}
}

func (c *Controller) enqueue(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		c.log.Warn("no key for object", "err", err)
		return
	}
	c.queue.Add(key)
}

// onPod queues the Services a pod event can change: those whose selector
// matches the pod's labels before or after the event.
func (c *Controller) onPod(old, cur any) {
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

// isHeadless reports whether svc has no cluster IP: None, or none
// allocated (an API server that allocates none), as kube decides.
func isHeadless(svc *corev1.Service) bool {
	return svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == corev1.ClusterIPNone
}
