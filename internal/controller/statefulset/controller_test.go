package statefulset

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

// harness drives the controller synchronously: the informer caches are
// refilled from the fake clientset before every sync, and a test "kubelet"
// marks pods running and ready.
type harness struct {
	t       *testing.T
	client  *fake.Clientset
	c       *Controller
	clock   *clocktesting.FakeClock
	setIdx  cache.Indexer
	podIdx  cache.Indexer
	deletes []string // pod names in the order they were deleted
	creates []string
}

func newHarness(t *testing.T, set *appsv1.StatefulSet) *harness {
	client := fake.NewClientset(set)
	h := &harness{t: t, client: client, clock: clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	n := 0
	client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		pod := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		n++
		pod.UID = types.UID(fmt.Sprintf("uid-%d", n))
		pod.Status.Phase = corev1.PodPending
		h.creates = append(h.creates, pod.Name)
		return false, nil, nil
	})
	client.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		h.deletes = append(h.deletes, a.(k8stesting.DeleteAction).GetName())
		return false, nil, nil
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	h.c = New(client, factory, h.clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.setIdx = factory.Apps().V1().StatefulSets().Informer().GetIndexer()
	h.podIdx = factory.Core().V1().Pods().Informer().GetIndexer()
	return h
}

func (h *harness) refresh() {
	h.t.Helper()
	ctx := context.Background()
	sets, err := h.client.AppsV1().StatefulSets("ns").List(ctx, metav1.ListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	pods, err := h.client.CoreV1().Pods("ns").List(ctx, metav1.ListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	var s, p []interface{}
	for i := range sets.Items {
		s = append(s, &sets.Items[i])
	}
	for i := range pods.Items {
		p = append(p, &pods.Items[i])
	}
	_ = h.setIdx.Replace(s, "")
	_ = h.podIdx.Replace(p, "")
}

func (h *harness) sync() {
	h.t.Helper()
	h.refresh()
	if _, err := h.c.sync(context.Background(), "ns/web"); err != nil {
		h.t.Fatalf("sync: %v", err)
	}
	h.refresh()
}

func (h *harness) pod(name string) *corev1.Pod {
	h.t.Helper()
	pod, err := h.client.CoreV1().Pods("ns").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatalf("get pod %s: %v", name, err)
	}
	return pod
}

func (h *harness) podNames() []string {
	h.t.Helper()
	pods, err := h.client.CoreV1().Pods("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, p := range pods.Items {
		out = append(out, p.Name)
	}
	slices.Sort(out)
	return out
}

// ready is the test kubelet: the pod runs and is ready.
func (h *harness) ready(names ...string) {
	h.t.Helper()
	for _, name := range names {
		pod := h.pod(name)
		pod.Status.Phase = corev1.PodRunning
		pod.Status.PodIP = "127.244.0.1"
		pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(h.clock.Now())}}
		if _, err := h.client.CoreV1().Pods("ns").UpdateStatus(context.Background(), pod, metav1.UpdateOptions{}); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *harness) set() *appsv1.StatefulSet {
	h.t.Helper()
	set, err := h.client.AppsV1().StatefulSets("ns").Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return set
}

func (h *harness) updateSet(mutate func(*appsv1.StatefulSet)) {
	h.t.Helper()
	set := h.set()
	mutate(set)
	set.Generation++
	if _, err := h.client.AppsV1().StatefulSets("ns").Update(context.Background(), set, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

// converge syncs, making every pod ready, until nothing changes.
func (h *harness) converge() {
	h.t.Helper()
	for range 50 {
		before := fmt.Sprint(h.podNames(), len(h.creates), len(h.deletes))
		h.sync()
		for _, name := range h.podNames() {
			if !isRunningAndReady(h.pod(name)) {
				h.ready(name)
			}
		}
		h.sync()
		if fmt.Sprint(h.podNames(), len(h.creates), len(h.deletes)) == before {
			return
		}
	}
	h.t.Fatal("did not converge")
}

func newSet(replicas int32, policy appsv1.PodManagementPolicyType) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "set-uid", Generation: 1},
		Spec: appsv1.StatefulSetSpec{
			Replicas:            ptr.To(replicas),
			ServiceName:         "nginx",
			PodManagementPolicy: policy,
			Selector:            &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1"}}},
			},
			UpdateStrategy: appsv1.StatefulSetUpdateStrategy{
				Type:          appsv1.RollingUpdateStatefulSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](0)},
			},
		},
	}
}

func TestOrderedReadyCreatesOneAtATime(t *testing.T) {
	h := newHarness(t, newSet(3, appsv1.OrderedReadyPodManagement))
	steps := []struct {
		ready []string
		want  []string
	}{
		{nil, []string{"web-0"}},
		{nil, []string{"web-0"}}, // web-0 not ready: wait
		{[]string{"web-0"}, []string{"web-0", "web-1"}},
		{nil, []string{"web-0", "web-1"}},
		{[]string{"web-1"}, []string{"web-0", "web-1", "web-2"}},
		{[]string{"web-2"}, []string{"web-0", "web-1", "web-2"}},
	}
	for i, s := range steps {
		h.ready(s.ready...)
		h.sync()
		if got := h.podNames(); !slices.Equal(got, s.want) {
			t.Fatalf("step %d: pods %v, want %v", i, got, s.want)
		}
	}
	st := h.set().Status
	if st.Replicas != 3 || st.ReadyReplicas != 3 || st.AvailableReplicas != 3 || st.CurrentReplicas != 3 ||
		st.UpdatedReplicas != 3 || st.ObservedGeneration != 1 || st.CurrentRevision == "" || st.CurrentRevision != st.UpdateRevision {
		t.Fatalf("status %+v", st)
	}
}

