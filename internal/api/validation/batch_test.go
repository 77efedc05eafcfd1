package validation

import (
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Error texts below are github.com/robfig/cron/v3 ParseStandard's, which kube
// puts verbatim in the schedule error.
func TestCheckCronSchedule(t *testing.T) {
	cases := map[string]string{
		"* * * * *":        "",
		"*/5 * * * *":      "",
		"0 0 * * mon-fri":  "",
		"0 0 1 jan,jul *":  "",
		"15 3 * * 0":       "",
		"@hourly":          "",
		"@every 1h30m":     "",
		"foo":              "expected exactly 5 fields, found 1: [foo]",
		"* * * *":          "expected exactly 5 fields, found 4: [* * * *]",
		"0 0 0 * * *":      "expected exactly 5 fields, found 6: [0 0 0 * * *]",
		"60 * * * *":       "end of range (60) above maximum (59): 60",
		"* * 0 * *":        "beginning of range (0) below minimum (1): 0",
		"* * * * 7":        "end of range (7) above maximum (6): 7",
		"x * * * *":        `failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax`,
		"5-1 * * * *":      "beginning of range (5) beyond end of range (1): 5-1",
		"*/0 * * * *":      "step of range should be a positive number: */0",
		"1-2-3 * * * *":    "too many hyphens: 1-2-3",
		"@weekdays":        "unrecognized descriptor: @weekdays",
		"@every soon":      `failed to parse duration @every soon: time: invalid duration "soon"`,
		"TZ=Nowhere * * *": `provided bad location Nowhere: unknown time zone Nowhere`,
	}
	for spec, want := range cases {
		got := ""
		if err := checkCronSchedule(spec); err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("checkCronSchedule(%q) = %q, want %q", spec, got, want)
		}
	}
}

func jobTemplate(restart corev1.RestartPolicy, labels map[string]string) corev1.PodTemplateSpec {
	tmpl := podTemplate(labels)
	tmpl.Spec.RestartPolicy = restart
	tmpl.Spec.Containers[0].Ports = nil
	return tmpl
}

func job(mutate func(*batchv1.Job)) *batchv1.Job {
	generated := map[string]string{batchv1.ControllerUidLabel: "uid-1", batchv1.JobNameLabel: "pi"}
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "default", UID: types.UID("uid-1")},
		Spec: batchv1.JobSpec{
			Parallelism:  ptr(int32(1)),
			Completions:  ptr(int32(1)),
			BackoffLimit: ptr(int32(6)),
			Selector:     &metav1.LabelSelector{MatchLabels: map[string]string{batchv1.ControllerUidLabel: "uid-1"}},
			Template:     jobTemplate(corev1.RestartPolicyNever, generated),
		},
	}
	if mutate != nil {
		mutate(j)
	}
	return j
}

func TestValidateJob(t *testing.T) {
	const pfx = `Job.batch "pi" is invalid: `
	cases := []struct {
		name   string
		j      *batchv1.Job
		expect string
	}{
		{"valid", job(nil), ""},
		{"restartPolicy Always", job(func(j *batchv1.Job) { j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways }),
			pfx + `spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"`},
		{"negative backoffLimit", job(func(j *batchv1.Job) { j.Spec.BackoffLimit = ptr(int32(-1)) }),
			pfx + `spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0`},
		{"manual selector not matching", job(func(j *batchv1.Job) {
			j.Spec.ManualSelector = ptr(true)
			j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "pi"}}
		}), pfx + "spec.template.metadata.labels: Invalid value: {\"batch.kubernetes.io/controller-uid\":\"uid-1\",\"batch.kubernetes.io/job-name\":\"pi\"}: `selector` does not match template `labels`"},
		{"generated label missing", job(func(j *batchv1.Job) { delete(j.Spec.Template.Labels, batchv1.JobNameLabel) }),
			pfx + `spec.template.metadata.labels[batch.kubernetes.io/job-name]: Required value: must be 'pi'`},
		{"no containers", job(func(j *batchv1.Job) { j.Spec.Template.Spec.Containers = nil }),
			pfx + `spec.template.spec.containers: Required value`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "batch", "Job", tc.j.Name, ValidateJob(tc.j), tc.expect)
		})
	}

	old := job(func(j *batchv1.Job) { j.ResourceVersion = "4" })
	more := job(func(j *batchv1.Job) { j.ResourceVersion = "4"; j.Spec.Completions = ptr(int32(5)) })
	checkMessage(t, "batch", "Job", "pi", ValidateJobUpdate(more, old), pfx+`spec.completions: Invalid value: 5: field is immutable`)
	faster := job(func(j *batchv1.Job) { j.ResourceVersion = "4"; j.Spec.Parallelism = ptr(int32(3)) })
	checkMessage(t, "batch", "Job", "pi", ValidateJobUpdate(faster, old), "")
}

