package scheduler

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type nodeOpt func(*corev1.Node)

func node(name string, opts ...nodeOpt) *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
		Status: corev1.NodeStatus{
			Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
			Allocatable: corev1.ResourceList{corev1.ResourcePods: *resource.NewQuantity(110, resource.DecimalSI)},
		},
	}
	for _, o := range opts {
		o(n)
	}
	return n
}

func ready(s corev1.ConditionStatus) nodeOpt {
	return func(n *corev1.Node) { n.Status.Conditions[0].Status = s }
}
func labeled(k, v string) nodeOpt { return func(n *corev1.Node) { n.Labels[k] = v } }
func cordoned(n *corev1.Node)     { n.Spec.Unschedulable = true }
func tainted(key string, e corev1.TaintEffect) nodeOpt {
	return func(n *corev1.Node) {
		n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: key, Value: "v", Effect: e})
	}
}
func maxPods(n int64) nodeOpt {
	return func(node *corev1.Node) {
		node.Status.Allocatable[corev1.ResourcePods] = *resource.NewQuantity(n, resource.DecimalSI)
	}
}

func TestChoose(t *testing.T) {
	plain := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"}}
	with := func(mutate func(*corev1.Pod)) *corev1.Pod {
		p := plain.DeepCopy()
		mutate(p)
		return p
	}
	cases := []struct {
		name    string
		pod     *corev1.Pod
		nodes   []*corev1.Node
		running map[string]int
		want    string // node, or the FailedScheduling message
	}{
		{"no nodes", plain, nil, nil, "no nodes available to schedule pods"},
		{"least pods first", plain, []*corev1.Node{node("a"), node("b"), node("c")}, map[string]int{"a": 3, "b": 1, "c": 2}, "b"},
		{"ties by name", plain, []*corev1.Node{node("b"), node("a")}, nil, "a"},
		{"not ready nodes are skipped", plain, []*corev1.Node{node("a", ready(corev1.ConditionFalse)), node("b", ready(corev1.ConditionUnknown)), node("c")}, map[string]int{"c": 50}, "c"},
		{"only unready nodes", plain, []*corev1.Node{node("a", ready(corev1.ConditionFalse)), node("b", ready(corev1.ConditionUnknown))}, nil,
			"0/2 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }."},
		{"a pod tolerating unreachable may go there", with(func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: TaintNodeUnreachable, Operator: corev1.TolerationOpExists}}
		}), []*corev1.Node{node("a", ready(corev1.ConditionUnknown))}, nil, "a"},
		{"cordoned", plain, []*corev1.Node{node("a", cordoned)}, nil, "0/1 nodes are available: 1 node(s) were unschedulable."},
		{"nodeSelector", with(func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} }),
			[]*corev1.Node{node("a"), node("b", labeled("disk", "ssd"))}, map[string]int{"b": 9}, "b"},
		{"nodeSelector matches none", with(func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} }),
			[]*corev1.Node{node("a"), node("b")}, nil, "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."},
		{"required node affinity", with(func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{
					{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"z1"}}}},
					{MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{"c"}}}},
				},
			}}}
		}), []*corev1.Node{node("a"), node("b", labeled("zone", "z1")), node("c")}, map[string]int{"b": 5, "c": 1}, "c"},
		{"Gt on a label", with(func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "cores", Operator: corev1.NodeSelectorOpGt, Values: []string{"4"}}}}},
			}}}
		}), []*corev1.Node{node("a", labeled("cores", "4")), node("b", labeled("cores", "8"))}, nil, "b"},
		{"untolerated NoSchedule taint", plain, []*corev1.Node{node("a", tainted("dedicated", corev1.TaintEffectNoSchedule))}, nil,
			"0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: v}."},
		{"PreferNoSchedule does not filter", plain, []*corev1.Node{node("a", tainted("dedicated", corev1.TaintEffectPreferNoSchedule))}, nil, "a"},
		{"tolerated taint", with(func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "v", Effect: corev1.TaintEffectNoSchedule}}
		}), []*corev1.Node{node("a", tainted("dedicated", corev1.TaintEffectNoSchedule))}, nil, "a"},
		{"full node", plain, []*corev1.Node{node("a", maxPods(2))}, map[string]int{"a": 2}, "0/1 nodes are available: 1 Too many pods."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			running := tc.running
			if running == nil {
				running = map[string]int{}
			}
			got, why := choose(tc.pod, tc.nodes, running)
			if got == "" {
				got = why
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
