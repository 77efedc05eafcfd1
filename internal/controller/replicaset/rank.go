package replicaset

import (
	"sort"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// deletionCostAnnotation lets users rank pods for scale-down: lower cost
// goes first (the PodDeletionCost feature, on by default in kube).
const deletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

// podsToDelete picks n of pods to delete, least valuable first. related are
// the active pods of the ReplicaSet's siblings, counted per node to prefer
// pods doubled up on a node.
func podsToDelete(pods, related []*corev1.Pod, n int, now time.Time) []*corev1.Pod {
	if n >= len(pods) {
		return pods
	}
	perNode := map[string]int{}
	for _, p := range related {
		if isActive(p) {
			perNode[p.Spec.NodeName]++
		}
	}
	ranked := make([]rankedPod, len(pods))
	for i, p := range pods {
		ranked[i] = rankedPod{pod: p, colocated: perNode[p.Spec.NodeName], ready: podReady(p)}
		if ranked[i].ready {
			ranked[i].readySince = readyTime(p)
		}
		ranked[i].cost = deletionCost(p)
	}
	sort.SliceStable(ranked, func(i, j int) bool { return deleteFirst(ranked[i], ranked[j]) })
	out := make([]*corev1.Pod, n)
	for i := range out {
		out[i] = ranked[i].pod
	}
	return out
}

type rankedPod struct {
	pod        *corev1.Pod
	colocated  int
	ready      bool
	readySince time.Time
	cost       int32
}

var phaseOrder = map[corev1.PodPhase]int{corev1.PodPending: 0, corev1.PodUnknown: 1, corev1.PodRunning: 2}

// deleteFirst is kube's scale-down order: whether a should be deleted
// before b.
func deleteFirst(a, b rankedPod) bool {
	pa, pb := a.pod, b.pod
	// Unscheduled before scheduled.
	if (pa.Spec.NodeName == "") != (pb.Spec.NodeName == "") {
		return pa.Spec.NodeName == ""
	}
	// Pending before Unknown before Running.
	if oa, ob := phaseOrder[pa.Status.Phase], phaseOrder[pb.Status.Phase]; oa != ob {
		return oa < ob
	}
	// Not ready before ready.
	if a.ready != b.ready {
		return !a.ready
	}
	// Lower deletion cost first.
	if a.cost != b.cost {
		return a.cost < b.cost
	}
	// More ready pods of the same controller on its node first.
	if a.colocated != b.colocated {
		return a.colocated > b.colocated
	}
	// Ready for less time first; an unknown ready time counts as newest.
	if a.ready && b.ready && !a.readySince.Equal(b.readySince) {
		return afterOrZero(a.readySince, b.readySince)
	}
	// More container restarts first.
	if ra, rb := maxRestarts(pa), maxRestarts(pb); ra != rb {
		return ra > rb
	}
	// Newer first.
	if ca, cb := pa.CreationTimestamp.Time, pb.CreationTimestamp.Time; !ca.Equal(cb) {
		return afterOrZero(ca, cb)
	}
	return false
}

// afterOrZero orders t1 first when it is zero or later than t2.
func afterOrZero(t1, t2 time.Time) bool {
	if t1.IsZero() || t2.IsZero() {
		return t1.IsZero()
	}
	return t1.After(t2)
}

func deletionCost(pod *corev1.Pod) int32 {
	v, ok := pod.Annotations[deletionCostAnnotation]
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0
	}
	return int32(n)
}

func maxRestarts(pod *corev1.Pod) int32 {
	var n int32
	for _, s := range pod.Status.ContainerStatuses {
		n = max(n, s.RestartCount)
	}
	return n
}

// podReady reports whether pod has condition Ready=True.
func podReady(pod *corev1.Pod) bool {
	c := readyCondition(pod)
	return c != nil && c.Status == corev1.ConditionTrue
}

func readyCondition(pod *corev1.Pod) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodReady {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

func readyTime(pod *corev1.Pod) time.Time {
	if c := readyCondition(pod); c != nil {
		return c.LastTransitionTime.Time
	}
	return time.Time{}
}

// podAvailable reports whether pod has been ready for minReadySeconds.
func podAvailable(pod *corev1.Pod, minReadySeconds int32, now time.Time) bool {
	if !podReady(pod) {
		return false
	}
	if minReadySeconds == 0 {
		return true
	}
	since := readyTime(pod)
	return !since.IsZero() && since.Add(time.Duration(minReadySeconds)*time.Second).Before(now)
}
