package defaults

import (
	"maps"
	"math"

	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// Job fills the batch/v1 Job defaults:
//   - completions and parallelism 1 when both are unset, else parallelism 1
//     when it alone is unset (completions stays unset: a work queue);
//   - backoffLimit 6, or MaxInt32 when backoffLimitPerIndex is set;
//   - the Job's labels from (a copy of) the template labels when the Job
//     has none;
//   - completionMode NonIndexed, suspend false, manualSelector false;
//   - podReplacementPolicy Failed when a podFailurePolicy is set, else
//     TerminatingOrFailed;
//   - podFailurePolicy onPodConditions status True when unset;
//   - the pod template's defaults. The template's restartPolicy is left as
//     written: a Job's template must say Never or OnFailure, and validation,
//     not defaulting, enforces it (an empty one becomes Always and fails).
//
// The selector and the batch.kubernetes.io/controller-uid and job-name
// template labels are not defaults: kube's Job strategy adds them on create.
// Because kube also defaults every object it reads back from storage, a Job
// created without labels shows those generated template labels as its own
// labels once read back; callers get the same by defaulting on read.
func Job(job *batchv1.Job) {
	spec := &job.Spec
	if spec.Completions == nil && spec.Parallelism == nil {
		spec.Completions = ptr.To[int32](1)
		spec.Parallelism = ptr.To[int32](1)
	}
	if spec.Parallelism == nil {
		spec.Parallelism = ptr.To[int32](1)
	}
	if spec.BackoffLimit == nil {
		if spec.BackoffLimitPerIndex != nil {
			spec.BackoffLimit = ptr.To[int32](math.MaxInt32)
		} else {
			spec.BackoffLimit = ptr.To[int32](6)
		}
	}
	if spec.Template.Labels != nil && len(job.Labels) == 0 {
		job.Labels = maps.Clone(spec.Template.Labels)
	}
	if spec.CompletionMode == nil {
		spec.CompletionMode = ptr.To(batchv1.NonIndexedCompletion)
	}
	if spec.Suspend == nil {
		spec.Suspend = ptr.To(false)
	}
	if spec.PodReplacementPolicy == nil {
		if spec.PodFailurePolicy != nil {
			spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
		} else {
			spec.PodReplacementPolicy = ptr.To(batchv1.TerminatingOrFailed)
		}
	}
	if spec.ManualSelector == nil {
		spec.ManualSelector = ptr.To(false)
	}
	jobSpecNested(spec)
}

// jobSpecNested fills the defaults reached through a JobSpec, also inside a
// CronJob's jobTemplate: the pod failure policy's condition patterns and
// the pod template.
func jobSpecNested(spec *batchv1.JobSpec) {
	if pfp := spec.PodFailurePolicy; pfp != nil {
		for i := range pfp.Rules {
			for j := range pfp.Rules[i].OnPodConditions {
				if pfp.Rules[i].OnPodConditions[j].Status == "" {
					pfp.Rules[i].OnPodConditions[j].Status = corev1.ConditionTrue
				}
			}
		}
	}
	PodTemplateSpec(&spec.Template)
}

// CronJob fills the batch/v1 CronJob defaults: concurrencyPolicy Allow,
// suspend false, successfulJobsHistoryLimit 3, failedJobsHistoryLimit 1, and
// the defaults nested in the job template. The job template's own JobSpec
// fields (backoffLimit, completions, ...) are not defaulted here; each Job
// the controller creates gets them when it is created.
func CronJob(cj *batchv1.CronJob) {
	spec := &cj.Spec
	if spec.ConcurrencyPolicy == "" {
		spec.ConcurrencyPolicy = batchv1.AllowConcurrent
	}
	if spec.Suspend == nil {
		spec.Suspend = ptr.To(false)
	}
	if spec.SuccessfulJobsHistoryLimit == nil {
		spec.SuccessfulJobsHistoryLimit = ptr.To[int32](3)
	}
	if spec.FailedJobsHistoryLimit == nil {
		spec.FailedJobsHistoryLimit = ptr.To[int32](1)
	}
	jobSpecNested(&spec.JobTemplate.Spec)
}

// BatchV1beta1CronJob fills the batch/v1beta1 CronJob defaults, the same
// values as batch/v1's (see CronJob).
func BatchV1beta1CronJob(cj *batchv1beta1.CronJob) {
	spec := &cj.Spec
	if spec.ConcurrencyPolicy == "" {
		spec.ConcurrencyPolicy = batchv1beta1.AllowConcurrent
	}
	if spec.Suspend == nil {
		spec.Suspend = ptr.To(false)
	}
	if spec.SuccessfulJobsHistoryLimit == nil {
		spec.SuccessfulJobsHistoryLimit = ptr.To[int32](3)
	}
	if spec.FailedJobsHistoryLimit == nil {
		spec.FailedJobsHistoryLimit = ptr.To[int32](1)
	}
	jobSpecNested(&spec.JobTemplate.Spec)
}
