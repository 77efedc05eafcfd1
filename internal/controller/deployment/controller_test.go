package deployment

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// cluster is a fake API plus a stand-in for the ReplicaSet controller: each
// step syncs the Deployment once, then (when settle is on) makes every
// ReplicaSet report spec.replicas pods, all available.
type cluster struct {
	t       *testing.T
	client  *fake.Clientset
	factory informers.SharedInformerFactory
	c       *Controller
	now     time.Time
	created int
}

func newCluster(t *testing.T, objs ...runtime.Object) *cluster {
	t.Helper()
	k := &cluster{t: t, client: fake.NewClientset(objs...), now: t0}
	// The fake tracker sets no creation time; order ReplicaSets as the API
	// server would.
	k.client.PrependReactor("create", "replicasets", func(a clienttesting.Action) (bool, runtime.Object, error) {
		rs := a.(clienttesting.CreateAction).GetObject().(*appsv1.ReplicaSet)
		k.created++
		rs.CreationTimestamp = metav1.NewTime(t0.Add(time.Duration(k.created) * time.Minute))
		rs.UID = types.UID(rs.Name + "-uid")
		rs.Generation = 1
		return false, nil, nil
	})
	k.factory = informers.NewSharedInformerFactory(k.client, 0)
	k.c = New(k.client, k.factory, slog.New(slog.DiscardHandler))
	k.c.now = func() time.Time { return k.now }
	k.refresh()
	return k
}

// refresh loads the caches from the fake API.
func (k *cluster) refresh() {
	k.t.Helper()
	ctx := context.Background()
	ds, err := k.client.AppsV1().Deployments("").List(ctx, metav1.ListOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	var items []interface{}
	for i := range ds.Items {
		items = append(items, &ds.Items[i])
	}
	_ = k.factory.Apps().V1().Deployments().Informer().GetIndexer().Replace(items, "")
	rss, err := k.client.AppsV1().ReplicaSets("").List(ctx, metav1.ListOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	items = nil
	for i := range rss.Items {
		items = append(items, &rss.Items[i])
	}
	_ = k.factory.Apps().V1().ReplicaSets().Informer().GetIndexer().Replace(items, "")
	pods, err := k.client.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	items = nil
	for i := range pods.Items {
		items = append(items, &pods.Items[i])
	}
	_ = k.factory.Core().V1().Pods().Informer().GetIndexer().Replace(items, "")
}

func (k *cluster) sync(name string) {
	k.t.Helper()
	if err := k.c.sync(context.Background(), "default/"+name); err != nil {
		k.t.Fatalf("sync: %v", err)
	}
	k.refresh()
}

// settle plays the ReplicaSet controller: every ReplicaSet reports its
// spec.replicas pods, available when available is set.
func (k *cluster) settle(available bool) {
	k.t.Helper()
	ctx := context.Background()
	for _, rs := range k.replicaSets() {
		n := rsReplicas(rs)
		rs.Status.Replicas = n
		rs.Status.FullyLabeledReplicas = n
		rs.Status.ObservedGeneration = rs.Generation
		rs.Status.TerminatingReplicas = ptr.To[int32](0)
		if available {
			rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = n, n
		} else {
			rs.Status.ReadyReplicas = min(rs.Status.ReadyReplicas, n)
			rs.Status.AvailableReplicas = min(rs.Status.AvailableReplicas, n)
		}
		if _, err := k.client.AppsV1().ReplicaSets(rs.Namespace).UpdateStatus(ctx, rs, metav1.UpdateOptions{}); err != nil {
			k.t.Fatal(err)
		}
	}
	k.refresh()
}

func (k *cluster) deployment(name string) *appsv1.Deployment {
	k.t.Helper()
	d, err := k.client.AppsV1().Deployments("default").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	return d
}

func (k *cluster) update(d *appsv1.Deployment) {
	k.t.Helper()
	d.Generation++
	if _, err := k.client.AppsV1().Deployments("default").Update(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		k.t.Fatal(err)
	}
	k.refresh()
}

// replicaSets returns every ReplicaSet, oldest first.
func (k *cluster) replicaSets() []*appsv1.ReplicaSet {
	k.t.Helper()
	list, err := k.client.AppsV1().ReplicaSets("default").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	var out []*appsv1.ReplicaSet
	for i := range list.Items {
		out = append(out, &list.Items[i])
	}
	sortByCreation(out)
	return out
}

// sizes renders the ReplicaSets' spec.replicas oldest first: "3,1".
func (k *cluster) sizes() string {
	var parts []string
	for _, rs := range k.replicaSets() {
		parts = append(parts, fmt.Sprint(rsReplicas(rs)))
	}
	return strings.Join(parts, ",")
}

func newDeployment(name string, n int32, strategy appsv1.DeploymentStrategy) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(name + "-uid"), Generation: 1},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(n),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "demo:v1"}}},
			},
			Strategy:                strategy,
			RevisionHistoryLimit:    ptr.To[int32](10),
			ProgressDeadlineSeconds: ptr.To[int32](600),
		},
	}
}

