package job

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

// harness runs the controller's sync against a fake clientset that
// behaves like the API server where it matters here: generateName,
// UIDs, and deletion that waits for finalizers.
type harness struct {
	t      *testing.T
	client *fake.Clientset
	c      *Controller
	clock  *clocktesting.FakeClock
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, job *batchv1.Job) *harness {
	client := fake.NewClientset(job)
	h := &harness{t: t, client: client, clock: clocktesting.NewFakeClock(t0)}
	n := 0
	client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		pod := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		n++
		if pod.Name == "" {
			pod.Name = fmt.Sprintf("%s%05d", pod.GenerateName, n)
		}
		pod.UID = types.UID(fmt.Sprintf("pod-uid-%d", n))
		pod.CreationTimestamp = metav1.NewTime(h.clock.Now().Add(time.Duration(n) * time.Millisecond))
		pod.Status.Phase = corev1.PodPending
		return false, nil, nil
	})
	client.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		d := a.(k8stesting.DeleteAction)
		obj, err := client.Tracker().Get(corev1.SchemeGroupVersion.WithResource("pods"), d.GetNamespace(), d.GetName())
		if err != nil {
			return false, nil, nil
		}
		pod := obj.(*corev1.Pod)
		if len(pod.Finalizers) == 0 {
			return false, nil, nil
		}
		if pod.DeletionTimestamp == nil {
			pod.DeletionTimestamp = ptr.To(metav1.NewTime(h.clock.Now()))
			pod.DeletionGracePeriodSeconds = ptr.To[int64](0)
		}
		return true, nil, client.Tracker().Update(corev1.SchemeGroupVersion.WithResource("pods"), pod, pod.Namespace)
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	h.c = New(client, factory, h.clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.c.backoffBase = 0
	return h
}

// sync runs one sync, then lets the "API server" drop deleted pods whose
// finalizers are gone.
func (h *harness) sync() time.Duration {
	h.t.Helper()
	after, err := h.c.sync(context.Background(), "ns/pi")
	if err != nil {
		h.t.Fatalf("sync: %v", err)
	}
	for _, pod := range h.pods() {
		if pod.DeletionTimestamp != nil && len(pod.Finalizers) == 0 {
			if err := h.client.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("pods"), "ns", pod.Name); err != nil {
				h.t.Fatal(err)
			}
		}
	}
	return after
}

func (h *harness) pods() []*corev1.Pod {
	h.t.Helper()
	list, err := h.client.CoreV1().Pods("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []*corev1.Pod
	for i := range list.Items {
		out = append(out, &list.Items[i])
	}
	slices.SortFunc(out, func(a, b *corev1.Pod) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
	return out
}

func (h *harness) activePods() []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range h.pods() {
		if isActive(p) {
			out = append(out, p)
		}
	}
	return out
}

func (h *harness) job() *batchv1.Job {
	h.t.Helper()
	job, err := h.client.BatchV1().Jobs("ns").Get(context.Background(), "pi", metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return job
}

// finish is the test kubelet: the pod ran and ended in phase.
func (h *harness) finish(pod *corev1.Pod, phase corev1.PodPhase) {
	h.t.Helper()
	pod = pod.DeepCopy()
	pod.Status.Phase = phase
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}
	if _, err := h.client.CoreV1().Pods("ns").UpdateStatus(context.Background(), pod, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) run(pod *corev1.Pod) {
	h.t.Helper()
	pod = pod.DeepCopy()
	pod.Status.Phase = corev1.PodRunning
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	if _, err := h.client.CoreV1().Pods("ns").UpdateStatus(context.Background(), pod, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func conditionTypes(job *batchv1.Job) []string {
	var out []string
	for _, c := range job.Status.Conditions {
		out = append(out, fmt.Sprintf("%s=%s/%s", c.Type, c.Status, c.Reason))
	}
	return out
}

// newJob is a Job as the API server stores it: defaulted, with the
// generated selector and labels.
func newJob(completions, parallelism *int32) *batchv1.Job {
	labels := map[string]string{
		batchv1.ControllerUidLabel: "job-uid", "controller-uid": "job-uid",
		batchv1.JobNameLabel: "pi", "job-name": "pi",
	}
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "ns", UID: "job-uid", CreationTimestamp: metav1.NewTime(t0)},
		Spec: batchv1.JobSpec{
			Completions:    completions,
			Parallelism:    parallelism,
			BackoffLimit:   ptr.To[int32](6),
			CompletionMode: ptr.To(batchv1.NonIndexedCompletion),
			Suspend:        ptr.To(false),
			Selector:       &metav1.LabelSelector{MatchLabels: map[string]string{batchv1.ControllerUidLabel: "job-uid"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "pi", Image: "perl"}},
				},
			},
		},
	}
}

