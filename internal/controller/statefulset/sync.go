package statefulset

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	intstrutil "k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// sync reconciles one set. It returns how long to wait before looking at
// the set again when time alone will change something (minReadySeconds),
// or 0.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	set, err := c.sets.StatefulSets(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.forgetTemplates(key)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	sel, err := metav1.LabelSelectorAsSelector(set.Spec.Selector)
	if err != nil || sel.Empty() {
		c.log.Warn("statefulset has an invalid selector", "namespace", ns, "name", name, "err", err)
		return 0, nil
	}
	pods, err := c.claimPods(ctx, set, sel)
	if err != nil {
		return 0, err
	}
	updateRev := revisionName(set)
	currentRev := set.Status.CurrentRevision
	if currentRev == "" {
		currentRev = updateRev
	}
	currentTmpl := c.rememberTemplate(key, set, updateRev, currentRev)
	if currentTmpl == nil {
		currentTmpl = &set.Spec.Template
	}
	r := &round{
		c: c, set: set, now: c.clock.Now(),
		currentRev: currentRev, updateRev: updateRev, currentTmpl: currentTmpl,
		deleted: map[types.UID]bool{},
	}
	actErr := r.reconcile(ctx, pods)
	status := r.status()
	if err := c.writeStatus(ctx, set, status); err != nil && actErr == nil {
		actErr = err
	}
	return r.requeue, actErr
}

// claimPods returns the pods set controls, adopting orphans that match its
// selector and are named like its members.
func (c *Controller) claimPods(ctx context.Context, set *appsv1.StatefulSet, sel labels.Selector) ([]*corev1.Pod, error) {
	all, err := c.pods.Pods(set.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	var out []*corev1.Pod
	for _, pod := range all {
		ref := metav1.GetControllerOf(pod)
		switch {
		case ref != nil && ref.UID == set.UID:
			out = append(out, pod)
		case ref == nil && set.DeletionTimestamp == nil && pod.DeletionTimestamp == nil &&
			sel.Matches(labels.Set(pod.Labels)) && ordinalOf(set, pod) >= 0:
			adopted, err := c.adopt(ctx, set, pod)
			if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, adopted)
		}
	}
	return out, nil
}

// adopt makes set the controller of an orphan pod, failing if the pod
// changed since it was read.
func (c *Controller) adopt(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) (*corev1.Pod, error) {
	refs := append(slices.Clone(pod.OwnerReferences), *metav1.NewControllerRef(set, controllerKind))
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"ownerReferences": refs, "uid": pod.UID, "resourceVersion": pod.ResourceVersion,
	}})
	if err != nil {
		return nil, err
	}
	c.log.Info("statefulset adopting pod", "namespace", set.Namespace, "name", set.Name, "pod", pod.Name)
	return c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.MergePatchType, patch, metav1.PatchOptions{})
}

