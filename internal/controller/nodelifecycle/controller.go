package nodelifecycle

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	coordinationlisters "k8s.io/client-go/listers/coordination/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"
)

// Component is the event source name, as kube's.
const Component = "node-controller"

// nodeNameIndex indexes pods by spec.nodeName.
const nodeNameIndex = "nodelifecycle.nodeName"

// Options configure the controller; zero values take the defaults.
type Options struct {
	// GracePeriod is how long a node may go without a sign of life before
	// it is marked Unknown (default 40s).
	GracePeriod time.Duration
	// MonitorPeriod is how often nodes are checked (default 5s).
	MonitorPeriod time.Duration
	// Recorder records events; nil makes Run post core/v1 Events from
	// "node-controller".
	Recorder record.EventRecorder
	// Clock is the time source (default the real clock).
	Clock clock.WithTicker
	// Log receives the controller's logs (default slog.Default()).
	Log *slog.Logger
}

// health is what the controller last saw of a node's signs of life.
type health struct {
	// probe is the local time the controller last saw one.
	probe time.Time
	// renew and heartbeat are the Lease renewTime and Ready heartbeat seen
	// then.
	renew, heartbeat time.Time
}

// Controller marks dead nodes and their pods. Build it with New, run it
// with Run.
type Controller struct {
	client   kubernetes.Interface
	opts     Options
	nodes    corelisters.NodeLister
	leases   coordinationlisters.LeaseLister
	pods     cache.SharedIndexInformer
	synced   []cache.InformerSynced
	recorder record.EventRecorder
	log      *slog.Logger
	// health is owned by the monitor loop: node name -> last signs.
	health map[string]*health
}

// New builds the controller; it registers informers on factory, which the
// caller starts.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) (*Controller, error) {
	if opts.GracePeriod == 0 {
		opts.GracePeriod = 40 * time.Second
	}
	if opts.MonitorPeriod == 0 {
		opts.MonitorPeriod = 5 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	nodes := factory.Core().V1().Nodes()
	leases := factory.Coordination().V1().Leases()
	pods := factory.Core().V1().Pods().Informer()
	err := pods.AddIndexers(cache.Indexers{nodeNameIndex: func(obj interface{}) ([]string, error) {
		if p, ok := obj.(*corev1.Pod); ok && p.Spec.NodeName != "" {
			return []string{p.Spec.NodeName}, nil
		}
		return nil, nil
	}})
	if err != nil {
		return nil, fmt.Errorf("nodelifecycle: %w", err)
	}
	return &Controller{
		client: client,
		opts:   opts,
		nodes:  nodes.Lister(),
		leases: leases.Lister(),
		pods:   pods,
		synced: []cache.InformerSynced{nodes.Informer().HasSynced, leases.Informer().HasSynced, pods.HasSynced},
		log:    opts.Log,
		health: map[string]*health{},
	}, nil
}

// Run checks the nodes every MonitorPeriod until ctx ends. The informer
// factory must be started by the caller.
func (c *Controller) Run(ctx context.Context) error {
	c.recorder = c.opts.Recorder
	if c.recorder == nil {
		b := record.NewBroadcaster(record.WithContext(ctx))
		defer b.Shutdown()
		b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
		c.recorder = b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: Component})
	}
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return nil
	}
	t := c.opts.Clock.NewTicker(c.opts.MonitorPeriod)
	defer t.Stop()
	for {
		c.monitor(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
	}
}

// monitor checks every node once.
func (c *Controller) monitor(ctx context.Context) {
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return
	}
	now := c.opts.Clock.Now()
	seen := map[string]bool{}
	for _, node := range nodes {
		seen[node.Name] = true
		if err := c.check(ctx, node, now); err != nil && ctx.Err() == nil {
			c.log.Warn("node health check failed", "node", node.Name, "err", err)
		}
	}
	for name := range c.health {
		if !seen[name] {
			delete(c.health, name)
		}
	}
}

