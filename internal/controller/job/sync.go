package job

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// maxCreatesPerSync bounds the pods one sync creates, as kube's
// MaxPodCreateDeletePerSync.
const maxCreatesPerSync = 500

const (
	reasonCompletionsReached = batchv1.JobReasonCompletionsReached
	msgCompletionsReached    = "Reached expected number of succeeded pods"
	msgBackoffLimit          = "Job has reached the specified backoff limit"
	msgDeadline              = "Job was active longer than specified deadline"
)

// sync reconciles one Job. It returns how long to wait before time alone
// changes something for it (deadline, backoff, TTL), or 0.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	job, err := c.client.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		c.forgetBackoff(key)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if job.Spec.Selector == nil {
		c.log.Warn("job has no selector", "namespace", ns, "name", name)
		return 0, nil
	}
	pods, err := c.listPods(ctx, job)
	if err != nil {
		return 0, err
	}
	if finishedCondition(job) != nil {
		c.forgetBackoff(key)
		if err := c.release(ctx, pods); err != nil {
			return 0, err
		}
		return c.expire(ctx, job)
	}
	if job.DeletionTimestamp != nil {
		return 0, c.release(ctx, pods)
	}
	r := &round{c: c, key: key, job: job, written: *job.Status.DeepCopy(), pods: pods, now: c.clock.Now()}
	err = r.run(ctx)
	return r.requeue, err
}

// listPods returns the pods job controls, read from the API server.
func (c *Controller) listPods(ctx context.Context, job *batchv1.Job) ([]*corev1.Pod, error) {
	sel, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("job selector: %w", err)
	}
	list, err := c.client.CoreV1().Pods(job.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, err
	}
	var out []*corev1.Pod
	for i := range list.Items {
		if ref := metav1.GetControllerOf(&list.Items[i]); ref != nil && ref.UID == job.UID {
			out = append(out, &list.Items[i])
		}
	}
	return out, nil
}

// round is one sync of a Job that has not finished.
type round struct {
	c       *Controller
	key     string
	job     *batchv1.Job // updated in place; status is what will be written
	written batchv1.JobStatus
	pods    []*corev1.Pod
	now     time.Time
	requeue time.Duration

	active      []*corev1.Pod
	terminating int32
	ready       int32
	succeeded   int32 // including pods not yet in status
	indexes     indexSet
}

func (r *round) after(d time.Duration) {
	if d > 0 && (r.requeue == 0 || d < r.requeue) {
		r.requeue = d
	}
}

