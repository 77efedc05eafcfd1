package agent

import (
	"context"
	"fmt"
	"maps"
	"math"
	"runtime"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Node labels the agent sets, as kubelet does.
const (
	LabelHostname = "kubernetes.io/hostname"
	LabelOS       = "kubernetes.io/os"
	LabelArch     = "kubernetes.io/arch"
)

// nodeLabels are the labels the agent owns on its Node. It sets no
// node-role label: the agent runs workloads like any node.
func (a *Agent) nodeLabels() map[string]string {
	return map[string]string{
		LabelHostname: a.opts.NodeName,
		LabelOS:       runtime.GOOS,
		LabelArch:     runtime.GOARCH,
	}
}

// nodeStatus is the status the agent reports, with heartbeats at now.
// Transition times are carried over from old when a condition's status has
// not changed.
func (a *Agent) nodeStatus(old *corev1.NodeStatus, now metav1.Time) corev1.NodeStatus {
	allocatable := a.machine.Capacity.DeepCopy()
	st := corev1.NodeStatus{
		Capacity:    a.machine.Capacity.DeepCopy(),
		Allocatable: allocatable,
		Phase:       "",
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: a.opts.NodeAddress},
			{Type: corev1.NodeHostName, Address: a.opts.NodeName},
		},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{
			KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(a.logPort)},
		},
		NodeInfo: a.machine.Info,
		Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", Message: "kubelet has sufficient memory available"},
			{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", Message: "kubelet has no disk pressure"},
			{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", Message: "kubelet has sufficient PID available"},
			{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "kubelet is posting ready status"},
		},
	}
	if old != nil {
		// Keep what others report (images, volumes, features, …).
		st.Images = old.Images
		st.VolumesInUse = old.VolumesInUse
		st.VolumesAttached = old.VolumesAttached
		st.Config = old.Config
		st.RuntimeHandlers = old.RuntimeHandlers
		st.Features = old.Features
	}
	for i := range st.Conditions {
		c := &st.Conditions[i]
		c.LastHeartbeatTime = now
		c.LastTransitionTime = now
		if old == nil {
			continue
		}
		for _, o := range old.Conditions {
			if o.Type == c.Type && o.Status == c.Status {
				c.LastTransitionTime = o.LastTransitionTime
			}
		}
	}
	return st
}

// nodeStatusChanged reports whether next differs from cur beyond the
// condition heartbeats.
func nodeStatusChanged(cur, next corev1.NodeStatus) bool {
	strip := func(s corev1.NodeStatus) corev1.NodeStatus {
		s = *s.DeepCopy()
		for i := range s.Conditions {
			s.Conditions[i].LastHeartbeatTime = metav1.Time{}
		}
		return s
	}
	return !equality.Semantic.DeepEqual(strip(cur), strip(next))
}

// newNode is the Node the agent creates when there is none.
func (a *Agent) newNode(now metav1.Time) *corev1.Node {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: a.opts.NodeName, Labels: a.nodeLabels()},
		Spec:       corev1.NodeSpec{PodCIDR: a.opts.PodCIDR, PodCIDRs: []string{a.opts.PodCIDR}},
	}
	node.Status = a.nodeStatus(nil, now)
	return node
}

// registerNode creates the agent's Node, or brings an existing one up to
// date (labels, status), retrying until it succeeds or
// ctx ends. It returns the Node as stored.
func (a *Agent) registerNode(ctx context.Context) (*corev1.Node, error) {
	var node *corev1.Node
	backoff := wait.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: math.MaxInt32, Cap: 10 * time.Second}
	err := wait.ExponentialBackoffWithContext(ctx, backoff, func(ctx context.Context) (bool, error) {
		n, err := a.tryRegisterNode(ctx)
		if err != nil {
			a.log.Warn("node registration failed", "err", err)
			return false, nil
		}
		node = n
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("register node %s: %w", a.opts.NodeName, err)
	}
	a.log.Info("node registered", "podCIDR", node.Spec.PodCIDR)
	return node, nil
}

func (a *Agent) tryRegisterNode(ctx context.Context) (*corev1.Node, error) {
	nodes := a.client.CoreV1().Nodes()
	now := metav1.Now()
	created, err := nodes.Create(ctx, a.newNode(now), metav1.CreateOptions{})
	if err == nil {
		a.lastNodeReport = now.Time
		// A server that drops status on create (not portal's) gets it now.
		if created.Status.NodeInfo.KubeletVersion == "" {
			created.Status = a.nodeStatus(nil, now)
			return nodes.UpdateStatus(ctx, created, metav1.UpdateOptions{})
		}
		return created, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	node, err := nodes.Get(ctx, a.opts.NodeName, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	want := node.DeepCopy()
	if want.Labels == nil {
		want.Labels = map[string]string{}
	}
	maps.Copy(want.Labels, a.nodeLabels())
	// spec.podCIDR is set on creation only: in a cluster whose
	// controller-manager assigns pod CIDRs, that assignment stands.
	if !equality.Semantic.DeepEqual(want.ObjectMeta, node.ObjectMeta) {
		if node, err = nodes.Update(ctx, want, metav1.UpdateOptions{}); err != nil {
			return nil, err
		}
	}
	node.Status = a.nodeStatus(&node.Status, now)
	updated, err := nodes.UpdateStatus(ctx, node, metav1.UpdateOptions{})
	if err != nil {
		return nil, err
	}
	a.lastNodeReport = now.Time
	return updated, nil
}

// runNodeStatus posts node status every NodeStatusUpdateFrequency when it
// changed (a condition another controller set, say), and at least every
// NodeStatusReportFrequency, until ctx ends. A deleted Node is registered
// again.
func (a *Agent) runNodeStatus(ctx context.Context) error {
	t := time.NewTicker(a.opts.NodeStatusUpdateFrequency)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := a.syncNodeStatus(ctx); err != nil && ctx.Err() == nil {
			a.metrics.nodeStatusUpdates.WithLabelValues("error").Inc()
			a.log.Warn("node status update failed", "err", err)
		}
	}
}

func (a *Agent) syncNodeStatus(ctx context.Context) error {
	nodes := a.client.CoreV1().Nodes()
	node, err := nodes.Get(ctx, a.opts.NodeName, metav1.GetOptions{ResourceVersion: "0"})
	if apierrors.IsNotFound(err) {
		_, err = a.tryRegisterNode(ctx)
		return err
	}
	if err != nil {
		return err
	}
	now := metav1.Now()
	next := a.nodeStatus(&node.Status, now)
	if !nodeStatusChanged(node.Status, next) && now.Sub(a.lastNodeReport) < a.opts.NodeStatusReportFrequency {
		return nil
	}
	node = node.DeepCopy()
	node.Status = next
	if _, err := nodes.UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		return err
	}
	a.lastNodeReport = now.Time
	a.metrics.nodeStatusUpdates.WithLabelValues("ok").Inc()
	return nil
}
