package cronjob

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // timeZone tests must not depend on the host's zoneinfo

	batchv1 "k8s.io/api/batch/v1"
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

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type harness struct {
	t      *testing.T
	client *fake.Clientset
	c      *Controller
	clock  *clocktesting.FakeClock
	cjIdx  cache.Indexer
	jobIdx cache.Indexer
}

func newHarness(t *testing.T, cj *batchv1.CronJob) *harness {
	client := fake.NewClientset(cj)
	h := &harness{t: t, client: client, clock: clocktesting.NewFakeClock(t0)}
	n := 0
	client.PrependReactor("create", "jobs", func(a k8stesting.Action) (bool, runtime.Object, error) {
		job := a.(k8stesting.CreateAction).GetObject().(*batchv1.Job)
		n++
		job.UID = types.UID(fmt.Sprintf("job-uid-%d", n))
		return false, nil, nil
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	h.c = New(client, factory, h.clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.cjIdx = factory.Batch().V1().CronJobs().Informer().GetIndexer()
	h.jobIdx = factory.Batch().V1().Jobs().Informer().GetIndexer()
	return h
}

func (h *harness) refresh() {
	h.t.Helper()
	var cjs, jobs []interface{}
	cjl, err := h.client.BatchV1().CronJobs("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	for i := range cjl.Items {
		cjs = append(cjs, &cjl.Items[i])
	}
	for _, j := range h.jobs() {
		jobs = append(jobs, j)
	}
	_ = h.cjIdx.Replace(cjs, "")
	_ = h.jobIdx.Replace(jobs, "")
}

func (h *harness) syncAt(at time.Time) time.Duration {
	h.t.Helper()
	h.clock.SetTime(at)
	h.refresh()
	after, err := h.c.sync(context.Background(), "ns/hello")
	if err != nil {
		h.t.Fatalf("sync: %v", err)
	}
	return after
}

func (h *harness) jobs() []*batchv1.Job {
	h.t.Helper()
	list, err := h.client.BatchV1().Jobs("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []*batchv1.Job
	for i := range list.Items {
		out = append(out, &list.Items[i])
	}
	slices.SortFunc(out, func(a, b *batchv1.Job) int { return byName(a.Name, b.Name) })
	return out
}

func byName(a, b string) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

func (h *harness) jobNames() []string {
	var out []string
	for _, j := range h.jobs() {
		out = append(out, j.Name)
	}
	return out
}

func (h *harness) cronJob() *batchv1.CronJob {
	h.t.Helper()
	cj, err := h.client.BatchV1().CronJobs("ns").Get(context.Background(), "hello", metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return cj
}

// finish marks a Job finished as the job controller would.
func (h *harness) finish(name string, t batchv1.JobConditionType, at time.Time) {
	h.t.Helper()
	job, err := h.client.BatchV1().Jobs("ns").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	job.Status.StartTime = ptr.To(metav1.NewTime(at.Add(-time.Second)))
	job.Status.Conditions = append(job.Status.Conditions, batchv1.JobCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(at)})
	if t == batchv1.JobComplete {
		job.Status.CompletionTime = ptr.To(metav1.NewTime(at))
	}
	if _, err := h.client.BatchV1().Jobs("ns").UpdateStatus(context.Background(), job, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func newCronJob(schedule string, policy batchv1.ConcurrencyPolicy) *batchv1.CronJob {
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "ns", UID: "cj-uid", CreationTimestamp: metav1.NewTime(t0)},
		Spec: batchv1.CronJobSpec{
			Schedule:          schedule,
			ConcurrencyPolicy: policy,
			Suspend:           ptr.To(false),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "hello"}, Annotations: map[string]string{"note": "x"}},
				Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyOnFailure,
					Containers:    []corev1.Container{{Name: "hello", Image: "busybox"}},
				}}},
			},
		},
	}
}

// name is the Job name for a scheduled time.
func name(at time.Time) string { return fmt.Sprintf("hello-%d", at.Unix()/60) }