func (r *round) run(ctx context.Context) error {
	job := r.job
	st := &job.Status
	if st.UncountedTerminatedPods == nil {
		st.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{}
	}
	uncSucc := uidSet(st.UncountedTerminatedPods.Succeeded)
	uncFail := uidSet(st.UncountedTerminatedPods.Failed)
	for _, pod := range r.pods {
		switch {
		case isActive(pod):
			r.active = append(r.active, pod)
			if isReady(pod) {
				r.ready++
			}
		case isTerminating(pod):
			r.terminating++
		}
	}
	var newSucc, newFail []*corev1.Pod
	for _, pod := range r.pods {
		if !hasFinalizer(pod) || uncSucc[pod.UID] || uncFail[pod.UID] {
			continue
		}
		if pod.Status.Phase == corev1.PodSucceeded {
			newSucc = append(newSucc, pod)
		} else if isFailedPod(job, pod) {
			newFail = append(newFail, pod)
		}
	}
	completions := ptr.Deref(job.Spec.Completions, 0)
	if isIndexed(job) {
		r.indexes = parseIndexes(st.CompletedIndexes, completions)
		for _, pod := range newSucc {
			if ix := indexOf(pod, completions); ix != noIndex {
				r.indexes[ix] = true
			}
		}
		r.succeeded = int32(len(r.indexes))
	} else {
		r.succeeded = st.Succeeded + int32(len(uncSucc)+len(newSucc))
	}
	failed := st.Failed + int32(len(uncFail)+len(newFail))
	suspended := ptr.Deref(job.Spec.Suspend, false)
	if st.StartTime == nil && !suspended {
		st.StartTime = ptr.To(metav1.NewTime(r.now))
	}
	r.c.noteBackoff(r.key, len(newSucc) > 0, newFail, r.now)

	// The interim condition: SuccessCriteriaMet or FailureTarget.
	interim := findCondition(st.Conditions, batchv1.JobSuccessCriteriaMet)
	if interim == nil {
		interim = findCondition(st.Conditions, batchv1.JobFailureTarget)
	}
	if interim == nil {
		switch {
		case failed > ptr.Deref(job.Spec.BackoffLimit, 6) || pastBackoffLimitOnFailure(job, r.active):
			interim = r.condition(batchv1.JobFailureTarget, batchv1.JobReasonBackoffLimitExceeded, msgBackoffLimit)
		case r.pastDeadline():
			interim = r.condition(batchv1.JobFailureTarget, batchv1.JobReasonDeadlineExceeded, msgDeadline)
		case job.Spec.ActiveDeadlineSeconds != nil && !suspended && st.StartTime != nil:
			r.after(st.StartTime.Add(time.Duration(*job.Spec.ActiveDeadlineSeconds) * time.Second).Sub(r.now))
		}
	}

	var manageErr error
	active := int32(len(r.active))
	if interim != nil {
		// Finishing: whatever still runs is stopped.
		deleted, deletedReady, err := r.deletePods(ctx, r.active, false)
		active -= deleted
		r.terminating += deleted
		r.ready -= deletedReady
		manageErr = err
	} else {
		active, manageErr = r.manage(ctx)
		complete := r.succeeded > 0 && active == 0
		if job.Spec.Completions != nil {
			complete = r.succeeded >= completions && active == 0
		}
		switch {
		case complete:
			interim = r.condition(batchv1.JobSuccessCriteriaMet, reasonCompletionsReached, msgCompletionsReached)
		case suspended:
			st.Conditions, _ = r.ensureCondition(st.Conditions, batchv1.JobSuspended, corev1.ConditionTrue, "JobSuspended", "Job suspended")
		default:
			var resumed bool
			if st.Conditions, resumed = r.ensureCondition(st.Conditions, batchv1.JobSuspended, corev1.ConditionFalse, "JobResumed", "Job resumed"); resumed {
				st.StartTime = ptr.To(metav1.NewTime(r.now))
			}
		}
	}
	st.Active = active
	st.Ready = ptr.To(r.ready)
	st.Terminating = ptr.To(r.terminating)
	if err := r.track(ctx, interim); err != nil {
		return errors.Join(manageErr, err)
	}
	return manageErr
}

// track counts finished pods with kube's protocol: record their UIDs as
// uncounted, remove their finalizers, then move them to the counters; and
// finishes the Job once nothing is left uncounted or terminating.
func (r *round) track(ctx context.Context, interim *batchv1.JobCondition) error {
	job := r.job
	st := &job.Status
	unc := st.UncountedTerminatedPods
	uncSucc, uncFail := uidSet(unc.Succeeded), uidSet(unc.Failed)
	failing := interim != nil && interim.Type == batchv1.JobFailureTarget
	completions := ptr.Deref(job.Spec.Completions, 0)
	var release []*corev1.Pod
	for _, pod := range r.pods {
		if !hasFinalizer(pod) {
			continue
		}
		failedPod := isFailedPod(job, pod)
		switch {
		case pod.Status.Phase == corev1.PodSucceeded && !uncFail[pod.UID]:
			if !isIndexed(job) && !uncSucc[pod.UID] {
				unc.Succeeded = append(unc.Succeeded, pod.UID)
			}
		case failedPod || failing:
			// A failing Job counts every pod that has not succeeded.
			if !uncFail[pod.UID] && (!isIndexed(job) || indexOf(pod, completions) != noIndex) {
				unc.Failed = append(unc.Failed, pod.UID)
			}
		default:
			continue // still running
		}
		release = append(release, pod)
	}
	if isIndexed(job) {
		st.CompletedIndexes = r.indexes.String()
		st.Succeeded = int32(len(r.indexes))
	}
	var final *batchv1.JobCondition
	if interim != nil {
		finalType := batchv1.JobComplete
		if failing {
			finalType = batchv1.JobFailed
		}
		if findCondition(st.Conditions, interim.Type) == nil {
			st.Conditions = append(st.Conditions, *interim)
		}
		final = r.condition(finalType, interim.Reason, interim.Message)
	}
	// Record before releasing, so a crash in between cannot lose a count.
	if err := r.write(ctx); err != nil {
		return err
	}
	released := map[types.UID]bool{}
	var errs []error
	for _, pod := range release {
		if err := r.c.removeFinalizer(ctx, pod); err != nil {
			errs = append(errs, err)
			continue
		}
		released[pod.UID] = true
	}
	withFinalizer := map[types.UID]bool{}
	for _, pod := range r.pods {
		if hasFinalizer(pod) && !released[pod.UID] {
			withFinalizer[pod.UID] = true
		}
	}
	var keep []types.UID
	for _, uid := range unc.Succeeded {
		if withFinalizer[uid] {
			keep = append(keep, uid)
		} else {
			st.Succeeded++
		}
	}
	unc.Succeeded = keep
	keep = nil
	for _, uid := range unc.Failed {
		if withFinalizer[uid] {
			keep = append(keep, uid)
		} else {
			st.Failed++
		}
	}
	unc.Failed = keep
	if final != nil && len(unc.Succeeded)+len(unc.Failed) == 0 && ptr.Deref(st.Terminating, 0) == 0 {
		st.Conditions, _ = r.ensureCondition(st.Conditions, final.Type, final.Status, final.Reason, final.Message)
		if final.Type == batchv1.JobComplete {
			st.CompletionTime = ptr.To(metav1.NewTime(r.now))
		}
		r.c.log.Info("job finished", "namespace", job.Namespace, "name", job.Name, "condition", final.Type, "reason", final.Reason)
		if ttl := job.Spec.TTLSecondsAfterFinished; ttl != nil {
			r.after(time.Duration(*ttl)*time.Second + time.Millisecond)
		}
	}
	errs = append(errs, r.write(ctx))
	return errors.Join(errs...)
}