func rolling(surge, unavailable intstr.IntOrString) appsv1.DeploymentStrategy {
	return appsv1.DeploymentStrategy{
		Type:          appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable},
	}
}

// rollOut syncs and settles until the Deployment stops changing its
// ReplicaSets, returning the sizes after each step that changed them and
// checking the surge and availability bounds at every step (but for the
// first rollout, which starts with nothing available).
func (k *cluster) rollOut(name string) []string {
	k.t.Helper()
	first := len(k.replicaSets()) == 0
	k.t.Helper()
	var steps []string
	for range 50 {
		before := k.sizes()
		k.sync(name)
		d := k.deployment(name)
		total, available := int32(0), int32(0)
		for _, rs := range k.replicaSets() {
			total += rsReplicas(rs)
			// Pods that exist and were available before this step.
			available += min(rsReplicas(rs), rs.Status.AvailableReplicas)
		}
		if total > replicas(d)+maxSurge(d) {
			k.t.Fatalf("%s: %d pods exceed replicas+maxSurge %d", k.sizes(), total, replicas(d)+maxSurge(d))
		}
		if !first && available < replicas(d)-maxUnavailable(d) {
			k.t.Fatalf("%s: %d available below replicas-maxUnavailable %d", k.sizes(), available, replicas(d)-maxUnavailable(d))
		}
		after := k.sizes()
		k.settle(true)
		if after == before {
			// One more sync records the final status.
			k.sync(name)
			return steps
		}
		steps = append(steps, after)
	}
	k.t.Fatal("rollout did not converge")
	return nil
}

func (k *cluster) condition(name string, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	return getCondition(k.deployment(name).Status, t)
}

func TestInitialRolloutAndStatus(t *testing.T) {
	k := newCluster(t, newDeployment("web", 3, rolling(intstr.FromString("25%"), intstr.FromString("25%"))))
	k.sync("web")
	rss := k.replicaSets()
	if len(rss) != 1 {
		t.Fatalf("%d ReplicaSets", len(rss))
	}
	rs := rss[0]
	hash := rs.Labels[HashLabel]
	if hash == "" || rs.Name != "web-"+hash || rs.Spec.Template.Labels[HashLabel] != hash ||
		rs.Spec.Selector.MatchLabels[HashLabel] != hash || rs.Spec.Selector.MatchLabels["app"] != "web" {
		t.Fatalf("ReplicaSet naming/labels: name %s labels %v selector %v", rs.Name, rs.Labels, rs.Spec.Selector)
	}
	if ref := metav1.GetControllerOf(rs); ref == nil || ref.UID != "web-uid" || !ptr.Deref(ref.BlockOwnerDeletion, false) {
		t.Fatalf("owner %+v", rs.OwnerReferences)
	}
	if got := rsReplicas(rs); got != 3 {
		t.Fatalf("new ReplicaSet of a fresh Deployment has %d replicas, want 3", got)
	}
	wantAnn := map[string]string{RevisionAnnotation: "1", DesiredReplicasAnnotation: "3", MaxReplicasAnnotation: "4"}
	for k, v := range wantAnn {
		if rs.Annotations[k] != v {
			t.Errorf("annotation %s=%q, want %q", k, rs.Annotations[k], v)
		}
	}
	d := k.deployment("web")
	if d.Annotations[RevisionAnnotation] != "1" {
		t.Fatalf("deployment revision %q", d.Annotations[RevisionAnnotation])
	}
	if c := k.condition("web", appsv1.DeploymentProgressing); c == nil || c.Reason != reasonNewRSCreated ||
		c.Message != fmt.Sprintf("Created new replica set %q", rs.Name) || c.Status != corev1.ConditionTrue {
		t.Fatalf("Progressing %+v", c)
	}
	if c := k.condition("web", appsv1.DeploymentAvailable); c == nil || c.Status != corev1.ConditionFalse ||
		c.Reason != reasonMinimumUnavailable || c.Message != "Deployment does not have minimum availability." {
		t.Fatalf("Available %+v", c)
	}
	// Same template: the same name every time.
	if again := templateHash(&k.deployment("web").Spec.Template, nil); again != hash {
		t.Fatalf("hash not deterministic: %s vs %s", again, hash)
	}

	k.settle(true)
	k.sync("web")
	d = k.deployment("web")
	st := d.Status
	if st.Replicas != 3 || st.UpdatedReplicas != 3 || st.ReadyReplicas != 3 || st.AvailableReplicas != 3 ||
		st.UnavailableReplicas != 0 || st.ObservedGeneration != 1 || ptr.Deref(st.TerminatingReplicas, -1) != 0 {
		t.Fatalf("status %+v", st)
	}
	if c := k.condition("web", appsv1.DeploymentProgressing); c == nil || c.Reason != reasonNewRSAvailable ||
		c.Message != fmt.Sprintf("ReplicaSet %q has successfully progressed.", rs.Name) {
		t.Fatalf("Progressing %+v", c)
	}
	if c := k.condition("web", appsv1.DeploymentAvailable); c == nil || c.Status != corev1.ConditionTrue ||
		c.Reason != reasonMinimumAvailable || c.Message != "Deployment has minimum availability." {
		t.Fatalf("Available %+v", c)
	}
}

