package job

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var controllerKind = batchv1.SchemeGroupVersion.WithKind("Job")

// completionIndexEnv is the variable Indexed pods' containers get.
const completionIndexEnv = "JOB_COMPLETION_INDEX"

// noIndex marks a pod without a valid completion index.
const noIndex = -1

func isIndexed(job *batchv1.Job) bool {
	return job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == batchv1.IndexedCompletion
}

func isFinishedPod(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

// isActive: neither finished nor being deleted.
func isActive(pod *corev1.Pod) bool {
	return !isFinishedPod(pod) && pod.DeletionTimestamp == nil
}

func isTerminating(pod *corev1.Pod) bool {
	return !isFinishedPod(pod) && pod.DeletionTimestamp != nil
}

func isReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func hasFinalizer(pod *corev1.Pod) bool {
	return slices.Contains(pod.Finalizers, batchv1.JobTrackingFinalizer)
}

// onlyReplaceFailed is podReplacementPolicy Failed: a deleted pod is only
// replaced once it has finished, and only a Failed phase counts as failure.
func onlyReplaceFailed(job *batchv1.Job) bool {
	p := job.Spec.PodReplacementPolicy
	return job.Spec.PodFailurePolicy != nil || (p != nil && *p == batchv1.Failed)
}

// isFailedPod says whether a pod counts as failed: Failed, or deleted
// before it succeeded (unless only Failed pods count).
func isFailedPod(job *batchv1.Job, pod *corev1.Pod) bool {
	if pod.Status.Phase == corev1.PodFailed {
		return true
	}
	if onlyReplaceFailed(job) {
		return false
	}
	return pod.DeletionTimestamp != nil && pod.Status.Phase != corev1.PodSucceeded
}

// indexOf returns an Indexed pod's completion index, or noIndex.
func indexOf(pod *corev1.Pod, completions int32) int {
	v, ok := pod.Annotations[batchv1.JobCompletionIndexAnnotation]
	if !ok {
		v, ok = pod.Labels[batchv1.JobCompletionIndexAnnotation]
	}
	if !ok {
		return noIndex
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 || i >= int(completions) {
		return noIndex
	}
	return i
}

// newPod builds a pod of job from its template; index is the completion
// index of an Indexed job, or noIndex.
func newPod(job *batchv1.Job, index int) *corev1.Pod {
	t := &job.Spec.Template
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    job.Name + "-",
			Namespace:       job.Namespace,
			Labels:          maps.Clone(t.Labels),
			Annotations:     maps.Clone(t.Annotations),
			Finalizers:      append(slices.Clone(t.Finalizers), batchv1.JobTrackingFinalizer),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(job, controllerKind)},
		},
		Spec: *t.Spec.DeepCopy(),
	}
	if index == noIndex {
		return pod
	}
	ix := strconv.Itoa(index)
	pod.GenerateName = fmt.Sprintf("%s-%d-", job.Name, index)
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Annotations[batchv1.JobCompletionIndexAnnotation] = ix
	pod.Labels[batchv1.JobCompletionIndexAnnotation] = ix
	if pod.Spec.Hostname == "" {
		pod.Spec.Hostname = fmt.Sprintf("%s-%d", job.Name, index)
	}
	env := corev1.EnvVar{Name: completionIndexEnv, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
		APIVersion: "v1",
		FieldPath:  fmt.Sprintf("metadata.annotations['%s']", batchv1.JobCompletionIndexAnnotation),
	}}}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			if !slices.ContainsFunc(cs[i].Env, func(e corev1.EnvVar) bool { return e.Name == completionIndexEnv }) {
				cs[i].Env = append(cs[i].Env, env)
			}
		}
	}
	return pod
}

// finishedAt is when a finished pod finished: its containers' latest
// termination, else now.
func finishedAt(pod *corev1.Pod, now time.Time) time.Time {
	var last time.Time
	for _, s := range pod.Status.ContainerStatuses {
		if t := s.State.Terminated; t != nil && t.FinishedAt.After(last) {
			last = t.FinishedAt.Time
		}
	}
	if last.IsZero() {
		return now
	}
	return last
}

// removalOrder sorts pods the least valuable first, as kube picks pods to
// delete: not ready before ready, pending before running, newer before
// older.
func removalOrder(a, b *corev1.Pod) int {
	if ra, rb := isReady(a), isReady(b); ra != rb {
		if !ra {
			return -1
		}
		return 1
	}
	rank := func(p *corev1.Pod) int {
		switch p.Status.Phase {
		case corev1.PodPending, "":
			return 0
		case corev1.PodUnknown:
			return 1
		default:
			return 2
		}
	}
	if d := rank(a) - rank(b); d != 0 {
		return d
	}
	return b.CreationTimestamp.Compare(a.CreationTimestamp.Time)
}
