package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// Name is the scheduler's name: pods asking for it (or for none) are its.
const Name = corev1.DefaultSchedulerName

// nodeNameIndex indexes pods by spec.nodeName.
const nodeNameIndex = "scheduler.nodeName"

// Options configure the scheduler.
type Options struct {
	// Recorder records the Scheduled and FailedScheduling events; nil makes
	// Run post core/v1 Events from "default-scheduler".
	Recorder record.EventRecorder
	// Log receives the scheduler's logs (default slog.Default()).
	Log *slog.Logger
	// RetryMin and RetryMax bound the back-off of an unschedulable pod
	// (default 1s and 10s, as kube-scheduler's pod back-off).
	RetryMin, RetryMax time.Duration
}

// Scheduler binds unscheduled pods to nodes. Build it with New, run it
// with Run.
type Scheduler struct {
	client   kubernetes.Interface
	opts     Options
	pods     cache.SharedIndexInformer
	podList  corelisters.PodLister
	nodes    cache.SharedIndexInformer
	nodeList corelisters.NodeLister
	queue    workqueue.TypedRateLimitingInterface[string]
	recorder record.EventRecorder
	log      *slog.Logger

	mu sync.Mutex
	// assumed holds pods bound but not yet seen bound by the informer, so
	// that the next decision counts them: pod uid -> node.
	assumed map[types.UID]string
}

// New builds the scheduler; it registers informers on factory, which the
// caller starts.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) (*Scheduler, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.RetryMin == 0 {
		opts.RetryMin = time.Second
	}
	if opts.RetryMax == 0 {
		opts.RetryMax = 10 * time.Second
	}
	s := &Scheduler{
		client:   client,
		opts:     opts,
		pods:     factory.Core().V1().Pods().Informer(),
		podList:  factory.Core().V1().Pods().Lister(),
		nodes:    factory.Core().V1().Nodes().Informer(),
		nodeList: factory.Core().V1().Nodes().Lister(),
		log:      opts.Log,
		assumed:  map[types.UID]string{},
	}
	err := s.pods.AddIndexers(cache.Indexers{nodeNameIndex: func(obj interface{}) ([]string, error) {
		if p, ok := obj.(*corev1.Pod); ok && p.Spec.NodeName != "" {
			return []string{p.Spec.NodeName}, nil
		}
		return nil, nil
	}})
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	return s, nil
}

// Run schedules pods until ctx ends. The informer factory must be started
// by the caller. Run may be called once.
func (s *Scheduler) Run(ctx context.Context) error {
	s.queue = s.newQueue()
	defer s.queue.ShutDown()
	// Handlers are added here, not in New, so that nothing is queued
	// before the queue exists; a late handler gets every object as added.
	podHandler, err := s.pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    s.podChanged,
		UpdateFunc: func(_, obj interface{}) { s.podChanged(obj) },
		DeleteFunc: s.podChanged,
	})
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	defer func() { _ = s.pods.RemoveEventHandler(podHandler) }()
	nodeHandler, err := s.nodes.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(interface{}) { s.retryPending() },
		UpdateFunc: func(_, _ interface{}) { s.retryPending() },
	})
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	defer func() { _ = s.nodes.RemoveEventHandler(nodeHandler) }()
	s.recorder = s.opts.Recorder
	if s.recorder == nil {
		b := record.NewBroadcaster(record.WithContext(ctx))
		defer b.Shutdown()
		b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: s.client.CoreV1().Events("")})
		s.recorder = b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: Name})
	}
	if !cache.WaitForCacheSync(ctx.Done(), s.pods.HasSynced, s.nodes.HasSynced) {
		return nil
	}
	s.retryPending()
	go func() {
		<-ctx.Done()
		s.queue.ShutDown()
	}()
	// One worker: each decision sees the bindings made before it.
	for s.next(ctx) {
	}
	return nil
}

func (s *Scheduler) newQueue() workqueue.TypedRateLimitingInterface[string] {
	return workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](s.opts.RetryMin, s.opts.RetryMax),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "scheduler"})
}

// responsible reports whether pod waits for this scheduler.
func responsible(pod *corev1.Pod) bool {
	return pod.Spec.NodeName == "" && pod.DeletionTimestamp == nil &&
		(pod.Spec.SchedulerName == "" || pod.Spec.SchedulerName == Name) &&
		pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed
}

