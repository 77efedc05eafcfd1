package scheduler

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/klog/v2"
)

// The taints kube's node controllers put on nodes that are not ready,
// unreachable or cordoned; portal's scheduler treats such nodes as if they
// carried them.
const (
	TaintNodeNotReady      = "node.kubernetes.io/not-ready"
	TaintNodeUnreachable   = "node.kubernetes.io/unreachable"
	TaintNodeUnschedulable = "node.kubernetes.io/unschedulable"
)

// Reasons a node does not fit, as kube-scheduler words them.
const (
	reasonAffinity      = "node(s) didn't match Pod's node affinity/selector"
	reasonUnschedulable = "node(s) were unschedulable"
	reasonTooManyPods   = "Too many pods"
)

// fit says whether pod may go to node, and if not, why. running is the
// number of pods on the node that are not finished.
func fit(pod *corev1.Pod, node *corev1.Node, running int) (bool, string) {
	if !matchesNodeSelector(pod, node) {
		return false, reasonAffinity
	}
	if node.Spec.Unschedulable && !tolerates(pod, corev1.Taint{Key: TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}) {
		return false, reasonUnschedulable
	}
	taints := append([]corev1.Taint(nil), node.Spec.Taints...)
	switch readyStatus(node) {
	case corev1.ConditionTrue:
	case corev1.ConditionFalse:
		taints = append(taints, corev1.Taint{Key: TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule})
	default:
		taints = append(taints, corev1.Taint{Key: TaintNodeUnreachable, Effect: corev1.TaintEffectNoSchedule})
	}
	for _, t := range taints {
		if t.Effect == corev1.TaintEffectPreferNoSchedule {
			continue
		}
		if !tolerates(pod, t) {
			return false, fmt.Sprintf("node(s) had untolerated taint {%s: %s}", t.Key, t.Value)
		}
	}
	if q, ok := node.Status.Allocatable[corev1.ResourcePods]; ok && int64(running) >= q.Value() {
		return false, reasonTooManyPods
	}
	return true, ""
}

func readyStatus(node *corev1.Node) corev1.ConditionStatus {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return corev1.ConditionUnknown
}

func tolerates(pod *corev1.Pod, taint corev1.Taint) bool {
	for i := range pod.Spec.Tolerations {
		if pod.Spec.Tolerations[i].ToleratesTaint(klog.Background(), &taint, false) {
			return true
		}
	}
	return false
}

// matchesNodeSelector checks spec.nodeSelector and the required node
// affinity (any one term; within a term, every expression and field).
func matchesNodeSelector(pod *corev1.Pod, node *corev1.Node) bool {
	if len(pod.Spec.NodeSelector) > 0 && !labels.SelectorFromSet(pod.Spec.NodeSelector).Matches(labels.Set(node.Labels)) {
		return false
	}
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return true
	}
	for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		if len(term.MatchExpressions) == 0 && len(term.MatchFields) == 0 {
			continue // an empty term matches nothing
		}
		if matchRequirements(term.MatchExpressions, labels.Set(node.Labels)) &&
			matchRequirements(term.MatchFields, labels.Set{"metadata.name": node.Name}) {
			return true
		}
	}
	return false
}

func matchRequirements(reqs []corev1.NodeSelectorRequirement, set labels.Set) bool {
	for _, r := range reqs {
		switch r.Operator {
		case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
			v, ok := set[r.Key]
			if !ok || len(r.Values) != 1 {
				return false
			}
			have, err1 := strconv.ParseInt(v, 10, 64)
			want, err2 := strconv.ParseInt(r.Values[0], 10, 64)
			if err1 != nil || err2 != nil {
				return false
			}
			if (r.Operator == corev1.NodeSelectorOpGt && have <= want) || (r.Operator == corev1.NodeSelectorOpLt && have >= want) {
				return false
			}
			continue
		}
		op := map[corev1.NodeSelectorOperator]selection.Operator{
			corev1.NodeSelectorOpIn:           selection.In,
			corev1.NodeSelectorOpNotIn:        selection.NotIn,
			corev1.NodeSelectorOpExists:       selection.Exists,
			corev1.NodeSelectorOpDoesNotExist: selection.DoesNotExist,
		}[r.Operator]
		req, err := labels.NewRequirement(r.Key, op, r.Values)
		if err != nil || !req.Matches(set) {
			return false
		}
	}
	return true
}

// choose picks the node for pod: of the fitting ones, the one with the
// fewest running pods, ties broken by name. With none it returns the
// FailedScheduling message.
func choose(pod *corev1.Pod, nodes []*corev1.Node, running map[string]int) (string, string) {
	if len(nodes) == 0 {
		return "", "no nodes available to schedule pods"
	}
	best := ""
	reasons := map[string]int{}
	for _, n := range nodes {
		ok, why := fit(pod, n, running[n.Name])
		if !ok {
			reasons[why]++
			continue
		}
		if best == "" || running[n.Name] < running[best] || (running[n.Name] == running[best] && n.Name < best) {
			best = n.Name
		}
	}
	if best != "" {
		return best, ""
	}
	var parts []string
	for why, n := range reasons {
		parts = append(parts, fmt.Sprintf("%d %s", n, why))
	}
	sort.Strings(parts)
	return "", fmt.Sprintf("0/%d nodes are available: %s.", len(nodes), strings.Join(parts, ", "))
}
