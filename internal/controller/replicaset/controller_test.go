package replicaset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type harness struct {
	c       *Controller
	client  *fake.Clientset
	factory informers.SharedInformerFactory
	// created are the pods created since the last sync, named.
	created []*corev1.Pod
}

// newHarness builds a controller whose informer caches hold objs; the
// factory is never started, so the caches change only through add/remove.
func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	t.Helper()
	client := fake.NewClientset(objs...)
	h := &harness{client: client}
	var n atomic.Int32
	var mu sync.Mutex
	// The fake tracker does not implement generateName.
	client.PrependReactor("create", "pods", func(a clienttesting.Action) (bool, runtime.Object, error) {
		pod := a.(clienttesting.CreateAction).GetObject().(*corev1.Pod)
		if pod.Name == "" {
			pod.Name = fmt.Sprintf("%s%05d", pod.GenerateName, n.Add(1))
		}
		mu.Lock()
		h.created = append(h.created, pod.DeepCopy())
		mu.Unlock()
		return false, nil, nil
	})
	h.factory = informers.NewSharedInformerFactory(client, 0)
	h.c = New(client, h.factory, slog.New(slog.DiscardHandler))
	h.c.now = func() time.Time { return now }
	h.c.exp.now = h.c.now
	for _, o := range objs {
		h.add(o)
	}
	return h
}

func (h *harness) add(o runtime.Object) {
	switch o := o.(type) {
	case *appsv1.ReplicaSet:
		_ = h.factory.Apps().V1().ReplicaSets().Informer().GetIndexer().Add(o)
	case *corev1.Pod:
		_ = h.factory.Core().V1().Pods().Informer().GetIndexer().Add(o)
	}
}

func (h *harness) sync(t *testing.T, rs *appsv1.ReplicaSet) error {
	t.Helper()
	h.client.ClearActions()
	h.created = nil
	return h.c.sync(context.Background(), rs.Namespace+"/"+rs.Name)
}

// actions returns the client's writes as "verb resource[/sub] name".
func (h *harness) actions() []string {
	var out []string
	for _, a := range h.client.Actions() {
		if a.GetVerb() == "get" || a.GetVerb() == "list" || a.GetVerb() == "watch" {
			continue
		}
		s := a.GetVerb() + " " + a.GetResource().Resource
		if a.GetSubresource() != "" {
			s += "/" + a.GetSubresource()
		}
		switch a := a.(type) {
		case clienttesting.CreateAction:
			if a.GetVerb() == "create" {
				m, _ := metaOf(a.GetObject())
				s += " " + m.GetGenerateName() + "*"
			}
		case clienttesting.DeleteAction:
			s += " " + a.GetName()
		case clienttesting.PatchAction:
			s += " " + a.GetName()
		}
		out = append(out, s)
	}
	return out
}

func metaOf(o runtime.Object) (metav1.Object, bool) {
	m, ok := o.(metav1.Object)
	return m, ok
}

func (h *harness) createdPods() []*corev1.Pod {
	return h.created
}

func (h *harness) lastStatus(t *testing.T) appsv1.ReplicaSetStatus {
	t.Helper()
	var st *appsv1.ReplicaSetStatus
	for _, a := range h.client.Actions() {
		if ua, ok := a.(clienttesting.UpdateAction); ok && a.GetSubresource() == "status" {
			st = &ua.GetObject().(*appsv1.ReplicaSet).Status
		}
	}
	if st == nil {
		t.Fatalf("no status update in %v", h.actions())
	}
	return *st
}

func newRS(name string, replicas int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(name + "-uid"), Generation: 1},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name, "tier": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "demo"}}},
			},
		},
	}
}

type podOpt func(*corev1.Pod)

func newPod(name string, owner *appsv1.ReplicaSet, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "default", UID: types.UID(name + "-uid"), ResourceVersion: "1",
			Labels:            map[string]string{"app": owner.Name, "tier": "web"},
			CreationTimestamp: metav1.NewTime(now.Add(-time.Hour)),
		},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	p.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(owner, controllerKind)}
	for _, o := range opts {
		o(p)
	}
	return p
}