func TestRollingUpdateSteps(t *testing.T) {
	cases := []struct {
		name               string
		replicas           int32
		surge, unavailable intstr.IntOrString
		want               []string // old,new sizes after each changing step
	}{
		{"surge 1 unavailable 0", 3, intstr.FromInt32(1), intstr.FromInt32(0),
			[]string{"3,1", "2,1", "2,2", "1,2", "1,3", "0,3"}},
		// One may be unavailable, so the first step also retires an old pod.
		{"25% of 4", 4, intstr.FromString("25%"), intstr.FromString("25%"),
			[]string{"3,1", "3,2", "1,2", "1,4", "0,4"}},
		// 25% of 10: surge rounds up to 3, unavailable down to 2.
		{"25% of 10", 10, intstr.FromString("25%"), intstr.FromString("25%"),
			[]string{"8,3", "8,5", "3,5", "3,10", "0,10"}},
		{"surge 0 unavailable 1", 2, intstr.FromInt32(0), intstr.FromInt32(1),
			[]string{"1,0", "1,1", "0,1", "0,2"}},
		// Both zero: kube lets one be unavailable.
		{"both 0", 2, intstr.FromInt32(0), intstr.FromInt32(0),
			[]string{"1,0", "1,1", "0,1", "0,2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := newCluster(t, newDeployment("web", tc.replicas, rolling(tc.surge, tc.unavailable)))
			k.rollOut("web")
			if got := k.sizes(); got != fmt.Sprint(tc.replicas) {
				t.Fatalf("initial rollout: %s", got)
			}
			d := k.deployment("web")
			d.Spec.Template.Spec.Containers[0].Image = "demo:v2"
			k.update(d)
			steps := k.rollOut("web")
			if !slices.Equal(steps, tc.want) {
				t.Fatalf("steps %v, want %v", steps, tc.want)
			}
			d = k.deployment("web")
			if d.Annotations[RevisionAnnotation] != "2" {
				t.Fatalf("revision %q", d.Annotations[RevisionAnnotation])
			}
			if c := getCondition(d.Status, appsv1.DeploymentProgressing); c == nil || c.Reason != reasonNewRSAvailable {
				t.Fatalf("Progressing %+v", c)
			}
			if d.Status.UpdatedReplicas != tc.replicas || d.Status.Replicas != tc.replicas {
				t.Fatalf("status %+v", d.Status)
			}
		})
	}
}

