package job

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
)

// Queue keys are "<namespace>/<job>" for Jobs and podKeyPrefix +
// "<namespace>/<pod>" for pods that may need their finalizer removed.
const podKeyPrefix = "pod:"

// Controller runs Jobs.
type Controller struct {
	client     kubernetes.Interface
	jobs       batchlisters.JobLister
	pods       corelisters.PodLister
	jobsSynced cache.InformerSynced
	podsSynced cache.InformerSynced
	queue      workqueue.TypedRateLimitingInterface[string]
	clock      clock.WithTicker
	log        *slog.Logger

	// backoffBase and backoffMax bound the delay before a pod is
	// recreated after failures: base doubling per consecutive failure.
	backoffBase, backoffMax time.Duration

	mu      sync.Mutex
	backoff map[string]backoffRecord // by Job key
}

// backoffRecord counts a Job's failures since its last success.
type backoffRecord struct {
	failures    int
	lastFailure time.Time
}

// New builds the controller; it registers informers on factory, which the
// caller starts. clk drives deadlines, backoff and TTLs (nil: real clock).
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, clk clock.WithTicker, log *slog.Logger) *Controller {
	if clk == nil {
		clk = clock.RealClock{}
	}
	jobInf := factory.Batch().V1().Jobs()
	podInf := factory.Core().V1().Pods()
	c := &Controller{
		client:     client,
		jobs:       jobInf.Lister(),
		pods:       podInf.Lister(),
		jobsSynced: jobInf.Informer().HasSynced,
		podsSynced: podInf.Informer().HasSynced,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "job", Clock: clk}),
		clock:       clk,
		log:         log,
		backoffBase: 10 * time.Second,
		backoffMax:  6 * time.Minute,
		backoff:     map[string]backoffRecord{},
	}
	_, _ = jobInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueJob,
		UpdateFunc: func(_, obj interface{}) { c.enqueueJob(obj) },
		DeleteFunc: c.jobDeleted,
	})
	_, _ = podInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.podChanged,
		UpdateFunc: func(_, obj interface{}) { c.podChanged(obj) },
		DeleteFunc: c.podChanged,
	})
	return c
}

func (c *Controller) enqueueJob(obj interface{}) {
	if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

// jobDeleted queues the Job's pods that still carry the finalizer.
func (c *Controller) jobDeleted(obj interface{}) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	job, ok := obj.(*batchv1.Job)
	if !ok {
		return
	}
	c.enqueueJob(job)
	pods, err := c.pods.Pods(job.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, pod := range pods {
		if ref := metav1.GetControllerOf(pod); ref != nil && ref.UID == job.UID && hasFinalizer(pod) {
			c.queue.Add(podKeyPrefix + pod.Namespace + "/" + pod.Name)
		}
	}
}

// podChanged queues the Job controlling the pod, and the pod itself when
// it holds the tracking finalizer without a Job to count it.
func (c *Controller) podChanged(obj interface{}) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	ref := metav1.GetControllerOf(pod)
	isJobPod := ref != nil && ref.Kind == controllerKind.Kind && ref.APIVersion == controllerKind.GroupVersion().String()
	if isJobPod {
		c.queue.Add(pod.Namespace + "/" + ref.Name)
	}
	if hasFinalizer(pod) && (!isJobPod || !c.jobCounts(pod.Namespace, ref)) {
		c.queue.Add(podKeyPrefix + pod.Namespace + "/" + pod.Name)
	}
}

// jobCounts reports whether the cache holds the Job ref names, unfinished:
// it will count the pod. A pod of a Job deleted while the controller was
// down gets no other event that would release it.
func (c *Controller) jobCounts(ns string, ref *metav1.OwnerReference) bool {
	job, err := c.jobs.Jobs(ns).Get(ref.Name)
	return err == nil && job.UID == ref.UID && job.DeletionTimestamp == nil && finishedCondition(job) == nil
}

// Run processes Jobs until ctx ends. The informer factory must be started
// by the caller.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.jobsSynced, c.podsSynced) {
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
	var after time.Duration
	var err error
	if podKey, ok := strings.CutPrefix(key, podKeyPrefix); ok {
		err = c.syncOrphanPod(ctx, podKey)
	} else {
		after, err = c.sync(ctx, key)
	}
	if err != nil {
		ns, name, _ := cache.SplitMetaNamespaceKey(strings.TrimPrefix(key, podKeyPrefix))
		logSyncError(c.log, "job sync failed", ns, name, err)
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