func TestScheduleCreatesNamedJobs(t *testing.T) {
	h := newHarness(t, newCronJob("*/5 * * * *", batchv1.AllowConcurrent))
	if after := h.syncAt(t0.Add(time.Minute)); after != 4*time.Minute+nextDelta {
		t.Fatalf("requeue %s, want 4m0.1s", after)
	}
	if len(h.jobs()) != 0 {
		t.Fatalf("jobs %v before the first scheduled time", h.jobNames())
	}
	at := t0.Add(5 * time.Minute)
	if after := h.syncAt(at); after != 5*time.Minute+nextDelta {
		t.Fatalf("requeue %s, want 5m0.1s", after)
	}
	if got, want := h.jobNames(), []string{name(at)}; !slices.Equal(got, want) {
		t.Fatalf("jobs %v, want %v", got, want)
	}
	job := h.jobs()[0]
	if job.Name != "hello-29453765" {
		t.Errorf("name %s", job.Name)
	}
	if job.Annotations[batchv1.CronJobScheduledTimestampAnnotation] != "2026-01-01T00:05:00Z" || job.Annotations["note"] != "x" || job.Labels["app"] != "hello" {
		t.Errorf("metadata %v %v", job.Labels, job.Annotations)
	}
	if ref := metav1.GetControllerOf(job); ref == nil || ref.Kind != "CronJob" || ref.UID != "cj-uid" {
		t.Errorf("controller ref %+v", ref)
	}
	if job.Spec.Template.Spec.Containers[0].Image != "busybox" {
		t.Errorf("spec not from the template")
	}
	st := h.cronJob().Status
	if len(st.Active) != 1 || st.Active[0].Name != job.Name || st.Active[0].UID != job.UID || st.Active[0].Kind != "Job" ||
		st.LastScheduleTime == nil || !st.LastScheduleTime.Time.Equal(at) {
		t.Fatalf("status %+v", st)
	}
	// The same time is not run twice.
	h.syncAt(at.Add(30 * time.Second))
	if len(h.jobs()) != 1 {
		t.Fatalf("jobs %v", h.jobNames())
	}
	// Finishing the Job empties active and records the success.
	done := at.Add(40 * time.Second)
	h.finish(job.Name, batchv1.JobComplete, done)
	h.syncAt(at.Add(time.Minute))
	if st := h.cronJob().Status; len(st.Active) != 0 || st.LastSuccessfulTime == nil || !st.LastSuccessfulTime.Time.Equal(done) {
		t.Fatalf("status %+v", st)
	}
}

func TestOnlyMostRecentMissedTimeRuns(t *testing.T) {
	h := newHarness(t, newCronJob("@hourly", batchv1.AllowConcurrent))
	h.syncAt(t0.Add(5*time.Hour + 10*time.Minute))
	if got, want := h.jobNames(), []string{name(t0.Add(5 * time.Hour))}; !slices.Equal(got, want) {
		t.Fatalf("jobs %v, want %v", got, want)
	}
}

func TestStartingDeadline(t *testing.T) {
	cj := newCronJob("*/5 * * * *", batchv1.AllowConcurrent)
	cj.Spec.StartingDeadlineSeconds = ptr.To[int64](60)
	h := newHarness(t, cj)
	h.syncAt(t0.Add(7 * time.Minute)) // 00:05 is 2m late
	if len(h.jobs()) != 0 {
		t.Fatalf("ran a time past its deadline: %v", h.jobNames())
	}
	h.syncAt(t0.Add(10*time.Minute + 30*time.Second))
	if got, want := h.jobNames(), []string{name(t0.Add(10 * time.Minute))}; !slices.Equal(got, want) {
		t.Fatalf("jobs %v, want %v", got, want)
	}
}

func TestConcurrencyPolicy(t *testing.T) {
	first, second := t0.Add(time.Minute), t0.Add(2*time.Minute)
	cases := []struct {
		policy     batchv1.ConcurrencyPolicy
		wantJobs   []string
		wantActive []string
	}{
		{batchv1.AllowConcurrent, []string{name(first), name(second)}, []string{name(first), name(second)}},
		{batchv1.ForbidConcurrent, []string{name(first)}, []string{name(first)}},
		{batchv1.ReplaceConcurrent, []string{name(second)}, []string{name(second)}},
	}
	for _, tc := range cases {
		t.Run(string(tc.policy), func(t *testing.T) {
			h := newHarness(t, newCronJob("* * * * *", tc.policy))
			h.syncAt(first)
			h.syncAt(second)
			if got := h.jobNames(); !slices.Equal(got, tc.wantJobs) {
				t.Fatalf("jobs %v, want %v", got, tc.wantJobs)
			}
			var active []string
			for _, r := range h.cronJob().Status.Active {
				active = append(active, r.Name)
			}
			slices.Sort(active)
			if !slices.Equal(active, tc.wantActive) {
				t.Fatalf("active %v, want %v", active, tc.wantActive)
			}
		})
	}
}