func TestRollingUpdateWaitsForAvailability(t *testing.T) {
	k := newCluster(t, newDeployment("web", 3, rolling(intstr.FromInt32(1), intstr.FromInt32(0))))
	k.rollOut("web")
	d := k.deployment("web")
	d.Spec.Template.Spec.Containers[0].Image = "broken"
	k.update(d)
	k.sync("web")
	k.settle(false) // the new pod never becomes available
	for range 3 {
		k.sync("web")
		k.settle(false)
	}
	if got := k.sizes(); got != "3,1" {
		t.Fatalf("an unavailable new pod let old pods go: %s", got)
	}
	if c := k.condition("web", appsv1.DeploymentProgressing); c == nil || c.Reason != reasonRSUpdated && c.Reason != reasonNewRSCreated {
		t.Fatalf("Progressing %+v", c)
	}
	// Past the deadline the rollout is reported stuck.
	k.now = k.now.Add(601 * time.Second)
	k.sync("web")
	newRS := k.replicaSets()[1]
	c := k.condition("web", appsv1.DeploymentProgressing)
	if c == nil || c.Status != corev1.ConditionFalse || c.Reason != reasonTimedOut ||
		c.Message != fmt.Sprintf("ReplicaSet %q has timed out progressing.", newRS.Name) {
		t.Fatalf("Progressing after deadline %+v", c)
	}
}