func TestCompletionsWithParallelism(t *testing.T) {
	h := newHarness(t, newJob(ptr.To[int32](6), ptr.To[int32](2)))
	created := map[string]bool{}
	for step := 0; step < 20; step++ {
		h.sync()
		active := h.activePods()
		if len(active) > 2 {
			t.Fatalf("step %d: %d active pods, parallelism is 2", step, len(active))
		}
		if st := h.job().Status; st.Active > 2 {
			t.Fatalf("step %d: status.active %d", step, st.Active)
		}
		if finishedCondition(h.job()) != nil {
			break
		}
		for _, p := range active {
			created[p.Name] = true
			h.run(p)
		}
		h.sync()
		if st := h.job().Status; ptr.Deref(st.Ready, 0) != int32(len(active)) {
			t.Fatalf("step %d: ready %v, want %d", step, st.Ready, len(active))
		}
		// One pod at a time finishes, so a replacement appears each sync.
		if len(active) > 0 {
			h.finish(h.activePods()[0], corev1.PodSucceeded)
		}
	}
	job := h.job()
	st := job.Status
	if len(created) != 6 || st.Succeeded != 6 || st.Failed != 0 || st.Active != 0 {
		t.Fatalf("created %d pods; status %+v", len(created), st)
	}
	if got, want := conditionTypes(job), []string{"SuccessCriteriaMet=True/CompletionsReached", "Complete=True/CompletionsReached"}; !slices.Equal(got, want) {
		t.Fatalf("conditions %v, want %v", got, want)
	}
	if st.CompletionTime == nil || st.StartTime == nil || st.UncountedTerminatedPods == nil ||
		len(st.UncountedTerminatedPods.Succeeded)+len(st.UncountedTerminatedPods.Failed) != 0 {
		t.Fatalf("status %+v", st)
	}
	for _, p := range h.pods() {
		if hasFinalizer(p) {
			t.Errorf("%s keeps the tracking finalizer", p.Name)
		}
	}
}

func TestPodShape(t *testing.T) {
	h := newHarness(t, newJob(nil, nil))
	h.sync()
	pods := h.pods()
	if len(pods) != 1 {
		t.Fatalf("%d pods", len(pods))
	}
	p := pods[0]
	if p.GenerateName != "pi-" || !hasFinalizer(p) {
		t.Errorf("generateName %q finalizers %v", p.GenerateName, p.Finalizers)
	}
	for _, l := range []string{batchv1.ControllerUidLabel, "controller-uid", batchv1.JobNameLabel, "job-name"} {
		if p.Labels[l] == "" {
			t.Errorf("label %s missing: %v", l, p.Labels)
		}
	}
	if ref := metav1.GetControllerOf(p); ref == nil || ref.Kind != "Job" || ref.UID != "job-uid" {
		t.Errorf("controller ref %+v", ref)
	}
	// A work queue (no completions) is complete when one pod succeeded and
	// none is active.
	h.finish(p, corev1.PodSucceeded)
	h.sync()
	if c := finishedCondition(h.job()); c == nil || c.Type != batchv1.JobComplete {
		t.Fatalf("conditions %v", conditionTypes(h.job()))
	}
}

