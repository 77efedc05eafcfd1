package nodelifecycle

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
)

var t0 = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

func readyNode(status corev1.ConditionStatus, heartbeat time.Time) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "n1"},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: metav1.NewTime(heartbeat)},
			{Type: corev1.NodeReady, Status: status, Reason: "KubeletReady", LastHeartbeatTime: metav1.NewTime(heartbeat)},
		}},
	}
}

func lease(renew time.Time) *coordinationv1.Lease {
	rt := metav1.NewMicroTime(renew)
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "n1", Namespace: corev1.NamespaceNodeLease},
		Spec:       coordinationv1.LeaseSpec{RenewTime: &rt},
	}
}

func readyPod(name, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       corev1.PodSpec{NodeName: node},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: corev1.ConditionTrue},
		}},
	}
}

// step advances the clock to at (an offset from t0), optionally renews the
// lease or the heartbeat as seen by the controller, and checks the nodes.
type step struct {
	at        time.Duration
	renew     bool // the lease is renewed at this time
	heartbeat bool // the Ready heartbeat is posted at this time
}

func TestNodeLifecycle(t *testing.T) {
	cases := []struct {
		name      string
		node      *corev1.Node
		lease     *coordinationv1.Lease
		steps     []step
		wantReady corev1.ConditionStatus
		wantMsg   string
		wantPods  corev1.ConditionStatus // Ready of the node's pod afterwards
	}{
		{
			name: "a renewed lease keeps the node ready",
			node: readyNode(corev1.ConditionTrue, t0), lease: lease(t0),
			steps:     []step{{at: 0}, {at: 30 * time.Second, renew: true}, {at: 60 * time.Second, renew: true}, {at: 95 * time.Second}},
			wantReady: corev1.ConditionTrue, wantPods: corev1.ConditionTrue,
		},
		{
			name: "within the grace period nothing happens",
			node: readyNode(corev1.ConditionTrue, t0), lease: lease(t0),
			steps:     []step{{at: 0}, {at: 39 * time.Second}},
			wantReady: corev1.ConditionTrue, wantPods: corev1.ConditionTrue,
		},
		{
			name: "a lease not renewed for the grace period: Unknown, pods not ready",
			node: readyNode(corev1.ConditionTrue, t0), lease: lease(t0),
			steps:     []step{{at: 0}, {at: 20 * time.Second, renew: true}, {at: 61 * time.Second}},
			wantReady: corev1.ConditionUnknown, wantMsg: "Kubelet stopped posting node status.", wantPods: corev1.ConditionFalse,
		},
		{
			name:      "a Ready heartbeat is a sign of life too",
			node:      readyNode(corev1.ConditionTrue, t0),
			steps:     []step{{at: 0}, {at: 30 * time.Second, heartbeat: true}, {at: 60 * time.Second}},
			wantReady: corev1.ConditionTrue, wantPods: corev1.ConditionTrue,
		},
		{
			name: "times written long ago count from when the controller first sees them",
			node: readyNode(corev1.ConditionTrue, t0.Add(-time.Hour)), lease: lease(t0.Add(-time.Hour)),
			steps:     []step{{at: 0}, {at: 30 * time.Second}},
			wantReady: corev1.ConditionTrue, wantPods: corev1.ConditionTrue,
		},
		{
			name:      "a node that never posted status",
			node:      &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}},
			steps:     []step{{at: 0}, {at: 41 * time.Second}},
			wantReady: corev1.ConditionUnknown, wantMsg: "Kubelet never posted node status.", wantPods: corev1.ConditionFalse,
		},
		{
			name: "pods of a node its agent reports NotReady are not ready",
			node: readyNode(corev1.ConditionFalse, t0), lease: lease(t0),
			steps:     []step{{at: 0}},
			wantReady: corev1.ConditionFalse, wantPods: corev1.ConditionFalse,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := []runtime.Object{tc.node, readyPod("on-n1", "n1"), readyPod("elsewhere", "n2")}
			if tc.lease != nil {
				objs = append(objs, tc.lease)
			}
			cs := fake.NewClientset(objs...)
			clk := clocktesting.NewFakeClock(t0)
			rec := record.NewFakeRecorder(10)
			factory := informers.NewSharedInformerFactory(cs, 0)
			c, err := New(cs, factory, Options{Clock: clk, Recorder: rec, Log: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			c.recorder = rec
			ctx, cancel := context.WithCancel(context.Background())
			factory.Start(ctx.Done())
			defer func() { cancel(); factory.Shutdown() }()
			if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
				t.Fatal("caches")
			}
			leases := factory.Coordination().V1().Leases().Informer().GetIndexer()
			nodes := factory.Core().V1().Nodes().Informer().GetIndexer()
			for _, s := range tc.steps {
				now := t0.Add(s.at)
				clk.SetTime(now)
				if s.renew {
					_ = leases.Update(lease(now))
				}
				if s.heartbeat {
					n := tc.node.DeepCopy()
					for i := range n.Status.Conditions {
						n.Status.Conditions[i].LastHeartbeatTime = metav1.NewTime(now)
					}
					_ = nodes.Update(n)
				}
				c.monitor(ctx)
			}

			node, _ := cs.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{})
			ready := readyCondition(node)
			if ready == nil || ready.Status != tc.wantReady {
				t.Fatalf("Ready = %+v, want %s", ready, tc.wantReady)
			}
			if tc.wantMsg != "" {
				if ready.Message != tc.wantMsg {
					t.Errorf("message %q, want %q", ready.Message, tc.wantMsg)
				}
				for _, cnd := range node.Status.Conditions {
					if cnd.Status != corev1.ConditionUnknown {
						t.Errorf("condition %s is %s, want Unknown", cnd.Type, cnd.Status)
					}
				}
			}
			pod, _ := cs.CoreV1().Pods("default").Get(ctx, "on-n1", metav1.GetOptions{})
			if got := pod.Status.Conditions[0].Status; got != tc.wantPods {
				t.Errorf("pod Ready = %s, want %s", got, tc.wantPods)
			}
			other, _ := cs.CoreV1().Pods("default").Get(ctx, "elsewhere", metav1.GetOptions{})
			if other.Status.Conditions[0].Status != corev1.ConditionTrue {
				t.Errorf("a pod of another node was marked")
			}
			if tc.wantPods == corev1.ConditionFalse {
				events := drain(rec)
				if !strings.Contains(events, "Warning NodeNotReady Node is not ready") {
					t.Errorf("events %q: want the pod's NodeNotReady", events)
				}
			}
		})
	}
}

func drain(rec *record.FakeRecorder) string {
	var out []string
	for {
		select {
		case e := <-rec.Events:
			out = append(out, e)
		default:
			return strings.Join(out, "\n")
		}
	}
}