// writeStatus stores status unless the set already has it.
func (c *Controller) writeStatus(ctx context.Context, set *appsv1.StatefulSet, status appsv1.StatefulSetStatus) error {
	status.Conditions = set.Status.Conditions
	if equality.Semantic.DeepEqual(set.Status, status) {
		return nil
	}
	set = set.DeepCopy()
	set.Status = status
	_, err := c.client.AppsV1().StatefulSets(set.Namespace).UpdateStatus(ctx, set, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// round is one reconciliation of a set.
type round struct {
	c           *Controller
	set         *appsv1.StatefulSet
	now         time.Time
	currentRev  string
	updateRev   string
	currentTmpl *corev1.PodTemplateSpec

	replicas  []*corev1.Pod // index = ordinal - start; nil when missing
	condemned []*corev1.Pod // ordinals out of range, highest first
	deleted   map[types.UID]bool
	requeue   time.Duration
}

// reconcile creates, fixes and deletes pods; it stops early, without
// error, when OrderedReady must wait.
func (r *round) reconcile(ctx context.Context, pods []*corev1.Pod) error {
	set := r.set
	n, start := replicasOf(set), startOrdinal(set)
	r.replicas = make([]*corev1.Pod, n)
	for _, pod := range pods {
		ord := ordinalOf(set, pod)
		switch {
		case ord < 0:
		case ord >= start && ord < start+n:
			r.replicas[ord-start] = pod
		default:
			r.condemned = append(r.condemned, pod)
		}
	}
	slices.SortFunc(r.condemned, func(a, b *corev1.Pod) int { return ordinalOf(set, b) - ordinalOf(set, a) })
	r.noteAvailability()
	if set.DeletionTimestamp != nil {
		return nil
	}
	// The first pod, members before condemned, that is not available: the
	// only condemned pod OrderedReady deletes while unhealthy.
	var firstUnavailable *corev1.Pod
	lowestFirst := slices.Clone(r.condemned)
	slices.Reverse(lowestFirst)
	for _, pod := range slices.Concat(r.replicas, lowestFirst) {
		if pod != nil && r.unavailable(pod) {
			firstUnavailable = pod
			break
		}
	}
	monotonic := set.Spec.PodManagementPolicy != appsv1.ParallelPodManagement

	for i := range r.replicas {
		wait, err := r.processReplica(ctx, i, monotonic)
		if err != nil {
			return err
		}
		if wait && monotonic {
			return nil
		}
	}
	for _, pod := range r.condemned {
		if isTerminating(pod) {
			if monotonic {
				return nil
			}
			continue
		}
		if monotonic && r.unavailable(pod) && pod != firstUnavailable {
			return nil
		}
		if err := r.deletePod(ctx, pod, "scale down"); err != nil {
			return err
		}
		if monotonic {
			return nil
		}
	}
	if set.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		return nil
	}
	return r.rollingUpdate(ctx)
}

// processReplica makes sure the member at index i exists and is healthy.
// It reports whether OrderedReady has to wait on it.
func (r *round) processReplica(ctx context.Context, i int, monotonic bool) (bool, error) {
	set := r.set
	ord := startOrdinal(set) + i
	pod := r.replicas[i]
	if pod != nil && isFinished(pod) {
		// A finished member is replaced: deleted now, recreated once gone.
		if !isTerminating(pod) {
			if err := r.deletePod(ctx, pod, "pod finished"); err != nil {
				return true, err
			}
		}
		return true, nil
	}
	if pod == nil {
		created, err := r.createPod(ctx, ord)
		if err != nil {
			return true, err
		}
		r.replicas[i] = created
		return true, nil
	}
	if isTerminating(pod) || !isRunningAndReady(pod) || !isAvailable(pod, set.Spec.MinReadySeconds, r.now) {
		return true, nil
	}
	if !identityMatches(set, pod, ord) {
		fixed := pod.DeepCopy()
		setIdentity(set, fixed, ord)
		updated, err := r.c.client.CoreV1().Pods(set.Namespace).Update(ctx, fixed, metav1.UpdateOptions{})
		if err != nil {
			return true, fmt.Errorf("fix identity of pod %s: %w", pod.Name, err)
		}
		r.replicas[i] = updated
	}
	return false, nil
}

// rollingUpdate deletes out-of-date members from the highest ordinal down
// to the partition, keeping at most maxUnavailable members unavailable.
func (r *round) rollingUpdate(ctx context.Context) error {
	set := r.set
	n := len(r.replicas)
	partition, maxUnavailable := 0, 1
	if ru := set.Spec.UpdateStrategy.RollingUpdate; ru != nil {
		partition = int(ptr.Deref(ru.Partition, 0))
		if ru.MaxUnavailable != nil {
			v, err := intstrutil.GetScaledValueFromIntOrPercent(ru.MaxUnavailable, n, false)
			if err == nil && v > 1 {
				maxUnavailable = v
			}
		}
	}
	unavailable := 0
	for _, pod := range r.replicas {
		if pod == nil || r.unavailable(pod) {
			unavailable++
		}
	}
	for target := n - 1; target >= partition && unavailable < maxUnavailable; target-- {
		pod := r.replicas[target]
		if pod == nil || isTerminating(pod) || revisionOf(pod) == r.updateRev {
			continue
		}
		wasAvailable := !r.unavailable(pod)
		if err := r.deletePod(ctx, pod, "update"); err != nil {
			return err
		}
		if wasAvailable {
			unavailable++
		}
	}
	return nil
}

// createPod creates the member with ordinal ord at the revision it belongs
// to: the current one below a rolling update's partition, else the update
// revision.
func (r *round) createPod(ctx context.Context, ord int) (*corev1.Pod, error) {
	set := r.set
	tmpl, rev := &set.Spec.Template, r.updateRev
	if us := set.Spec.UpdateStrategy; us.Type == appsv1.RollingUpdateStatefulSetStrategyType || us.Type == "" {
		partition := 0
		if us.RollingUpdate != nil {
			partition = int(ptr.Deref(us.RollingUpdate.Partition, 0))
		}
		if ord < startOrdinal(set)+partition {
			tmpl, rev = r.currentTmpl, r.currentRev
		}
	}
	pod := newPod(set, tmpl, rev, ord)
	created, err := r.c.client.CoreV1().Pods(set.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		// The cache has not seen it yet; the next event brings it.
		return pod, nil
	}
	if err != nil {
		return nil, fmt.Errorf("create pod %s: %w", pod.Name, err)
	}
	r.c.log.Info("statefulset created pod", "namespace", set.Namespace, "name", set.Name, "pod", pod.Name)
	return created, nil
}

func (r *round) deletePod(ctx context.Context, pod *corev1.Pod, why string) error {
	err := r.c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete pod %s: %w", pod.Name, err)
	}
	r.deleted[pod.UID] = true
	r.c.log.Info("statefulset deleted pod", "namespace", pod.Namespace, "name", r.set.Name, "pod", pod.Name, "reason", why)
	return nil
}