func orphan() podOpt { return func(p *corev1.Pod) { p.OwnerReferences = nil } }
func onNode(n string) podOpt {
	return func(p *corev1.Pod) { p.Spec.NodeName = n }
}
func phase(ph corev1.PodPhase) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }
func readyFor(d time.Duration) podOpt {
	return func(p *corev1.Pod) {
		p.Spec.NodeName = "node-a"
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-d))}}
	}
}
func created(ago time.Duration) podOpt {
	return func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(now.Add(-ago)) }
}
func labelled(kv ...string) podOpt {
	return func(p *corev1.Pod) {
		p.Labels = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Labels[kv[i]] = kv[i+1]
		}
	}
}
func terminating() podOpt {
	return func(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.NewTime(now)) }
}

func TestCreatesMissingPodsOnceUntilObserved(t *testing.T) {
	rs := newRS("web", 3)
	h := newHarness(t, rs)
	if err := h.sync(t, rs); err != nil {
		t.Fatal(err)
	}
	pods := h.createdPods()
	if len(pods) != 3 {
		t.Fatalf("created %d pods, want 3: %v", len(pods), h.actions())
	}
	for _, p := range pods {
		if p.GenerateName != "web-" || p.Labels["app"] != "web" || p.Spec.Containers[0].Image != "demo" {
			t.Fatalf("pod not from template: %+v", p.ObjectMeta)
		}
		ref := metav1.GetControllerOf(p)
		if ref == nil || ref.UID != rs.UID || ref.Kind != "ReplicaSet" || ref.APIVersion != "apps/v1" ||
			!ptr.Deref(ref.BlockOwnerDeletion, false) {
			t.Fatalf("bad controller ref %+v", p.OwnerReferences)
		}
	}
	// The cache has not seen the pods: a second sync must not create more.
	if err := h.sync(t, rs); err != nil {
		t.Fatal(err)
	}
	if n := len(h.createdPods()); n != 0 {
		t.Fatalf("second sync created %d pods before the first were observed", n)
	}
	// The informer reports them: expectations are met, nothing to do.
	for _, p := range pods {
		h.add(p)
		h.c.addPod(p)
	}
	if !h.c.exp.satisfied("default/web") {
		t.Fatal("expectations not satisfied after observing every creation")
	}
	if err := h.sync(t, rs); err != nil {
		t.Fatal(err)
	}
	if got := h.actions(); len(got) != 1 || got[0] != "update replicasets/status" {
		t.Fatalf("actions after observation: %v", got)
	}
	if st := h.lastStatus(t); st.Replicas != 3 || st.FullyLabeledReplicas != 3 || st.ObservedGeneration != 1 {
		t.Fatalf("status %+v", st)
	}
}

func TestExpectationsExpire(t *testing.T) {
	rs := newRS("web", 2)
	h := newHarness(t, rs)
	if err := h.sync(t, rs); err != nil {
		t.Fatal(err)
	}
	if len(h.createdPods()) != 2 {
		t.Fatal("no creations")
	}
	// The pods never show up (e.g. the watch missed them): after the TTL
	// the ReplicaSet trusts its cache again.
	h.c.now = func() time.Time { return now.Add(expectationsTTL + time.Second) }
	h.c.exp.now = h.c.now
	if err := h.sync(t, rs); err != nil {
		t.Fatal(err)
	}
	if len(h.createdPods()) != 2 {
		t.Fatalf("after expiry: %v", h.actions())
	}
}

func TestTerminalAndTerminatingPodsDoNotCount(t *testing.T) {
	rs := newRS("web", 3)
	h := newHarness(t, rs,
		newPod("done", rs, phase(corev1.PodSucceeded)),
		newPod("failed", rs, phase(corev1.PodFailed)),
		newPod("leaving", rs, terminating(), readyFor(time.Minute)),
		newPod("running", rs, readyFor(time.Minute)),
	)
	if err := h.sync(t, rs); err != nil {
		t.Fatal(err)
	}
	if n := len(h.createdPods()); n != 2 {
		t.Fatalf("created %d, want 2: %v", n, h.actions())
	}
	st := h.lastStatus(t)
	if st.Replicas != 1 || st.ReadyReplicas != 1 || ptr.Deref(st.TerminatingReplicas, -1) != 1 {
		t.Fatalf("status %+v", st)
	}
}