// write stores the status if it changed since last written.
func (r *round) write(ctx context.Context) error {
	if equality.Semantic.DeepEqual(r.written, r.job.Status) {
		return nil
	}
	updated, err := r.c.client.BatchV1().Jobs(r.job.Namespace).UpdateStatus(ctx, r.job, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	r.job.ResourceVersion = updated.ResourceVersion
	r.written = *r.job.Status.DeepCopy()
	return nil
}

// manage creates and deletes pods so that the right number is active. It
// returns the number of active pods afterwards.
func (r *round) manage(ctx context.Context) (int32, error) {
	job := r.job
	active := r.active
	if ptr.Deref(job.Spec.Suspend, false) {
		deleted, deletedReady, err := r.deletePods(ctx, active, true)
		r.terminating += deleted
		r.ready -= deletedReady
		return int32(len(active)) - deleted, err
	}
	parallelism := ptr.Deref(job.Spec.Parallelism, 1)
	completions := ptr.Deref(job.Spec.Completions, 0)
	var remove []*corev1.Pod
	var want int32
	switch {
	case isIndexed(job):
		remove, active = r.surplusIndexed(active)
		want = min(parallelism, max(completions-int32(len(r.indexes)), 0))
	case job.Spec.Completions == nil:
		want = parallelism
		if r.succeeded > 0 {
			want = int32(len(active))
		}
	default:
		want = min(parallelism, max(completions-r.succeeded, 0))
	}
	if extra := int32(len(active)) - want; extra > 0 {
		sorted := slices.Clone(active)
		slices.SortFunc(sorted, removalOrder)
		remove = append(remove, sorted[:extra]...)
	}
	if len(remove) > 0 {
		deleted, deletedReady, err := r.deletePods(ctx, remove, true)
		r.terminating += deleted
		r.ready -= deletedReady
		return int32(len(r.active)) - deleted, err
	}
	inFlight := int32(len(active))
	if onlyReplaceFailed(job) {
		inFlight += r.terminating
	}
	if inFlight >= want {
		return int32(len(active)), nil
	}
	if wait := r.c.backoffRemaining(r.key, r.now); wait > 0 {
		r.after(wait)
		return int32(len(active)), nil
	}
	n := min(want-inFlight, maxCreatesPerSync)
	var indexes []int
	if isIndexed(job) {
		indexes = r.pendingIndexes(active, int(n))
		n = int32(len(indexes))
	}
	created := int32(0)
	for i := range n {
		ix := noIndex
		if indexes != nil {
			ix = indexes[i]
		}
		pod, err := r.c.client.CoreV1().Pods(job.Namespace).Create(ctx, newPod(job, ix), metav1.CreateOptions{})
		if err != nil {
			return int32(len(active)) + created, fmt.Errorf("create pod: %w", err)
		}
		r.c.log.Info("job created pod", "namespace", job.Namespace, "name", job.Name, "pod", pod.Name)
		created++
	}
	return int32(len(active)) + created, nil
}

// surplusIndexed splits an Indexed job's active pods into those to delete
// (no valid index, index already succeeded, or a second pod for an index)
// and those to keep.
func (r *round) surplusIndexed(active []*corev1.Pod) (remove, keep []*corev1.Pod) {
	completions := ptr.Deref(r.job.Spec.Completions, 0)
	sorted := slices.Clone(active)
	slices.SortFunc(sorted, func(a, b *corev1.Pod) int { return removalOrder(b, a) }) // most valuable first
	seen := map[int]bool{}
	for _, pod := range sorted {
		ix := indexOf(pod, completions)
		if ix == noIndex || r.indexes[ix] || seen[ix] {
			remove = append(remove, pod)
			continue
		}
		seen[ix] = true
		keep = append(keep, pod)
	}
	return remove, keep
}

// pendingIndexes returns up to n of the lowest indexes that have neither
// succeeded nor an active pod.
func (r *round) pendingIndexes(active []*corev1.Pod, n int) []int {
	completions := ptr.Deref(r.job.Spec.Completions, 0)
	busy := map[int]bool{}
	for _, pod := range active {
		busy[indexOf(pod, completions)] = true
	}
	if onlyReplaceFailed(r.job) {
		for _, pod := range r.pods {
			if isTerminating(pod) {
				busy[indexOf(pod, completions)] = true
			}
		}
	}
	var out []int
	for i := 0; i < int(completions) && len(out) < n; i++ {
		if !r.indexes[i] && !busy[i] {
			out = append(out, i)
		}
	}
	return out
}

// deletePods deletes pods; with release, their finalizer is removed first
// so that they are not counted as failed (surplus and suspended pods). It
// returns how many, and how many ready ones, were deleted.
func (r *round) deletePods(ctx context.Context, pods []*corev1.Pod, release bool) (int32, int32, error) {
	var deleted, deletedReady int32
	var errs []error
	for _, pod := range pods {
		if release {
			if err := r.c.removeFinalizer(ctx, pod); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		err := r.c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
			Preconditions: &metav1.Preconditions{UID: &pod.UID},
		})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete pod %s: %w", pod.Name, err))
			continue
		}
		deleted++
		if isReady(pod) {
			deletedReady++
		}
	}
	return deleted, deletedReady, errors.Join(errs...)
}