func cronJob(mutate func(*batchv1.CronJob)) *batchv1.CronJob {
	cj := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: "default"},
		Spec: batchv1.CronJobSpec{
			Schedule:                   "0 3 * * *",
			ConcurrencyPolicy:          batchv1.AllowConcurrent,
			SuccessfulJobsHistoryLimit: ptr(int32(3)),
			FailedJobsHistoryLimit:     ptr(int32(1)),
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
				BackoffLimit: ptr(int32(6)),
				Template:     jobTemplate(corev1.RestartPolicyOnFailure, nil),
			}},
		},
	}
	if mutate != nil {
		mutate(cj)
	}
	return cj
}

func TestValidateCronJob(t *testing.T) {
	const pfx = `CronJob.batch "nightly" is invalid: `
	cases := []struct {
		name   string
		cj     *batchv1.CronJob
		expect string
	}{
		{"valid", cronJob(nil), ""},
		{"valid time zone", cronJob(func(c *batchv1.CronJob) { c.Spec.TimeZone = ptr("Etc/UTC") }), ""},
		{"schedule fields", cronJob(func(c *batchv1.CronJob) { c.Spec.Schedule = "0 0 3 * * *" }),
			pfx + `spec.schedule: Invalid value: "0 0 3 * * *": expected exactly 5 fields, found 6: [0 0 3 * * *]`},
		{"schedule range", cronJob(func(c *batchv1.CronJob) { c.Spec.Schedule = "0 24 * * *" }),
			pfx + `spec.schedule: Invalid value: "0 24 * * *": end of range (24) above maximum (23): 24`},
		{"schedule missing", cronJob(func(c *batchv1.CronJob) { c.Spec.Schedule = "" }),
			pfx + `spec.schedule: Required value`},
		{"TZ in schedule", cronJob(func(c *batchv1.CronJob) { c.Spec.Schedule = "TZ=UTC 0 3 * * *" }),
			pfx + `spec.schedule: Invalid value: "TZ=UTC 0 3 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead`},
		{"unknown time zone", cronJob(func(c *batchv1.CronJob) { c.Spec.TimeZone = ptr("Mars/Olympus") }),
			pfx + `spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus`},
		{"concurrencyPolicy", cronJob(func(c *batchv1.CronJob) { c.Spec.ConcurrencyPolicy = "Queue" }),
			pfx + `spec.concurrencyPolicy: Unsupported value: "Queue": supported values: "Allow", "Forbid", "Replace"`},
		{"template restartPolicy", cronJob(func(c *batchv1.CronJob) {
			c.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways
		}),
			pfx + `spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"`},
		{"template selector", cronJob(func(c *batchv1.CronJob) {
			c.Spec.JobTemplate.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}
		}), pfx + "spec.jobTemplate.spec.selector: Invalid value: {\"matchLabels\":{\"a\":\"b\"}}: `selector` will be auto-generated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "batch", "CronJob", tc.cj.Name, ValidateCronJob(tc.cj), tc.expect)
		})
	}

	long := cronJob(func(c *batchv1.CronJob) { c.Name = strings.Repeat("a", 53) })
	checkMessage(t, "batch", "CronJob", long.Name, ValidateCronJob(long),
		`CronJob.batch "`+long.Name+`" is invalid: metadata.name: Invalid value: "`+long.Name+`": must be no more than 52 characters`)

	// A TZ already in the stored schedule is tolerated on update.
	withTZ := func() *batchv1.CronJob {
		return cronJob(func(c *batchv1.CronJob) { c.ResourceVersion = "1"; c.Spec.Schedule = "CRON_TZ=UTC 0 3 * * *" })
	}
	checkMessage(t, "batch", "CronJob", "nightly", ValidateCronJobUpdate(withTZ(), withTZ()), "")
}

func TestValidateLease(t *testing.T) {
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "node-1", Namespace: "kube-node-lease"},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr("node-1"), LeaseDurationSeconds: ptr(int32(40))},
	}
	checkMessage(t, "coordination.k8s.io", "Lease", "node-1", ValidateLease(lease), "")
	lease.Spec.LeaseDurationSeconds = ptr(int32(0))
	lease.Spec.LeaseTransitions = ptr(int32(-1))
	checkMessage(t, "coordination.k8s.io", "Lease", "node-1", ValidateLease(lease),
		`Lease.coordination.k8s.io "node-1" is invalid: [spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0, spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0]`)
}