func TestBackoffLimitExceeded(t *testing.T) {
	job := newJob(ptr.To[int32](4), ptr.To[int32](2))
	job.Spec.BackoffLimit = ptr.To[int32](2)
	h := newHarness(t, job)
	h.sync()
	for i := 0; i < 3; i++ {
		active := h.activePods()
		if len(active) == 0 {
			t.Fatalf("round %d: no active pod", i)
		}
		h.finish(active[0], corev1.PodFailed)
		h.sync()
	}
	// Three failures > backoffLimit 2: FailureTarget, the active pod is
	// deleted, then Failed once it is gone.
	for range 3 {
		h.sync()
	}
	job = h.job()
	if got, want := conditionTypes(job), []string{"FailureTarget=True/BackoffLimitExceeded", "Failed=True/BackoffLimitExceeded"}; !slices.Equal(got, want) {
		t.Fatalf("conditions %v, want %v", got, want)
	}
	if len(h.activePods()) != 0 {
		t.Fatalf("active pods left: %d", len(h.activePods()))
	}
	// The deleted active pod counts as failed too, as in kube.
	if st := job.Status; st.Failed != 4 || st.Active != 0 || st.CompletionTime != nil || ptr.Deref(st.Terminating, -1) != 0 {
		t.Fatalf("status %+v", st)
	}
	for _, p := range h.pods() {
		if hasFinalizer(p) {
			t.Errorf("%s keeps the tracking finalizer", p.Name)
		}
	}
}

func TestRestartsCountAgainstBackoffLimitOnFailure(t *testing.T) {
	job := newJob(ptr.To[int32](1), ptr.To[int32](1))
	job.Spec.BackoffLimit = ptr.To[int32](2)
	job.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	h := newHarness(t, job)
	h.sync()
	pod := h.activePods()[0]
	pod.Status.Phase = corev1.PodRunning
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "pi", RestartCount: 2}}
	if _, err := h.client.CoreV1().Pods("ns").UpdateStatus(context.Background(), pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.sync()
	h.sync()
	if c := finishedCondition(h.job()); c == nil || c.Type != batchv1.JobFailed || c.Reason != batchv1.JobReasonBackoffLimitExceeded {
		t.Fatalf("conditions %v", conditionTypes(h.job()))
	}
}

func TestFailedPodsAreReplacedAfterBackoff(t *testing.T) {
	h := newHarness(t, newJob(ptr.To[int32](1), ptr.To[int32](1)))
	h.c.backoffBase = 10 * time.Second
	h.sync()
	h.finish(h.activePods()[0], corev1.PodFailed)
	if after := h.sync(); after != 10*time.Second || len(h.activePods()) != 0 {
		t.Fatalf("requeue %s with %d active, want 10s and none", after, len(h.activePods()))
	}
	h.clock.Step(10 * time.Second)
	h.sync()
	if len(h.activePods()) != 1 {
		t.Fatalf("no replacement after the backoff")
	}
	h.finish(h.activePods()[0], corev1.PodFailed)
	if after := h.sync(); after != 20*time.Second {
		t.Fatalf("second backoff %s, want 20s", after)
	}
	if st := h.job().Status; st.Failed != 2 {
		t.Fatalf("failed %d", st.Failed)
	}
}

