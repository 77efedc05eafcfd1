package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"
)

// bindReactor makes the fake clientset's pods/binding do what the API
// server does: set spec.nodeName, refusing a pod that has one.
func bindReactor(cs *fake.Clientset) {
	cs.PrependReactor("create", "pods", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "binding" {
			return false, nil, nil
		}
		b := a.(clienttesting.CreateAction).GetObject().(*corev1.Binding)
		gvr := corev1.SchemeGroupVersion.WithResource("pods")
		obj, err := cs.Tracker().Get(gvr, b.Namespace, b.Name)
		if err != nil {
			return true, nil, err
		}
		pod := obj.(*corev1.Pod).DeepCopy()
		if pod.Spec.NodeName != "" {
			return true, nil, apierrors.NewConflict(corev1.Resource("pods/binding"), b.Name, fmt.Errorf("already assigned"))
		}
		pod.Spec.NodeName = b.Target.Name
		return true, nil, cs.Tracker().Update(gvr, pod, b.Namespace)
	})
}

func pendingPod(name string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name)},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "demo"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func startScheduler(t *testing.T, cs *fake.Clientset) *record.FakeRecorder {
	t.Helper()
	bindReactor(cs)
	rec := record.NewFakeRecorder(100)
	factory := informers.NewSharedInformerFactory(cs, 0)
	s, err := New(cs, factory, Options{Recorder: rec, Log: slog.New(slog.DiscardHandler), RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	factory.Start(ctx.Done())
	go func() { _ = s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; factory.Shutdown() })
	return rec
}

func nodeOf(t *testing.T, cs *fake.Clientset, name string) string {
	t.Helper()
	var got string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		p, err := cs.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
		if err == nil && p.Spec.NodeName != "" {
			return p.Spec.NodeName
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("pod %s not bound (%q)", name, got)
	return ""
}

func nextEvent(t *testing.T, rec *record.FakeRecorder) string {
	t.Helper()
	select {
	case e := <-rec.Events:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
		return ""
	}
}

func TestSchedulerBindsAndSpreads(t *testing.T) {
	cs := fake.NewClientset(node("a"), node("b"),
		pendingPod("p1"), pendingPod("p2"),
		pendingPod("other", func(p *corev1.Pod) { p.Spec.SchedulerName = "someone-else" }))
	rec := startScheduler(t, cs)
	got := map[string]bool{nodeOf(t, cs, "p1"): true, nodeOf(t, cs, "p2"): true}
	if !got["a"] || !got["b"] {
		t.Errorf("pods went to %v: want one on each node (least pods first)", got)
	}
	for range 2 {
		if e := nextEvent(t, rec); !strings.HasPrefix(e, "Normal Scheduled Successfully assigned default/p") {
			t.Errorf("event %q", e)
		}
	}
	time.Sleep(50 * time.Millisecond)
	p, _ := cs.CoreV1().Pods("default").Get(context.Background(), "other", metav1.GetOptions{})
	if p.Spec.NodeName != "" {
		t.Errorf("a pod for another scheduler was bound to %s", p.Spec.NodeName)
	}
}

// TestSchedulerWaitsForAFittingNode: a pod whose nodeSelector no node
// matches is marked Unschedulable with kube's message, and is bound once a
// node gets the label.
func TestSchedulerWaitsForAFittingNode(t *testing.T) {
	cs := fake.NewClientset(node("a"), pendingPod("p", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} }))
	rec := startScheduler(t, cs)
	want := "Warning FailedScheduling 0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."
	if e := nextEvent(t, rec); e != want {
		t.Fatalf("event %q, want %q", e, want)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, _ := cs.CoreV1().Pods("default").Get(context.Background(), "p", metav1.GetOptions{})
		if len(p.Status.Conditions) == 1 && p.Status.Conditions[0].Reason == corev1.PodReasonUnschedulable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("conditions %+v", p.Status.Conditions)
		}
		time.Sleep(5 * time.Millisecond)
	}
	n, _ := cs.CoreV1().Nodes().Get(context.Background(), "a", metav1.GetOptions{})
	n.Labels["disk"] = "ssd"
	if _, err := cs.CoreV1().Nodes().Update(context.Background(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := nodeOf(t, cs, "p"); got != "a" {
		t.Fatalf("bound to %q", got)
	}
}