func TestScaleDownOrder(t *testing.T) {
	rs := newRS("web", 1)
	cases := []struct {
		name string
		pods []*corev1.Pod
		want string // the pod deleted first
	}{
		{"unscheduled before scheduled", []*corev1.Pod{
			newPod("scheduled", rs, onNode("n1")), newPod("unscheduled", rs)}, "unscheduled"},
		{"pending before running", []*corev1.Pod{
			newPod("running", rs, onNode("n1"), phase(corev1.PodRunning)), newPod("pending", rs, onNode("n1"))}, "pending"},
		{"unknown before running", []*corev1.Pod{
			newPod("running", rs, onNode("n1"), phase(corev1.PodRunning)), newPod("unknown", rs, onNode("n1"), phase(corev1.PodUnknown))}, "unknown"},
		{"not ready before ready", []*corev1.Pod{
			newPod("ready", rs, readyFor(time.Minute)), newPod("notready", rs, onNode("node-a"), phase(corev1.PodRunning))}, "notready"},
		{"ready for less time first", []*corev1.Pod{
			newPod("old", rs, readyFor(time.Hour)), newPod("young", rs, readyFor(time.Minute)), newPod("mid", rs, readyFor(10*time.Minute))}, "young"},
		{"lower deletion cost first", []*corev1.Pod{
			newPod("young", rs, readyFor(time.Minute)),
			newPod("cheap", rs, readyFor(time.Hour), func(p *corev1.Pod) { p.Annotations = map[string]string{deletionCostAnnotation: "-5"} })}, "cheap"},
		{"doubled up first", []*corev1.Pod{
			newPod("alone", rs, readyFor(time.Hour), onNode("n1")),
			newPod("pair1", rs, readyFor(time.Hour), onNode("n2")),
			newPod("pair2", rs, readyFor(time.Hour), onNode("n2"), created(time.Minute))}, "pair2"},
		{"more restarts first", []*corev1.Pod{
			newPod("stable", rs, onNode("n1"), phase(corev1.PodRunning)),
			newPod("crashy", rs, onNode("n2"), phase(corev1.PodRunning), func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", RestartCount: 4}}
			})}, "crashy"},
		{"newer first", []*corev1.Pod{
			newPod("older", rs, onNode("n1"), created(time.Hour)), newPod("newer", rs, onNode("n2"), created(time.Minute))}, "newer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := []runtime.Object{rs}
			for _, p := range tc.pods {
				objs = append(objs, p)
			}
			h := newHarness(t, objs...)
			if err := h.sync(t, rs); err != nil {
				t.Fatal(err)
			}
			var deleted []string
			for _, a := range h.actions() {
				if name, ok := strings.CutPrefix(a, "delete pods "); ok {
					deleted = append(deleted, name)
				}
			}
			if want := len(tc.pods) - 1; len(deleted) != want {
				t.Fatalf("deleted %v, want %d pods", deleted, want)
			}
			if !slices.Contains(deleted, tc.want) {
				t.Fatalf("deleted %v, want %s among them", deleted, tc.want)
			}
			// Ranked order: with one kept, the keeper is the most valuable.
			ranked := podsToDelete(tc.pods, tc.pods, 1, now)
			if ranked[0].Name != tc.want {
				t.Fatalf("ranked first %s, want %s", ranked[0].Name, tc.want)
			}
		})
	}
}