func TestIndexed(t *testing.T) {
	job := newJob(ptr.To[int32](3), ptr.To[int32](3))
	job.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
	h := newHarness(t, job)
	h.sync()
	byIndex := map[string]*corev1.Pod{}
	for _, p := range h.pods() {
		ix := p.Annotations[batchv1.JobCompletionIndexAnnotation]
		byIndex[ix] = p
		if p.Labels[batchv1.JobCompletionIndexAnnotation] != ix || p.GenerateName != "pi-"+ix+"-" || p.Spec.Hostname != "pi-"+ix {
			t.Errorf("pod %s: label %q generateName %q hostname %q", p.Name, p.Labels[batchv1.JobCompletionIndexAnnotation], p.GenerateName, p.Spec.Hostname)
		}
		env := p.Spec.Containers[0].Env
		if len(env) != 1 || env[0].Name != "JOB_COMPLETION_INDEX" || env[0].ValueFrom.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
			t.Errorf("pod %s env %+v", p.Name, env)
		}
	}
	if len(byIndex) != 3 || byIndex["0"] == nil || byIndex["1"] == nil || byIndex["2"] == nil {
		t.Fatalf("indexes %v", byIndex)
	}
	h.finish(byIndex["1"], corev1.PodSucceeded)
	h.finish(byIndex["0"], corev1.PodFailed)
	h.sync()
	if st := h.job().Status; st.CompletedIndexes != "1" || st.Succeeded != 1 || st.Failed != 1 {
		t.Fatalf("status %+v", st)
	}
	// Index 0 is retried, index 1 is not.
	var again []string
	for _, p := range h.activePods() {
		again = append(again, p.Annotations[batchv1.JobCompletionIndexAnnotation])
	}
	slices.Sort(again)
	if !slices.Equal(again, []string{"0", "2"}) {
		t.Fatalf("active indexes %v, want [0 2]", again)
	}
	for _, p := range h.activePods() {
		h.finish(p, corev1.PodSucceeded)
	}
	h.sync()
	job = h.job()
	if job.Status.CompletedIndexes != "0-2" || job.Status.Succeeded != 3 || finishedCondition(job) == nil || finishedCondition(job).Type != batchv1.JobComplete {
		t.Fatalf("status %+v", job.Status)
	}
}