func TestPodIdentity(t *testing.T) {
	h := newHarness(t, newSet(1, appsv1.OrderedReadyPodManagement))
	h.sync()
	pod := h.pod("web-0")
	checks := map[string][2]string{
		"hostname":      {pod.Spec.Hostname, "web-0"},
		"subdomain":     {pod.Spec.Subdomain, "nginx"},
		"pod-name":      {pod.Labels[appsv1.StatefulSetPodNameLabel], "web-0"},
		"pod-index":     {pod.Labels[appsv1.PodIndexLabel], "0"},
		"template lbl":  {pod.Labels["app"], "web"},
		"revision hash": {pod.Labels[appsv1.ControllerRevisionHashLabelKey], revisionName(h.set())},
	}
	for what, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", what, c[0], c[1])
		}
	}
	ref := metav1.GetControllerOf(pod)
	if ref == nil || ref.Kind != "StatefulSet" || ref.Name != "web" || ref.UID != "set-uid" || !ptr.Deref(ref.BlockOwnerDeletion, false) {
		t.Errorf("controller ref %+v", ref)
	}
}

func TestParallelCreatesAndDeletesAtOnce(t *testing.T) {
	h := newHarness(t, newSet(3, appsv1.ParallelPodManagement))
	h.sync()
	if got := h.podNames(); !slices.Equal(got, []string{"web-0", "web-1", "web-2"}) {
		t.Fatalf("pods %v", got)
	}
	h.updateSet(func(s *appsv1.StatefulSet) { s.Spec.Replicas = ptr.To[int32](1) })
	h.sync()
	if got := h.podNames(); !slices.Equal(got, []string{"web-0"}) {
		t.Fatalf("after scale down: pods %v", got)
	}
}

func TestOrderedReadyScaleDownInReverse(t *testing.T) {
	h := newHarness(t, newSet(4, appsv1.OrderedReadyPodManagement))
	h.converge()
	h.deletes = nil
	h.updateSet(func(s *appsv1.StatefulSet) { s.Spec.Replicas = ptr.To[int32](1) })
	h.sync()
	if got := h.podNames(); len(got) != 3 {
		t.Fatalf("one sync deleted more than one pod: %v", got)
	}
	h.converge()
	if want := []string{"web-3", "web-2", "web-1"}; !slices.Equal(h.deletes, want) {
		t.Fatalf("deleted %v, want %v", h.deletes, want)
	}
	if st := h.set().Status; st.Replicas != 1 || st.ReadyReplicas != 1 {
		t.Fatalf("status %+v", st)
	}
}