// check updates what is known of node's signs of life, marks it Unknown
// when they stopped for longer than the grace period, and marks its pods
// not ready while it is not Ready.
func (c *Controller) check(ctx context.Context, node *corev1.Node, now time.Time) error {
	var renew, heartbeat time.Time
	if l, err := c.leases.Leases(corev1.NamespaceNodeLease).Get(node.Name); err == nil && l.Spec.RenewTime != nil {
		renew = l.Spec.RenewTime.Time
	}
	ready := readyCondition(node)
	if ready != nil {
		heartbeat = ready.LastHeartbeatTime.Time
	}
	h, ok := c.health[node.Name]
	switch {
	case !ok:
		h = &health{probe: now, renew: renew, heartbeat: heartbeat}
		c.health[node.Name] = h
	case !renew.Equal(h.renew) || !heartbeat.Equal(h.heartbeat):
		h.probe, h.renew, h.heartbeat = now, renew, heartbeat
	}
	if now.Sub(h.probe) > c.opts.GracePeriod && (ready == nil || ready.Status != corev1.ConditionUnknown) {
		updated, err := c.markUnknown(ctx, node, now)
		if err != nil {
			return err
		}
		node = updated
		ready = readyCondition(node)
	}
	if ready != nil && ready.Status == corev1.ConditionTrue {
		return nil
	}
	return c.markPodsNotReady(ctx, node)
}

func readyCondition(node *corev1.Node) *corev1.NodeCondition {
	for i := range node.Status.Conditions {
		if node.Status.Conditions[i].Type == corev1.NodeReady {
			return &node.Status.Conditions[i]
		}
	}
	return nil
}

// markUnknown sets the conditions the node's agent owns to Unknown, as
// kube's node lifecycle controller does.
func (c *Controller) markUnknown(ctx context.Context, node *corev1.Node, now time.Time) (*corev1.Node, error) {
	node = node.DeepCopy()
	at := metav1.NewTime(now)
	for _, typ := range []corev1.NodeConditionType{corev1.NodeReady, corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure} {
		var cond *corev1.NodeCondition
		for i := range node.Status.Conditions {
			if node.Status.Conditions[i].Type == typ {
				cond = &node.Status.Conditions[i]
			}
		}
		if cond == nil {
			node.Status.Conditions = append(node.Status.Conditions, corev1.NodeCondition{
				Type: typ, Status: corev1.ConditionUnknown, Reason: "NodeStatusNeverUpdated",
				Message: "Kubelet never posted node status.", LastHeartbeatTime: node.CreationTimestamp, LastTransitionTime: at,
			})
			continue
		}
		if cond.Status != corev1.ConditionUnknown {
			cond.Status = corev1.ConditionUnknown
			cond.Reason = "NodeStatusUnknown"
			cond.Message = "Kubelet stopped posting node status."
			cond.LastTransitionTime = at
		}
	}
	updated, err := c.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("mark node unknown: %w", err)
	}
	c.log.Info("node stopped posting status", "node", node.Name, "grace", c.opts.GracePeriod.String())
	c.recorder.Eventf(nodeRef(node), corev1.EventTypeNormal, "NodeNotReady", "Node %s status is now: NodeNotReady", node.Name)
	return updated, nil
}

// nodeRef is how kube's node events name their node.
func nodeRef(node *corev1.Node) *corev1.ObjectReference {
	return &corev1.ObjectReference{Kind: "Node", Name: node.Name, UID: node.UID}
}

// markPodsNotReady sets Ready=False on every pod of the node that says
// Ready=True.
func (c *Controller) markPodsNotReady(ctx context.Context, node *corev1.Node) error {
	objs, err := c.pods.GetIndexer().ByIndex(nodeNameIndex, node.Name)
	if err != nil {
		return err
	}
	var firstErr error
	for _, o := range objs {
		pod := o.(*corev1.Pod)
		i := podReadyIndex(pod)
		if i < 0 || pod.Status.Conditions[i].Status != corev1.ConditionTrue {
			continue
		}
		pod = pod.DeepCopy()
		pod.Status.Conditions[i].Status = corev1.ConditionFalse
		pod.Status.Conditions[i].LastTransitionTime = metav1.NewTime(c.opts.Clock.Now())
		_, err := c.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			continue // gone, or changed: the next pass looks again
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("mark pod %s/%s not ready: %w", pod.Namespace, pod.Name, err)
			}
			continue
		}
		c.log.Info("pod marked not ready", "namespace", pod.Namespace, "pod", pod.Name, "node", node.Name)
		c.recorder.Event(pod, corev1.EventTypeWarning, "NodeNotReady", "Node is not ready")
	}
	return firstErr
}

func podReadyIndex(pod *corev1.Pod) int {
	for i, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return i
		}
	}
	return -1
}