func (r *round) pastDeadline() bool {
	job := r.job
	if job.Spec.ActiveDeadlineSeconds == nil || job.Status.StartTime == nil || ptr.Deref(job.Spec.Suspend, false) {
		return false
	}
	return r.now.Sub(job.Status.StartTime.Time) >= time.Duration(*job.Spec.ActiveDeadlineSeconds)*time.Second
}

// pastBackoffLimitOnFailure: with restartPolicy OnFailure, failures show
// as container restarts of active pods.
func pastBackoffLimitOnFailure(job *batchv1.Job, active []*corev1.Pod) bool {
	if job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyOnFailure {
		return false
	}
	var restarts int32
	for _, pod := range active {
		for _, s := range slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses) {
			restarts += s.RestartCount
		}
	}
	limit := ptr.Deref(job.Spec.BackoffLimit, 6)
	if limit == 0 {
		return restarts > 0
	}
	return restarts >= limit
}

func (r *round) condition(t batchv1.JobConditionType, reason, message string) *batchv1.JobCondition {
	now := metav1.NewTime(r.now)
	return &batchv1.JobCondition{Type: t, Status: corev1.ConditionTrue, Reason: reason, Message: message,
		LastProbeTime: now, LastTransitionTime: now}
}

// ensureCondition sets condition t to status, reason and message. A
// missing condition is only added when its status is not False. It
// reports whether anything changed.
func (r *round) ensureCondition(list []batchv1.JobCondition, t batchv1.JobConditionType, status corev1.ConditionStatus, reason, message string) ([]batchv1.JobCondition, bool) {
	c := r.condition(t, reason, message)
	c.Status = status
	for i := range list {
		if list[i].Type != t {
			continue
		}
		if list[i].Status == status && list[i].Reason == reason && list[i].Message == message {
			return list, false
		}
		list[i] = *c
		return list, true
	}
	if status == corev1.ConditionFalse {
		return list, false
	}
	return append(list, *c), true
}

// findCondition returns the True condition of type t, or nil.
func findCondition(list []batchv1.JobCondition, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range list {
		if list[i].Type == t && list[i].Status == corev1.ConditionTrue {
			return &list[i]
		}
	}
	return nil
}

// finishedCondition returns the Job's Complete or Failed condition, or nil.
func finishedCondition(job *batchv1.Job) *batchv1.JobCondition {
	if c := findCondition(job.Status.Conditions, batchv1.JobComplete); c != nil {
		return c
	}
	return findCondition(job.Status.Conditions, batchv1.JobFailed)
}

func uidSet(uids []types.UID) map[types.UID]bool {
	m := make(map[types.UID]bool, len(uids))
	for _, u := range uids {
		m[u] = true
	}
	return m
}
