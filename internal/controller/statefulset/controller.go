package statefulset

import (
	"context"
	"log/slog"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
)

// Controller reconciles StatefulSets with their pods.
type Controller struct {
	client     kubernetes.Interface
	sets       appslisters.StatefulSetLister
	pods       corelisters.PodLister
	setsSynced cache.InformerSynced
	podsSynced cache.InformerSynced
	queue      workqueue.TypedRateLimitingInterface[string]
	clock      clock.WithTicker
	log        *slog.Logger

	// templates remembers the pod template of every revision seen, per
	// set key, so that pods below a rollout's partition can be recreated at
	// the current revision (portal keeps no ControllerRevisions).
	mu        sync.Mutex
	templates map[string]map[string]*corev1.PodTemplateSpec
}

// New builds the controller; it registers informers on factory, which the
// caller starts. clk drives minReadySeconds (nil: the real clock).
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, clk clock.WithTicker, log *slog.Logger) *Controller {
	if clk == nil {
		clk = clock.RealClock{}
	}
	setInf := factory.Apps().V1().StatefulSets()
	podInf := factory.Core().V1().Pods()
	c := &Controller{
		client:     client,
		sets:       setInf.Lister(),
		pods:       podInf.Lister(),
		setsSynced: setInf.Informer().HasSynced,
		podsSynced: podInf.Informer().HasSynced,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "statefulset", Clock: clk}),
		clock:     clk,
		log:       log,
		templates: map[string]map[string]*corev1.PodTemplateSpec{},
	}
	_, _ = setInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj interface{}) { c.enqueue(obj) },
		DeleteFunc: c.enqueue,
	})
	_, _ = podInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.podChanged,
		UpdateFunc: func(_, obj interface{}) { c.podChanged(obj) },
		DeleteFunc: c.podChanged,
	})
	return c
}

func (c *Controller) enqueue(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err == nil {
		c.queue.Add(key)
	}
}

// podChanged queues the set that controls the pod or, for an orphan, every
// set in its namespace whose selector matches it (to adopt it).
func (c *Controller) podChanged(obj interface{}) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if ref := metav1.GetControllerOf(pod); ref != nil {
		if ref.Kind == controllerKind.Kind && ref.APIVersion == controllerKind.GroupVersion().String() {
			c.queue.Add(pod.Namespace + "/" + ref.Name)
		}
		return
	}
	if pod.DeletionTimestamp != nil {
		return
	}
	sets, err := c.sets.StatefulSets(pod.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, set := range sets {
		sel, err := metav1.LabelSelectorAsSelector(set.Spec.Selector)
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(pod.Labels)) {
			c.queue.Add(set.Namespace + "/" + set.Name)
		}
	}
}

// Run processes StatefulSets until ctx ends. The informer factory must be
// started by the caller.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.setsSynced, c.podsSynced) {
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
	switch {
	case err != nil:
		ns, name, _ := cache.SplitMetaNamespaceKey(key)
		logSyncError(c.log, "statefulset sync failed", ns, name, err)
		c.queue.AddRateLimited(key)
	default:
		c.queue.Forget(key)
		if after > 0 {
			c.queue.AddAfter(key, after)
		}
	}
	return true
}

// rememberTemplate records set's template under rev and returns the
// template recorded for want (nil if unknown). Only the two revisions are
// kept.
func (c *Controller) rememberTemplate(key string, set *appsv1.StatefulSet, rev, want string) *corev1.PodTemplateSpec {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.templates[key]
	kept := map[string]*corev1.PodTemplateSpec{rev: set.Spec.Template.DeepCopy()}
	if t, ok := old[want]; ok && want != rev {
		kept[want] = t
	}
	c.templates[key] = kept
	return kept[want]
}

func (c *Controller) forgetTemplates(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.templates, key)
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