func TestForbidRunsOnceTheActiveJobFinishes(t *testing.T) {
	h := newHarness(t, newCronJob("* * * * *", batchv1.ForbidConcurrent))
	first := t0.Add(time.Minute)
	h.syncAt(first)
	h.syncAt(first.Add(time.Minute)) // skipped: still active
	h.finish(name(first), batchv1.JobComplete, first.Add(70*time.Second))
	h.syncAt(first.Add(75 * time.Second))
	if got, want := h.jobNames(), []string{name(first), name(first.Add(time.Minute))}; !slices.Equal(got, want) {
		t.Fatalf("jobs %v, want %v", got, want)
	}
}

func TestHistoryLimits(t *testing.T) {
	cj := newCronJob("* * * * *", batchv1.AllowConcurrent)
	cj.Spec.SuccessfulJobsHistoryLimit = ptr.To[int32](2)
	cj.Spec.FailedJobsHistoryLimit = ptr.To[int32](1)
	h := newHarness(t, cj)
	outcome := []batchv1.JobConditionType{batchv1.JobComplete, batchv1.JobFailed, batchv1.JobComplete, batchv1.JobFailed, batchv1.JobComplete, batchv1.JobComplete}
	var names []string
	for i, o := range outcome {
		at := t0.Add(time.Duration(i+1) * time.Minute)
		h.syncAt(at)
		names = append(names, name(at))
		h.finish(name(at), o, at.Add(30*time.Second))
	}
	h.syncAt(t0.Add(6*time.Minute + 45*time.Second))
	// Kept: the two newest successes (5th, 6th) and the newest failure (4th).
	want := []string{names[3], names[4], names[5]}
	if got := h.jobNames(); !slices.Equal(got, want) {
		t.Fatalf("jobs %v, want %v", got, want)
	}
}

func TestTimeZone(t *testing.T) {
	cj := newCronJob("0 9 * * *", batchv1.AllowConcurrent)
	cj.Spec.TimeZone = ptr.To("America/New_York")
	h := newHarness(t, cj)
	h.syncAt(time.Date(2026, 1, 1, 13, 59, 0, 0, time.UTC))
	if len(h.jobs()) != 0 {
		t.Fatalf("ran before 9:00 New York: %v", h.jobNames())
	}
	at := time.Date(2026, 1, 1, 14, 0, 0, 0, time.UTC) // 09:00 EST
	h.syncAt(at.Add(time.Second))
	jobs := h.jobs()
	if len(jobs) != 1 || jobs[0].Name != name(at) {
		t.Fatalf("jobs %v, want [%s]", h.jobNames(), name(at))
	}
	if ts := jobs[0].Annotations[batchv1.CronJobScheduledTimestampAnnotation]; ts != "2026-01-01T09:00:00-05:00" {
		t.Fatalf("scheduled timestamp %q", ts)
	}
}

func TestSuspendAndBadSchedule(t *testing.T) {
	cj := newCronJob("* * * * *", batchv1.AllowConcurrent)
	cj.Spec.Suspend = ptr.To(true)
	h := newHarness(t, cj)
	if after := h.syncAt(t0.Add(10 * time.Minute)); after != 0 || len(h.jobs()) != 0 {
		t.Fatalf("suspended: requeue %s, jobs %v", after, h.jobNames())
	}
	h2 := newHarness(t, newCronJob("61 * * * *", batchv1.AllowConcurrent))
	if after := h2.syncAt(t0.Add(10 * time.Minute)); after != 0 || len(h2.jobs()) != 0 {
		t.Fatalf("bad schedule: requeue %s, jobs %v", after, h2.jobNames())
	}
}

func TestMissingActiveJobIsDropped(t *testing.T) {
	h := newHarness(t, newCronJob("*/5 * * * *", batchv1.ForbidConcurrent))
	at := t0.Add(5 * time.Minute)
	h.syncAt(at)
	if err := h.client.BatchV1().Jobs("ns").Delete(context.Background(), name(at), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.syncAt(at.Add(time.Minute))
	if st := h.cronJob().Status; len(st.Active) != 0 {
		t.Fatalf("active %v", st.Active)
	}
}