func (s *Scheduler) podChanged(obj interface{}) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if pod.Spec.NodeName != "" || pod.DeletionTimestamp != nil {
		s.mu.Lock()
		delete(s.assumed, pod.UID)
		s.mu.Unlock()
	}
	if responsible(pod) {
		key, _ := cache.MetaNamespaceKeyFunc(pod)
		s.queue.Add(key)
	}
}

// retryPending queues every pod still waiting for a node.
func (s *Scheduler) retryPending() {
	pods, _ := s.podList.List(labels.Everything())
	for _, p := range pods {
		if responsible(p) {
			key, _ := cache.MetaNamespaceKeyFunc(p)
			s.queue.Add(key)
		}
	}
}

func (s *Scheduler) next(ctx context.Context) bool {
	key, quit := s.queue.Get()
	if quit {
		return false
	}
	defer s.queue.Done(key)
	retry, err := s.schedule(ctx, key)
	switch {
	case err != nil:
		ns, name, _ := cache.SplitMetaNamespaceKey(key)
		s.log.Warn("scheduling failed", "namespace", ns, "pod", name, "err", err)
		s.queue.AddRateLimited(key)
	case retry:
		s.queue.AddRateLimited(key)
	default:
		s.queue.Forget(key)
	}
	return true
}

// schedule binds the pod named by key. retry is set when no node fits.
func (s *Scheduler) schedule(ctx context.Context, key string) (retry bool, err error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return false, nil
	}
	pod, err := s.podList.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !responsible(pod) {
		return false, nil
	}
	if len(pod.Spec.SchedulingGates) > 0 {
		return false, nil // ungating updates the pod, which queues it again
	}
	nodes, err := s.nodeList.List(labels.Everything())
	if err != nil {
		return false, err
	}
	node, why := choose(pod, nodes, s.running(nodes))
	if node == "" {
		s.recorder.Event(pod, corev1.EventTypeWarning, "FailedScheduling", why)
		return true, s.setUnschedulable(ctx, pod, why)
	}
	binding := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", APIVersion: "v1", Name: node},
	}
	// Assume before binding: the informer may show the pod bound (and
	// drop the assumption) before Bind returns.
	s.mu.Lock()
	s.assumed[pod.UID] = node
	s.mu.Unlock()
	if err := s.client.CoreV1().Pods(pod.Namespace).Bind(ctx, binding, metav1.CreateOptions{}); err != nil {
		s.mu.Lock()
		delete(s.assumed, pod.UID)
		s.mu.Unlock()
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			// Gone, replaced or bound by someone else meanwhile.
			return false, nil
		}
		return false, fmt.Errorf("bind to %s: %w", node, err)
	}
	s.recorder.Eventf(pod, corev1.EventTypeNormal, "Scheduled", "Successfully assigned %s/%s to %s", pod.Namespace, pod.Name, node)
	s.log.Info("pod scheduled", "namespace", pod.Namespace, "pod", pod.Name, "node", node)
	return false, nil
}

// running counts, per node, the pods bound to it that have not finished,
// plus the pods this scheduler bound that the informer has not shown yet.
func (s *Scheduler) running(nodes []*corev1.Node) map[string]int {
	out := map[string]int{}
	for _, n := range nodes {
		objs, _ := s.pods.GetIndexer().ByIndex(nodeNameIndex, n.Name)
		for _, o := range objs {
			p := o.(*corev1.Pod)
			if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
				out[n.Name]++
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, node := range s.assumed {
		out[node]++
	}
	return out
}

// setUnschedulable sets PodScheduled False, reason Unschedulable, with the
// message, unless the pod says so already.
func (s *Scheduler) setUnschedulable(ctx context.Context, pod *corev1.Pod, msg string) error {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable && c.Message == msg {
			return nil
		}
	}
	pod = pod.DeepCopy()
	cond := corev1.PodCondition{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
		Reason: corev1.PodReasonUnschedulable, Message: msg, LastTransitionTime: metav1.Now(),
	}
	replaced := false
	for i, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			if c.Status == cond.Status {
				cond.LastTransitionTime = c.LastTransitionTime
			}
			pod.Status.Conditions[i] = cond
			replaced = true
		}
	}
	if !replaced {
		pod.Status.Conditions = append(pod.Status.Conditions, cond)
	}
	_, err := s.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}