func TestIndexedDuplicateIsDeleted(t *testing.T) {
	job := newJob(ptr.To[int32](2), ptr.To[int32](2))
	job.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
	h := newHarness(t, job)
	h.sync()
	dup := newPod(h.job(), 0)
	if _, err := h.client.CoreV1().Pods("ns").Create(context.Background(), dup, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.sync()
	if n := len(h.activePods()); n != 2 {
		t.Fatalf("%d active pods, want the duplicate gone", n)
	}
	if st := h.job().Status; st.Failed != 0 {
		t.Fatalf("the duplicate counted as failed: %+v", st)
	}
}

func TestActiveDeadline(t *testing.T) {
	job := newJob(ptr.To[int32](2), ptr.To[int32](2))
	job.Spec.ActiveDeadlineSeconds = ptr.To[int64](30)
	h := newHarness(t, job)
	if after := h.sync(); after != 30*time.Second {
		t.Fatalf("requeue %s, want 30s", after)
	}
	h.clock.Step(30 * time.Second)
	h.sync()
	h.sync()
	if got, want := conditionTypes(h.job()), []string{"FailureTarget=True/DeadlineExceeded", "Failed=True/DeadlineExceeded"}; !slices.Equal(got, want) {
		t.Fatalf("conditions %v, want %v", got, want)
	}
	if len(h.activePods()) != 0 {
		t.Fatal("pods still active past the deadline")
	}
}

func TestSuspendAndResume(t *testing.T) {
	job := newJob(ptr.To[int32](2), ptr.To[int32](2))
	job.Spec.Suspend = ptr.To(true)
	h := newHarness(t, job)
	h.sync()
	job = h.job()
	if len(h.pods()) != 0 || job.Status.StartTime != nil {
		t.Fatalf("suspended job started: %d pods, startTime %v", len(h.pods()), job.Status.StartTime)
	}
	if got := conditionTypes(job); !slices.Equal(got, []string{"Suspended=True/JobSuspended"}) {
		t.Fatalf("conditions %v", got)
	}
	h.clock.Step(time.Minute)
	job.Spec.Suspend = ptr.To(false)
	if _, err := h.client.BatchV1().Jobs("ns").Update(context.Background(), job, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.sync()
	job = h.job()
	if len(h.activePods()) != 2 || job.Status.StartTime == nil || !job.Status.StartTime.Time.Equal(t0.Add(time.Minute)) {
		t.Fatalf("resumed: %d pods, startTime %v", len(h.activePods()), job.Status.StartTime)
	}
	if got := conditionTypes(job); !slices.Equal(got, []string{"Suspended=False/JobResumed"}) {
		t.Fatalf("conditions %v", got)
	}
	// Suspending again deletes the pods without counting them as failed.
	job.Spec.Suspend = ptr.To(true)
	if _, err := h.client.BatchV1().Jobs("ns").Update(context.Background(), job, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.sync()
	h.sync()
	if st := h.job().Status; len(h.pods()) != 0 || st.Failed != 0 || st.Active != 0 {
		t.Fatalf("suspended again: %d pods, status %+v", len(h.pods()), st)
	}
}

func TestUncountedPodsAreCountedOnce(t *testing.T) {
	job := newJob(ptr.To[int32](3), ptr.To[int32](1))
	h := newHarness(t, job)
	h.sync()
	first := h.activePods()[0]
	h.finish(first, corev1.PodSucceeded)
	// A previous run recorded the pod as uncounted and crashed before
	// removing its finalizer: it must be counted exactly once.
	job = h.job()
	job.Status.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{Succeeded: []types.UID{first.UID}}
	if _, err := h.client.BatchV1().Jobs("ns").UpdateStatus(context.Background(), job, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.sync()
	h.sync()
	if st := h.job().Status; st.Succeeded != 1 || len(st.UncountedTerminatedPods.Succeeded) != 0 {
		t.Fatalf("status %+v", st)
	}
}

func TestTTLAfterFinished(t *testing.T) {
	job := newJob(ptr.To[int32](1), ptr.To[int32](1))
	job.Spec.TTLSecondsAfterFinished = ptr.To[int32](5)
	h := newHarness(t, job)
	h.sync()
	h.finish(h.activePods()[0], corev1.PodSucceeded)
	h.sync()
	if after := h.sync(); after != 5*time.Second {
		t.Fatalf("requeue %s, want 5s", after)
	}
	h.clock.Step(5 * time.Second)
	h.sync()
	if _, err := h.client.BatchV1().Jobs("ns").Get(context.Background(), "pi", metav1.GetOptions{}); err == nil {
		t.Fatal("job not deleted after its TTL")
	}
}

func TestOrphanPodLosesFinalizer(t *testing.T) {
	h := newHarness(t, newJob(ptr.To[int32](1), ptr.To[int32](1)))
	h.sync()
	pod := h.activePods()[0]
	if err := h.client.BatchV1().Jobs("ns").Delete(context.Background(), "pi", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := h.c.syncOrphanPod(context.Background(), "ns/"+pod.Name); err != nil {
		t.Fatal(err)
	}
	if p := h.pods()[0]; hasFinalizer(p) {
		t.Fatalf("finalizers %v", p.Finalizers)
	}
}

func TestIndexSetString(t *testing.T) {
	cases := map[string]string{"": "", "1": "1", "0,1": "0-1", "3,1,2,7,5,6": "1-3,5-7", "0-2,4": "0-2,4", "9": ""}
	for in, want := range cases {
		if got := parseIndexes(in, 8).String(); got != want {
			t.Errorf("parse(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPodOfMissingJobIsQueuedForRelease(t *testing.T) {
	h := newHarness(t, newJob(ptr.To[int32](1), ptr.To[int32](1)))
	gone := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "gone", Namespace: "ns", UID: "gone-uid"}}
	pod := newPod(gone, noIndex)
	pod.Name = "gone-abcde"
	h.c.podChanged(pod)
	var keys []string
	for h.c.queue.Len() > 0 {
		k, _ := h.c.queue.Get()
		keys = append(keys, k)
		h.c.queue.Done(k)
	}
	slices.Sort(keys)
	if want := []string{"ns/gone", "pod:ns/gone-abcde"}; !slices.Equal(keys, want) {
		t.Fatalf("queued %v, want %v", keys, want)
	}
}
