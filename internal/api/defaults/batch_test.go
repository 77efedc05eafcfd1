package defaults

import (
	"math"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// piTemplate is the pod template of the Kubernetes Job tutorial.
func piTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers: []corev1.Container{{
			Name: "pi", Image: "perl:5.34.0",
			Command: []string{"perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"},
		}},
		RestartPolicy: corev1.RestartPolicyNever,
	}}
}

func defaultedPiTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: defaultedPodSpec(corev1.PodSpec{
		Containers: []corev1.Container{defaultedContainer(corev1.Container{
			Name: "pi", Image: "perl:5.34.0",
			Command: []string{"perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"},
		}, corev1.PullIfNotPresent)},
		RestartPolicy: corev1.RestartPolicyNever,
	})}
}

func TestJob(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "pi"}
	tests := []struct {
		name string
		in   batchv1.Job
		want batchv1.Job
	}{
		{
			name: "tutorial pi job",
			in:   batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{Template: piTemplate(), BackoffLimit: ptr.To[int32](4)}},
			want: batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{
				Parallelism:          ptr.To[int32](1),
				Completions:          ptr.To[int32](1),
				BackoffLimit:         ptr.To[int32](4),
				ManualSelector:       ptr.To(false),
				Template:             defaultedPiTemplate(),
				CompletionMode:       ptr.To(batchv1.NonIndexedCompletion),
				Suspend:              ptr.To(false),
				PodReplacementPolicy: ptr.To(batchv1.TerminatingOrFailed),
			}},
		},
		{
			name: "work queue: parallelism alone leaves completions unset",
			in:   batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{Template: piTemplate(), Parallelism: ptr.To[int32](2)}},
			want: batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{
				Parallelism:          ptr.To[int32](2),
				BackoffLimit:         ptr.To[int32](6),
				ManualSelector:       ptr.To(false),
				Template:             defaultedPiTemplate(),
				CompletionMode:       ptr.To(batchv1.NonIndexedCompletion),
				Suspend:              ptr.To(false),
				PodReplacementPolicy: ptr.To(batchv1.TerminatingOrFailed),
			}},
		},
		{
			name: "completions alone gets parallelism 1",
			in:   batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{Template: piTemplate(), Completions: ptr.To[int32](5)}},
			want: batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{
				Parallelism:          ptr.To[int32](1),
				Completions:          ptr.To[int32](5),
				BackoffLimit:         ptr.To[int32](6),
				ManualSelector:       ptr.To(false),
				Template:             defaultedPiTemplate(),
				CompletionMode:       ptr.To(batchv1.NonIndexedCompletion),
				Suspend:              ptr.To(false),
				PodReplacementPolicy: ptr.To(batchv1.TerminatingOrFailed),
			}},
		},
		{
			name: "pod failure policy: Failed replacement, condition status True",
			in: batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{Template: piTemplate(),
				PodFailurePolicy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
					Action:          batchv1.PodFailurePolicyActionIgnore,
					OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget}},
				}}},
			}},
			want: batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{
				Parallelism:    ptr.To[int32](1),
				Completions:    ptr.To[int32](1),
				BackoffLimit:   ptr.To[int32](6),
				ManualSelector: ptr.To(false),
				Template:       defaultedPiTemplate(),
				PodFailurePolicy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
					Action: batchv1.PodFailurePolicyActionIgnore,
					OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{
						{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}},
				}}},
				CompletionMode:       ptr.To(batchv1.NonIndexedCompletion),
				Suspend:              ptr.To(false),
				PodReplacementPolicy: ptr.To(batchv1.Failed),
			}},
		},
		{
			name: "indexed job with per-index backoff; template labels become job labels",
			in: batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{
				Template: func() corev1.PodTemplateSpec {
					t := piTemplate()
					t.Labels = map[string]string{"app": "pi"}
					return t
				}(),
				Completions:          ptr.To[int32](3),
				Parallelism:          ptr.To[int32](3),
				CompletionMode:       ptr.To(batchv1.IndexedCompletion),
				BackoffLimitPerIndex: ptr.To[int32](1),
			}},
			want: batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "pi", Labels: map[string]string{"app": "pi"}}, Spec: batchv1.JobSpec{
				Parallelism:          ptr.To[int32](3),
				Completions:          ptr.To[int32](3),
				BackoffLimit:         ptr.To[int32](math.MaxInt32),
				BackoffLimitPerIndex: ptr.To[int32](1),
				ManualSelector:       ptr.To(false),
				Template: func() corev1.PodTemplateSpec {
					t := defaultedPiTemplate()
					t.Labels = map[string]string{"app": "pi"}
					return t
				}(),
				CompletionMode:       ptr.To(batchv1.IndexedCompletion),
				Suspend:              ptr.To(false),
				PodReplacementPolicy: ptr.To(batchv1.TerminatingOrFailed),
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.DeepCopy()
			Job(got)
			mustEqual(t, *got, tc.want)
		})
	}
}