func TestOrderedReadyScaleDownWaitsForUnhealthy(t *testing.T) {
	h := newHarness(t, newSet(3, appsv1.OrderedReadyPodManagement))
	h.converge()
	// web-0 stops being ready: scale down must wait for it.
	pod := h.pod("web-0")
	pod.Status.Conditions[0].Status = corev1.ConditionFalse
	if _, err := h.client.CoreV1().Pods("ns").UpdateStatus(context.Background(), pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.updateSet(func(s *appsv1.StatefulSet) { s.Spec.Replicas = ptr.To[int32](1) })
	h.deletes = nil
	h.sync()
	if len(h.deletes) != 0 {
		t.Fatalf("deleted %v while web-0 is not ready", h.deletes)
	}
}

func TestDeletedPodIsRecreatedWithSameName(t *testing.T) {
	for _, policy := range []appsv1.PodManagementPolicyType{appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement} {
		t.Run(string(policy), func(t *testing.T) {
			h := newHarness(t, newSet(3, policy))
			h.converge()
			old := h.pod("web-1")
			if err := h.client.CoreV1().Pods("ns").Delete(context.Background(), "web-1", metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			h.sync()
			pod := h.pod("web-1")
			if pod.UID == old.UID {
				t.Fatal("web-1 was not recreated")
			}
			if pod.Spec.Hostname != "web-1" {
				t.Fatalf("hostname %q", pod.Spec.Hostname)
			}
		})
	}
}

func TestFailedPodIsReplaced(t *testing.T) {
	h := newHarness(t, newSet(2, appsv1.OrderedReadyPodManagement))
	h.converge()
	pod := h.pod("web-0")
	pod.Status.Phase = corev1.PodFailed
	if _, err := h.client.CoreV1().Pods("ns").UpdateStatus(context.Background(), pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.sync() // deletes the failed pod
	h.sync() // recreates it
	if got := h.pod("web-0"); got.UID == pod.UID || got.Status.Phase != corev1.PodPending {
		t.Fatalf("web-0 not replaced: uid %s phase %s", got.UID, got.Status.Phase)
	}
}

func TestRollingUpdateInReverseOrder(t *testing.T) {
	cases := []struct {
		name        string
		partition   int32
		wantDeletes []string
		wantOld     []string
	}{
		{"no partition", 0, []string{"web-2", "web-1", "web-0"}, nil},
		{"partition 1", 1, []string{"web-2", "web-1"}, []string{"web-0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set := newSet(3, appsv1.OrderedReadyPodManagement)
			set.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To(tc.partition)
			h := newHarness(t, set)
			h.converge()
			oldRev := h.set().Status.CurrentRevision
			h.deletes = nil
			h.updateSet(func(s *appsv1.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = "nginx:2" })
			newRev := revisionName(h.set())
			h.sync()
			if len(h.deletes) != 1 || h.deletes[0] != "web-2" {
				t.Fatalf("first update step deleted %v, want [web-2]", h.deletes)
			}
			h.sync() // recreated, not ready yet: nothing else may go
			if len(h.deletes) != 1 {
				t.Fatalf("deleted %v before web-2 was ready again", h.deletes)
			}
			h.converge()
			if !slices.Equal(h.deletes, tc.wantDeletes) {
				t.Fatalf("deleted %v, want %v", h.deletes, tc.wantDeletes)
			}
			for _, name := range h.podNames() {
				want, image := newRev, "nginx:2"
				if slices.Contains(tc.wantOld, name) {
					want, image = oldRev, "nginx:1"
				}
				pod := h.pod(name)
				if revisionOf(pod) != want || pod.Spec.Containers[0].Image != image {
					t.Errorf("%s at %s (%s), want %s (%s)", name, revisionOf(pod), pod.Spec.Containers[0].Image, want, image)
				}
			}
			st := h.set().Status
			wantCurrent := newRev
			if tc.partition > 0 {
				wantCurrent = oldRev
			}
			if st.UpdateRevision != newRev || st.CurrentRevision != wantCurrent || st.UpdatedReplicas != 3-tc.partition {
				t.Fatalf("status %+v", st)
			}
			if tc.partition > 0 {
				// A member below the partition is recreated at the current revision.
				if err := h.client.CoreV1().Pods("ns").Delete(context.Background(), "web-0", metav1.DeleteOptions{}); err != nil {
					t.Fatal(err)
				}
				h.sync()
				if pod := h.pod("web-0"); revisionOf(pod) != oldRev || pod.Spec.Containers[0].Image != "nginx:1" {
					t.Fatalf("recreated web-0 at %s (%s)", revisionOf(pod), pod.Spec.Containers[0].Image)
				}
			}
		})
	}
}

func TestOnDeleteOnlyUpdatesDeletedPods(t *testing.T) {
	set := newSet(2, appsv1.OrderedReadyPodManagement)
	set.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
	h := newHarness(t, set)
	h.converge()
	h.deletes = nil
	h.updateSet(func(s *appsv1.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = "nginx:2" })
	h.converge()
	if len(h.deletes) != 0 {
		t.Fatalf("OnDelete deleted %v", h.deletes)
	}
	if err := h.client.CoreV1().Pods("ns").Delete(context.Background(), "web-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.converge()
	if img := h.pod("web-1").Spec.Containers[0].Image; img != "nginx:2" {
		t.Fatalf("recreated web-1 runs %s", img)
	}
	if img := h.pod("web-0").Spec.Containers[0].Image; img != "nginx:1" {
		t.Fatalf("web-0 runs %s", img)
	}
	if st := h.set().Status; st.UpdatedReplicas != 1 || st.CurrentReplicas != 1 {
		t.Fatalf("status %+v", st)
	}
}

func TestMinReadySecondsGatesOrderedCreation(t *testing.T) {
	set := newSet(2, appsv1.OrderedReadyPodManagement)
	set.Spec.MinReadySeconds = 10
	h := newHarness(t, set)
	h.sync()
	h.ready("web-0")
	h.refresh()
	after, err := h.c.sync(context.Background(), "ns/web")
	if err != nil {
		t.Fatal(err)
	}
	if got := h.podNames(); len(got) != 1 || after != 10*time.Second {
		t.Fatalf("pods %v, requeue %s; want web-0 alone and a requeue in 10s", got, after)
	}
	h.clock.Step(10 * time.Second)
	h.sync()
	if got := h.podNames(); len(got) != 2 {
		t.Fatalf("pods %v after minReadySeconds", got)
	}
}

func TestAdoptsOrphan(t *testing.T) {
	h := newHarness(t, newSet(1, appsv1.OrderedReadyPodManagement))
	orphan := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "ns", UID: "orphan", Labels: map[string]string{"app": "web"}}}
	if _, err := h.client.CoreV1().Pods("ns").Create(context.Background(), orphan, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.sync()
	if ref := metav1.GetControllerOf(h.pod("web-0")); ref == nil || ref.UID != "set-uid" {
		t.Fatalf("orphan not adopted: %+v", ref)
	}
}