func TestScaleDownExpectsDeletions(t *testing.T) {
	rs := newRS("web", 1)
	a, b := newPod("a", rs, readyFor(time.Hour)), newPod("b", rs, readyFor(time.Minute))
	h := newHarness(t, rs, a, b)
	if err := h.sync(t, rs); err != nil {
		t.Fatal(err)
	}
	if got := h.actions(); !slices.Contains(got, "delete pods b") {
		t.Fatalf("actions %v", got)
	}
	if err := h.sync(t, rs); err != nil {
		t.Fatal(err)
	}
	if got := h.actions(); slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "delete") }) {
		t.Fatalf("deleted again before the first deletion was observed: %v", got)
	}
	// The informer sees b terminating: the deletion is observed once, even
	// when its final removal is reported too.
	gone := b.DeepCopy()
	gone.ResourceVersion = "2"
	gone.DeletionTimestamp = ptr.To(metav1.NewTime(now))
	h.c.updatePod(b, gone)
	h.c.deletePod(gone)
	if !h.c.exp.satisfied("default/web") {
		t.Fatal("deletion not observed")
	}
}

func TestAdoptsMatchingOrphans(t *testing.T) {
	rs := newRS("web", 2)
	mine := newPod("orphan", rs, orphan(), readyFor(time.Minute))
	other := newRS("other", 1)
	theirs := newPod("theirs", other, labelled("app", "web"))
	h := newHarness(t, rs, mine, theirs, other)
	if err := h.sync(t, rs); err != nil {
		t.Fatal(err)
	}
	got := h.actions()
	want := []string{"patch pods orphan", "create pods web-*", "update replicasets/status"}
	if !slices.Equal(got, want) {
		t.Fatalf("actions %v, want %v", got, want)
	}
	patch := h.client.Actions()[1].(clienttesting.PatchAction) // after the fresh get
	if patch.GetPatchType() != types.StrategicMergePatchType {
		t.Fatalf("patch type %s", patch.GetPatchType())
	}
	var body struct {
		Metadata struct {
			OwnerReferences []metav1.OwnerReference `json:"ownerReferences"`
			UID             types.UID               `json:"uid"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(patch.GetPatch(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Metadata.UID != mine.UID || len(body.Metadata.OwnerReferences) != 1 ||
		body.Metadata.OwnerReferences[0].UID != rs.UID || !ptr.Deref(body.Metadata.OwnerReferences[0].Controller, false) {
		t.Fatalf("adoption patch %s", patch.GetPatch())
	}
	if st := h.lastStatus(t); st.Replicas != 1 || st.ReadyReplicas != 1 {
		t.Fatalf("status %+v", st)
	}
}

func TestNoAdoptionWhileBeingDeleted(t *testing.T) {
	rs := newRS("web", 2)
	rs.DeletionTimestamp = ptr.To(metav1.NewTime(now))
	h := newHarness(t, rs, newPod("orphan", rs, orphan()))
	if err := h.sync(t, rs); err != nil {
		t.Fatal(err)
	}
	if got := h.actions(); !slices.Equal(got, []string{"update replicasets/status"}) {
		t.Fatalf("a deleting ReplicaSet acted: %v", got)
	}
}

func TestReleasesRelabelledPodAndReplacesIt(t *testing.T) {
	rs := newRS("web", 2)
	kept := newPod("kept", rs, readyFor(time.Hour))
	moved := newPod("moved", rs, readyFor(time.Hour), labelled("app", "nope"))
	h := newHarness(t, rs, kept, moved)
	if err := h.sync(t, rs); err != nil {
		t.Fatal(err)
	}
	got := h.actions()
	want := []string{"patch pods moved", "create pods web-*", "update replicasets/status"}
	if !slices.Equal(got, want) {
		t.Fatalf("actions %v, want %v", got, want)
	}
	patch := h.client.Actions()[0].(clienttesting.PatchAction)
	if want := fmt.Sprintf(`{"metadata":{"ownerReferences":[{"$patch":"delete","uid":"%s"}],"uid":"%s"}}`, rs.UID, moved.UID); string(patch.GetPatch()) != want {
		t.Fatalf("release patch %s, want %s", patch.GetPatch(), want)
	}
	// The patch really drops the reference.
	p, err := h.client.CoreV1().Pods("default").Get(context.Background(), "moved", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.OwnerReferences) != 0 {
		t.Fatalf("released pod still owned: %+v", p.OwnerReferences)
	}
}

func TestStatusCounts(t *testing.T) {
	rs := newRS("web", 4)
	rs.Generation = 7
	rs.Spec.MinReadySeconds = 30
	h := newHarness(t, rs,
		newPod("available", rs, readyFor(time.Minute)),
		newPod("ready-recently", rs, readyFor(10*time.Second)),
		newPod("not-ready", rs, onNode("n1"), phase(corev1.PodRunning)),
		// Selected but missing a template label.
		newPod("partial", rs, labelled("app", "web"), readyFor(time.Hour)),
	)
	if err := h.sync(t, rs); err != nil {
		t.Fatal(err)
	}
	st := h.lastStatus(t)
	want := appsv1.ReplicaSetStatus{Replicas: 4, FullyLabeledReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 2,
		ObservedGeneration: 7, TerminatingReplicas: ptr.To[int32](0)}
	if !equality.Semantic.DeepEqual(st, want) {
		t.Fatalf("status\n got %+v\nwant %+v", st, want)
	}
	// In sync: no write.
	rs2 := rs.DeepCopy()
	rs2.Status = st
	h.add(rs2)
	if err := h.sync(t, rs2); err != nil {
		t.Fatal(err)
	}
	if got := h.actions(); len(got) != 0 {
		t.Fatalf("status rewritten: %v", got)
	}
}

func TestReplicaFailureCondition(t *testing.T) {
	rs := newRS("web", 3)
	h := newHarness(t, rs)
	calls := 0
	h.client.PrependReactor("create", "pods", func(clienttesting.Action) (bool, runtime.Object, error) {
		calls++
		return true, nil, errors.New("quota exceeded")
	})
	err := h.sync(t, rs)
	if err == nil || !strings.Contains(err.Error(), "quota exceeded") {
		t.Fatalf("sync error %v", err)
	}
	if calls != 1 {
		t.Fatalf("slow start made %d create calls after the first failed", calls)
	}
	st := h.lastStatus(t)
	c := condition(st, appsv1.ReplicaSetReplicaFailure)
	if c == nil || c.Status != corev1.ConditionTrue || c.Reason != "FailedCreate" || c.Message != "quota exceeded" {
		t.Fatalf("conditions %+v", st.Conditions)
	}
	if !h.c.exp.satisfied("default/web") {
		t.Fatal("failed creations left expectations behind")
	}
	// The next round succeeds: the condition goes away.
	h.client.ReactionChain = h.client.ReactionChain[1:]
	failed := rs.DeepCopy()
	failed.Status = st
	h.add(failed)
	if err := h.sync(t, failed); err != nil {
		t.Fatal(err)
	}
	if st := h.lastStatus(t); len(st.Conditions) != 0 {
		t.Fatalf("condition kept after success: %+v", st.Conditions)
	}
}

func TestSlowStartBatches(t *testing.T) {
	var calls atomic.Int32
	n, err := slowStart(10, func() error { calls.Add(1); return nil })
	if n != 10 || err != nil || calls.Load() != 10 {
		t.Fatalf("slowStart(10) = %d, %v after %d calls", n, err, calls.Load())
	}
	calls.Store(0)
	// Batches 1, 2, 4: the third batch fails once.
	n, err = slowStart(10, func() error {
		if calls.Add(1) == 5 {
			return errors.New("boom")
		}
		return nil
	})
	if n != 6 || err == nil || calls.Load() != 7 {
		t.Fatalf("slowStart with a failure = %d, %v after %d calls", n, err, calls.Load())
	}
}

func TestPodEventsEnqueueOwner(t *testing.T) {
	rs := newRS("web", 1)
	h := newHarness(t, rs)
	pod := newPod("p", rs, orphan())
	h.c.addPod(pod)
	if h.c.queue.Len() != 1 {
		t.Fatalf("orphan add did not enqueue the selecting ReplicaSet")
	}
	key, _ := h.c.queue.Get()
	h.c.queue.Done(key)
	if key != "default/web" {
		t.Fatalf("enqueued %q", key)
	}
	relabelled := pod.DeepCopy()
	relabelled.ResourceVersion = "2"
	relabelled.Labels = map[string]string{"app": "none"}
	h.c.updatePod(pod, relabelled)
	if h.c.queue.Len() != 0 {
		t.Fatal("a pod matching nothing enqueued something")
	}
}
