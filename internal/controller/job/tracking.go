package job

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// removeFinalizer drops the tracking finalizer from pod (a pod already
// gone counts as done).
func (c *Controller) removeFinalizer(ctx context.Context, pod *corev1.Pod) error {
	if !hasFinalizer(pod) {
		return nil
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{
		"$deleteFromPrimitiveList/finalizers": []string{batchv1.JobTrackingFinalizer},
	}})
	_, err := c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("remove finalizer of pod %s: %w", pod.Name, err)
	}
	return nil
}

// release removes the finalizer from every pod that has it.
func (c *Controller) release(ctx context.Context, pods []*corev1.Pod) error {
	for _, pod := range pods {
		if err := c.removeFinalizer(ctx, pod); err != nil {
			return err
		}
	}
	return nil
}

// syncOrphanPod removes the finalizer of a pod whose Job will not count
// it: the Job is gone (or replaced), finished, or being deleted.
func (c *Controller) syncOrphanPod(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := c.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !hasFinalizer(pod) {
		return nil
	}
	if ref := metav1.GetControllerOf(pod); ref != nil && ref.Kind == controllerKind.Kind {
		job, err := c.client.BatchV1().Jobs(ns).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		if err == nil && job.UID == ref.UID && job.DeletionTimestamp == nil && finishedCondition(job) == nil {
			return nil // its Job counts it
		}
	}
	return c.removeFinalizer(ctx, pod)
}

// expire deletes a finished Job once ttlSecondsAfterFinished has passed,
// or says how long until then.
func (c *Controller) expire(ctx context.Context, job *batchv1.Job) (time.Duration, error) {
	ttl := job.Spec.TTLSecondsAfterFinished
	cond := finishedCondition(job)
	if ttl == nil || cond == nil || job.DeletionTimestamp != nil {
		return 0, nil
	}
	finished := cond.LastTransitionTime.Time
	if job.Status.CompletionTime != nil {
		finished = job.Status.CompletionTime.Time
	}
	if left := finished.Add(time.Duration(*ttl) * time.Second).Sub(c.clock.Now()); left > 0 {
		return left, nil
	}
	// Background: portal has no garbage collector to finish a foreground
	// deletion; a cluster's collects the pods.
	policy := metav1.DeletePropagationBackground
	err := c.client.BatchV1().Jobs(job.Namespace).Delete(ctx, job.Name, metav1.DeleteOptions{
		Preconditions:     &metav1.Preconditions{UID: &job.UID, ResourceVersion: &job.ResourceVersion},
		PropagationPolicy: &policy,
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return 0, fmt.Errorf("delete expired job: %w", err)
	}
	c.log.Info("job deleted after ttlSecondsAfterFinished", "namespace", job.Namespace, "name", job.Name)
	return 0, nil
}

// noteBackoff records a Job's new failures; a success resets the count.
func (c *Controller) noteBackoff(key string, succeeded bool, failed []*corev1.Pod, now time.Time) {
	if !succeeded && len(failed) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	rec := c.backoff[key]
	if succeeded {
		rec = backoffRecord{}
	}
	for _, pod := range failed {
		rec.failures++
		if t := finishedAt(pod, now); t.After(rec.lastFailure) {
			rec.lastFailure = t
		}
	}
	c.backoff[key] = rec
}

// backoffRemaining is how long a Job must still wait before it creates a
// pod: base * 2^(failures-1), at most backoffMax, after its last failure.
func (c *Controller) backoffRemaining(key string, now time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	rec, ok := c.backoff[key]
	if !ok || rec.failures == 0 || c.backoffBase <= 0 {
		return 0
	}
	delay := c.backoffBase
	for i := 1; i < rec.failures && delay < c.backoffMax; i++ {
		delay *= 2
	}
	delay = min(delay, c.backoffMax)
	return rec.lastFailure.Add(delay).Sub(now)
}

func (c *Controller) forgetBackoff(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.backoff, key)
}