func (r *round) unavailable(pod *corev1.Pod) bool {
	return r.deleted[pod.UID] || isUnavailable(pod, r.set.Spec.MinReadySeconds, r.now)
}

// noteAvailability asks for another look when a ready pod will become
// available after minReadySeconds.
func (r *round) noteAvailability() {
	for _, pod := range slices.Concat(r.replicas, r.condemned) {
		if pod == nil {
			continue
		}
		if d := availableIn(pod, r.set.Spec.MinReadySeconds, r.now); d > 0 && (r.requeue == 0 || d < r.requeue) {
			r.requeue = d
		}
	}
}

// status counts the pods as they are after this round's actions.
func (r *round) status() appsv1.StatefulSetStatus {
	set := r.set
	st := appsv1.StatefulSetStatus{
		ObservedGeneration: set.Generation,
		CurrentRevision:    r.currentRev,
		UpdateRevision:     r.updateRev,
		CollisionCount:     ptr.To(ptr.Deref(set.Status.CollisionCount, 0)),
	}
	for _, pod := range slices.Concat(r.replicas, r.condemned) {
		if pod == nil || r.deleted[pod.UID] {
			continue
		}
		st.Replicas++
		if isRunningAndReady(pod) {
			st.ReadyReplicas++
			if isAvailable(pod, set.Spec.MinReadySeconds, r.now) {
				st.AvailableReplicas++
			}
		}
		if !isTerminating(pod) {
			if revisionOf(pod) == r.currentRev {
				st.CurrentReplicas++
			}
			if revisionOf(pod) == r.updateRev {
				st.UpdatedReplicas++
			}
		}
	}
	// A finished rolling update makes the update revision current.
	us := set.Spec.UpdateStrategy.Type
	if (us == appsv1.RollingUpdateStatefulSetStrategyType || us == "") &&
		st.UpdatedReplicas == st.Replicas && st.ReadyReplicas == st.Replicas {
		st.CurrentRevision = st.UpdateRevision
		st.CurrentReplicas = st.UpdatedReplicas
	}
	return st
}