// helloJobTemplate is the job template of the Kubernetes CronJob tutorial.
func helloJobTemplate(defaulted bool) batchv1.JobTemplateSpec {
	c := corev1.Container{Name: "hello", Image: "busybox:1.28", ImagePullPolicy: corev1.PullIfNotPresent,
		Command: []string{"/bin/sh", "-c", "date; echo Hello from the Kubernetes cluster"}}
	spec := corev1.PodSpec{Containers: []corev1.Container{c}, RestartPolicy: corev1.RestartPolicyOnFailure}
	if defaulted {
		spec = defaultedPodSpec(corev1.PodSpec{
			Containers:    []corev1.Container{defaultedContainer(c, corev1.PullIfNotPresent)},
			RestartPolicy: corev1.RestartPolicyOnFailure,
		})
	}
	return batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}
}

func TestCronJob(t *testing.T) {
	tests := []struct {
		name string
		in   batchv1.CronJob
		want batchv1.CronJob
	}{
		{
			name: "tutorial hello cronjob; the job template's own fields stay unset",
			in: batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "hello"},
				Spec: batchv1.CronJobSpec{Schedule: "* * * * *", JobTemplate: helloJobTemplate(false)}},
			want: batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "hello"}, Spec: batchv1.CronJobSpec{
				Schedule:                   "* * * * *",
				JobTemplate:                helloJobTemplate(true),
				ConcurrencyPolicy:          batchv1.AllowConcurrent,
				Suspend:                    ptr.To(false),
				SuccessfulJobsHistoryLimit: ptr.To[int32](3),
				FailedJobsHistoryLimit:     ptr.To[int32](1),
			}},
		},
		{
			name: "explicit values kept",
			in: batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "nightly"}, Spec: batchv1.CronJobSpec{
				Schedule: "0 2 * * *", JobTemplate: helloJobTemplate(false),
				ConcurrencyPolicy: batchv1.ForbidConcurrent, Suspend: ptr.To(true),
				SuccessfulJobsHistoryLimit: ptr.To[int32](0), FailedJobsHistoryLimit: ptr.To[int32](5),
			}},
			want: batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "nightly"}, Spec: batchv1.CronJobSpec{
				Schedule: "0 2 * * *", JobTemplate: helloJobTemplate(true),
				ConcurrencyPolicy: batchv1.ForbidConcurrent, Suspend: ptr.To(true),
				SuccessfulJobsHistoryLimit: ptr.To[int32](0), FailedJobsHistoryLimit: ptr.To[int32](5),
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.DeepCopy()
			CronJob(got)
			mustEqual(t, *got, tc.want)
		})
	}
}

func TestBatchV1beta1CronJob(t *testing.T) {
	cj := &batchv1beta1.CronJob{Spec: batchv1beta1.CronJobSpec{Schedule: "*/5 * * * *", JobTemplate: batchv1beta1.JobTemplateSpec{
		Spec: helloJobTemplate(false).Spec}}}
	BatchV1beta1CronJob(cj)
	want := batchv1beta1.CronJob{Spec: batchv1beta1.CronJobSpec{
		Schedule:                   "*/5 * * * *",
		JobTemplate:                batchv1beta1.JobTemplateSpec{Spec: helloJobTemplate(true).Spec},
		ConcurrencyPolicy:          batchv1beta1.AllowConcurrent,
		Suspend:                    ptr.To(false),
		SuccessfulJobsHistoryLimit: ptr.To[int32](3),
		FailedJobsHistoryLimit:     ptr.To[int32](1),
	}}
	mustEqual(t, *cj, want)
}