func TestRecreate(t *testing.T) {
	k := newCluster(t, newDeployment("web", 3, appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}))
	k.rollOut("web")
	old := k.replicaSets()[0]
	// An old pod still running.
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "old-pod", Namespace: "default", Labels: old.Spec.Template.Labels,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(old, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	if _, err := k.client.CoreV1().Pods("default").Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	d := k.deployment("web")
	d.Spec.Template.Spec.Containers[0].Image = "demo:v2"
	k.update(d)
	k.sync("web")
	if got := k.sizes(); got != "0" {
		t.Fatalf("first step %s, want the old ReplicaSet at 0 and no new one", got)
	}
	k.settle(true)
	k.sync("web")
	if got := k.sizes(); got != "0" {
		t.Fatalf("new ReplicaSet created while an old pod runs: %s", got)
	}
	if err := k.client.CoreV1().Pods("default").Delete(context.Background(), "old-pod", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	k.refresh()
	k.sync("web")
	if got := k.sizes(); got != "0,3" {
		t.Fatalf("after the old pods are gone: %s", got)
	}
	k.settle(true)
	k.sync("web")
	if c := k.condition("web", appsv1.DeploymentProgressing); c == nil || c.Reason != reasonNewRSAvailable {
		t.Fatalf("Progressing %+v", c)
	}
}

func TestRevisionsAndRollback(t *testing.T) {
	k := newCluster(t, newDeployment("web", 2, rolling(intstr.FromInt32(1), intstr.FromInt32(0))))
	k.rollOut("web")
	d := k.deployment("web")
	d.Annotations = map[string]string{"kubernetes.io/change-cause": "v2", lastAppliedAnnotation: "{}"}
	d.Spec.Template.Spec.Containers[0].Image = "demo:v2"
	k.update(d)
	k.rollOut("web")
	rss := k.replicaSets()
	if len(rss) != 2 || rss[0].Annotations[RevisionAnnotation] != "1" || rss[1].Annotations[RevisionAnnotation] != "2" {
		t.Fatalf("revisions %v %v", rss[0].Annotations, rss[1].Annotations)
	}
	if rss[1].Annotations["kubernetes.io/change-cause"] != "v2" {
		t.Fatalf("change-cause not copied: %v", rss[1].Annotations)
	}
	if _, ok := rss[1].Annotations[lastAppliedAnnotation]; ok {
		t.Fatal("last-applied-configuration copied to the ReplicaSet")
	}
	// kubectl rollout undo: the template of revision 1 comes back.
	d = k.deployment("web")
	d.Spec.Template = *rss[0].Spec.Template.DeepCopy()
	delete(d.Spec.Template.Labels, HashLabel)
	k.update(d)
	k.rollOut("web")
	rss = k.replicaSets()
	if len(rss) != 2 {
		t.Fatalf("rollback created a ReplicaSet: %d", len(rss))
	}
	if rss[0].Annotations[RevisionAnnotation] != "3" || rss[0].Annotations[RevisionHistoryAnnotation] != "1" {
		t.Fatalf("rolled-back ReplicaSet annotations %v", rss[0].Annotations)
	}
	if got := k.deployment("web").Annotations[RevisionAnnotation]; got != "3" {
		t.Fatalf("deployment revision %q", got)
	}
	if got := k.sizes(); got != "2,0" {
		t.Fatalf("sizes %s", got)
	}
}

func TestCleanupHonoursRevisionHistoryLimit(t *testing.T) {
	d := newDeployment("web", 1, rolling(intstr.FromInt32(1), intstr.FromInt32(0)))
	d.Spec.RevisionHistoryLimit = ptr.To[int32](1)
	k := newCluster(t, d)
	k.rollOut("web")
	for _, image := range []string{"v2", "v3", "v4"} {
		d = k.deployment("web")
		d.Spec.Template.Spec.Containers[0].Image = image
		k.update(d)
		k.rollOut("web")
	}
	var revs []string
	for _, rs := range k.replicaSets() {
		revs = append(revs, rs.Annotations[RevisionAnnotation])
	}
	sort.Strings(revs)
	if !slices.Equal(revs, []string{"3", "4"}) {
		t.Fatalf("revisions kept %v, want the newest old one and the current one", revs)
	}
}

func TestScalingDuringAndAfterRollout(t *testing.T) {
	k := newCluster(t, newDeployment("web", 3, rolling(intstr.FromInt32(1), intstr.FromInt32(0))))
	k.rollOut("web")
	d := k.deployment("web")
	d.Spec.Replicas = ptr.To[int32](5)
	k.update(d)
	k.sync("web")
	if got := k.sizes(); got != "5" {
		t.Fatalf("scale up: %s", got)
	}
	rs := k.replicaSets()[0]
	if rs.Annotations[DesiredReplicasAnnotation] != "5" || rs.Annotations[MaxReplicasAnnotation] != "6" {
		t.Fatalf("replica annotations %v", rs.Annotations)
	}
	k.settle(true)
	d = k.deployment("web")
	d.Spec.Replicas = ptr.To[int32](1)
	k.update(d)
	k.sync("web")
	if got := k.sizes(); got != "1" {
		t.Fatalf("scale down: %s", got)
	}

	// Proportional: mid-rollout 10 → 20 with surge 3 (25%).
	k = newCluster(t, newDeployment("mid", 10, rolling(intstr.FromString("25%"), intstr.FromString("25%"))))
	k.rollOut("mid")
	d = k.deployment("mid")
	d.Spec.Template.Spec.Containers[0].Image = "demo:v2"
	k.update(d)
	k.sync("mid")
	k.settle(false)
	k.sync("mid")
	k.settle(false)
	if got := k.sizes(); got != "8,5" {
		t.Fatalf("mid-rollout sizes %s", got)
	}
	d = k.deployment("mid")
	d.Spec.Replicas = ptr.To[int32](20)
	k.update(d)
	k.sync("mid")
	// 13 pods were sized for 13 (10+3); 25 (20+5) are now allowed: 8 →
	// 15.4 ≈ 15, 5 → 9.6 ≈ 10.
	if got := k.sizes(); got != "15,10" {
		t.Fatalf("proportional scaling: %s", got)
	}
}

func TestPaused(t *testing.T) {
	k := newCluster(t, newDeployment("web", 2, rolling(intstr.FromInt32(1), intstr.FromInt32(0))))
	k.rollOut("web")
	d := k.deployment("web")
	d.Spec.Paused = true
	d.Spec.Template.Spec.Containers[0].Image = "demo:v2"
	k.update(d)
	k.sync("web")
	if len(k.replicaSets()) != 1 {
		t.Fatal("a paused Deployment rolled out")
	}
	c := k.condition("web", appsv1.DeploymentProgressing)
	if c == nil || c.Status != corev1.ConditionUnknown || c.Reason != reasonPaused || c.Message != "Deployment is paused" {
		t.Fatalf("Progressing %+v", c)
	}
	d = k.deployment("web")
	d.Spec.Replicas = ptr.To[int32](4)
	k.update(d)
	k.sync("web")
	if got := k.sizes(); got != "4" {
		t.Fatalf("paused Deployment did not scale: %s", got)
	}
	d = k.deployment("web")
	d.Spec.Paused = false
	k.update(d)
	k.sync("web")
	if c := k.condition("web", appsv1.DeploymentProgressing); c == nil || c.Reason != reasonNewRSCreated {
		// Resumed, then the rollout starts at once.
		t.Fatalf("Progressing after resume %+v", c)
	}
	if len(k.replicaSets()) != 2 {
		t.Fatal("resume did not roll out")
	}
}

func TestAdoptsAndReleasesReplicaSets(t *testing.T) {
	d := newDeployment("web", 1, rolling(intstr.FromInt32(1), intstr.FromInt32(0)))
	orphan := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "orphan", Namespace: "default", UID: "orphan-uid", Labels: map[string]string{"app": "web"}},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](0), Selector: d.Spec.Selector,
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}}},
	}
	stray := orphan.DeepCopy()
	stray.Name, stray.UID, stray.Labels = "stray", "stray-uid", map[string]string{"app": "other"}
	stray.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(d, controllerKind)}
	k := newCluster(t, d, orphan, stray)
	k.sync("web")
	var patched []string
	for _, a := range k.client.Actions() {
		if a.GetVerb() == "patch" {
			patched = append(patched, a.(clienttesting.PatchAction).GetName())
		}
	}
	sort.Strings(patched)
	if !slices.Equal(patched, []string{"orphan", "stray"}) {
		t.Fatalf("patched %v", patched)
	}
	got, _ := k.client.AppsV1().ReplicaSets("default").Get(context.Background(), "stray", metav1.GetOptions{})
	if len(got.OwnerReferences) != 0 {
		t.Fatalf("stray still owned: %+v", got.OwnerReferences)
	}
}

