package cronjob

import (
	"context"
	"log/slog"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
)

var controllerKind = batchv1.SchemeGroupVersion.WithKind("CronJob")

// Controller runs CronJobs.
type Controller struct {
	client     kubernetes.Interface
	cronJobs   batchlisters.CronJobLister
	jobs       batchlisters.JobLister
	cjSynced   cache.InformerSynced
	jobsSynced cache.InformerSynced
	queue      workqueue.TypedRateLimitingInterface[string]
	clock      clock.WithTicker
	log        *slog.Logger
}

// New builds the controller; it registers informers on factory, which the
// caller starts. clk is the time schedules are evaluated at (nil: the real
// clock).
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, clk clock.WithTicker, log *slog.Logger) *Controller {
	if clk == nil {
		clk = clock.RealClock{}
	}
	cjInf := factory.Batch().V1().CronJobs()
	jobInf := factory.Batch().V1().Jobs()
	c := &Controller{
		client:     client,
		cronJobs:   cjInf.Lister(),
		jobs:       jobInf.Lister(),
		cjSynced:   cjInf.Informer().HasSynced,
		jobsSynced: jobInf.Informer().HasSynced,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "cronjob", Clock: clk}),
		clock: clk,
		log:   log,
	}
	_, _ = cjInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj interface{}) { c.enqueue(obj) },
		DeleteFunc: c.enqueue,
	})
	_, _ = jobInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.jobChanged,
		UpdateFunc: func(_, obj interface{}) { c.jobChanged(obj) },
		DeleteFunc: c.jobChanged,
	})
	return c
}

func (c *Controller) enqueue(obj interface{}) {
	if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

// jobChanged queues the CronJob controlling the Job.
func (c *Controller) jobChanged(obj interface{}) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	job, ok := obj.(*batchv1.Job)
	if !ok {
		return
	}
	if ref := metav1.GetControllerOf(job); ref != nil && ref.Kind == controllerKind.Kind && ref.APIVersion == controllerKind.GroupVersion().String() {
		c.queue.Add(job.Namespace + "/" + ref.Name)
	}
}

// Run processes CronJobs until ctx ends. The informer factory must be
// started by the caller.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.cjSynced, c.jobsSynced) {
		return ctx.Err()
	}
	go func() {
		<-ctx.Done()
		c.queue.ShutDown()
	}()
	for c.next(ctx) {
	}
	return nil
}

func (c *Controller) next(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	after, err := c.sync(ctx, key)
	if err != nil {
		ns, name, _ := cache.SplitMetaNamespaceKey(key)
		logSyncError(c.log, "cronjob sync failed", ns, name, err)
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	if after > 0 {
		c.queue.AddAfter(key, after)
	}
	return true
}

// logSyncError logs a failed sync; a conflict (the cache was behind a
// write) is routine and retried, so it is only a debug message.
func logSyncError(log *slog.Logger, msg, ns, name string, err error) {
	level := slog.LevelWarn
	if apierrors.IsConflict(err) {
		level = slog.LevelDebug
	}
	log.Log(context.Background(), level, msg, "namespace", ns, "name", name, "err", err)
}