func TestFenceposts(t *testing.T) {
	cases := []struct {
		surge, unavailable intstr.IntOrString
		replicas           int32
		wantS, wantU       int32
	}{
		{intstr.FromString("25%"), intstr.FromString("25%"), 3, 1, 0},
		{intstr.FromString("25%"), intstr.FromString("25%"), 10, 3, 2},
		{intstr.FromString("25%"), intstr.FromString("25%"), 1, 1, 0},
		{intstr.FromInt32(0), intstr.FromInt32(0), 5, 0, 1},
		{intstr.FromString("50%"), intstr.FromString("50%"), 5, 3, 2},
		{intstr.FromInt32(2), intstr.FromString("100%"), 4, 2, 4},
	}
	for _, tc := range cases {
		s, u, err := fenceposts(&tc.surge, &tc.unavailable, tc.replicas)
		if err != nil || s != tc.wantS || u != tc.wantU {
			t.Errorf("fenceposts(%s, %s, %d) = %d, %d, %v; want %d, %d", tc.surge.String(), tc.unavailable.String(), tc.replicas, s, u, err, tc.wantS, tc.wantU)
		}
	}
}

func TestHashCollisionBumpsCollisionCount(t *testing.T) {
	d := newDeployment("web", 2, rolling(intstr.FromInt32(1), intstr.FromInt32(0)))
	hash := templateHash(&d.Spec.Template, nil)
	// Someone else's ReplicaSet already has the name the template hashes to.
	squatter := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-" + hash, Namespace: "default", UID: "squatter-uid", Labels: map[string]string{"app": "other"}},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](0), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "other"}}}},
	}
	k := newCluster(t, d, squatter)
	if err := k.c.sync(context.Background(), "default/web"); err == nil {
		t.Fatal("sync succeeded over a name collision")
	}
	k.refresh()
	if got := k.deployment("web").Status.CollisionCount; ptr.Deref(got, 0) != 1 {
		t.Fatalf("collisionCount %v", got)
	}
	k.sync("web")
	var names []string
	for _, rs := range k.replicaSets() {
		names = append(names, rs.Name)
	}
	want := "web-" + templateHash(&d.Spec.Template, ptr.To[int32](1))
	if !slices.Contains(names, want) || want == squatter.Name {
		t.Fatalf("ReplicaSets %v, want %s", names, want)
	}
}

func TestReplicaFailureIsCopied(t *testing.T) {
	k := newCluster(t, newDeployment("web", 2, rolling(intstr.FromInt32(1), intstr.FromInt32(0))))
	k.sync("web")
	rs := k.replicaSets()[0]
	rs.Status.Conditions = []appsv1.ReplicaSetCondition{{Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue,
		Reason: "FailedCreate", Message: "quota exceeded", LastTransitionTime: metav1.NewTime(t0)}}
	if _, err := k.client.AppsV1().ReplicaSets("default").UpdateStatus(context.Background(), rs, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	k.refresh()
	k.sync("web")
	c := k.condition("web", appsv1.DeploymentReplicaFailure)
	if c == nil || c.Status != corev1.ConditionTrue || c.Reason != "FailedCreate" || c.Message != "quota exceeded" {
		t.Fatalf("ReplicaFailure %+v", c)
	}
	rs = k.replicaSets()[0]
	rs.Status.Conditions = nil
	if _, err := k.client.AppsV1().ReplicaSets("default").UpdateStatus(context.Background(), rs, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	k.refresh()
	k.sync("web")
	if c := k.condition("web", appsv1.DeploymentReplicaFailure); c != nil {
		t.Fatalf("ReplicaFailure kept: %+v", c)
	}
}
