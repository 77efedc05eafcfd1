package endpointslice

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/portal-dev/portal/internal/controller/internal/ctrltest"
)

// TestScanUpdateMatchesFullScan changes random pods round after round,
// updates one scan with the changed pods only, and checks it against a
// scan of all pods: same endpoints, eligible count and trigger times.
func TestScanUpdateMatchesFullScan(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	svc := ctrltest.Service(ns, "web", web)
	svc.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
	svc.Spec.Ports[0].TargetPort = intstr.FromString("http")
	zone := func(n string) string { return "z-" + n }
	pods := map[string]*corev1.Pod{}
	newPod := func(i int) *corev1.Pod {
		p := ctrltest.Pod(ns, fmt.Sprint("p-", i), fmt.Sprintf("10.0.%d.%d", i/200, i%200+1), r.IntN(2) == 0, web)
		if r.IntN(3) == 0 {
			p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: fmt.Sprintf("fd00::%x", i+1)})
		}
		if r.IntN(4) > 0 {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: int32(8080 + r.IntN(2)), Protocol: corev1.ProtocolTCP}}
		}
		p.Spec.NodeName = []string{"", "n1", "n2"}[r.IntN(3)]
		// The same time when made again: only a pod forgotten when it went
		// counts as a change then.
		for i := range p.Status.Conditions {
			p.Status.Conditions[i].LastTransitionTime = metav1.NewTime(time.Unix(500, 0))
		}
		return p
	}
	for i := range 300 {
		pods[fmt.Sprint("p-", i)] = newPod(i)
	}
	list := func() []*corev1.Pod {
		var out []*corev1.Pod
		for _, p := range pods {
			out = append(out, p)
		}
		return out
	}
	incTriggers, fullTriggers := newTriggerTracker(), newTriggerTracker()
	sw := incTriggers.begin("k")
	inc := scanPods(svc, list(), zone, sw.observe, nil)
	sw.end(svc)
	fullTriggers.compute("k", svc, list())
	next := 300
	for round := range 200 {
		var changed []string
		for range r.IntN(10) + 1 {
			name := fmt.Sprint("p-", r.IntN(next))
			changed = append(changed, name)
			p, ok := pods[name]
			switch x := r.IntN(8); {
			case !ok || x == 0:
				var i int
				fmt.Sscanf(name, "p-%d", &i)
				pods[name] = newPod(i)
			case x == 1:
				delete(pods, name)
			case x == 2:
				p = p.DeepCopy()
				p.Labels = map[string]string{"app": "other"} // no longer selected
				pods[name] = p
			case x == 3:
				p = p.DeepCopy()
				p.Status.Phase = corev1.PodFailed
				pods[name] = p
			case x == 4:
				p = p.DeepCopy()
				p.DeletionTimestamp = &metav1.Time{Time: time.Unix(9, 0)}
				pods[name] = p
			case x == 5:
				p = p.DeepCopy()
				p.Status.Conditions = nil
				pods[name] = p
			default:
				p = p.DeepCopy()
				ready, _ := readyCondition(p)
				ctrltest.SetReady(p, !ready)
				p.Status.Conditions[0].LastTransitionTime = metav1.NewTime(time.Unix(int64(10000+round), 0))
				pods[name] = p
			}
		}
		if r.IntN(5) == 0 {
			pods[fmt.Sprint("p-", next)] = newPod(next)
			changed = append(changed, fmt.Sprint("p-", next))
			next++
		}
		sw := incTriggers.begin("k")
		for _, name := range changed {
			p := pods[name]
			if p != nil && p.Labels["app"] != "web" {
				p = nil
			}
			inc.update(name, p, zone, sw)
		}
		gotTrigger := sw.endChanged(svc)
		var selected []*corev1.Pod
		for _, p := range list() {
			if p.Labels["app"] == "web" {
				selected = append(selected, p)
			}
		}
		wantTrigger := fullTriggers.compute("k", svc, selected)
		full := scanPods(svc, selected, zone, nil, nil)
		if !gotTrigger.Equal(wantTrigger) {
			t.Fatalf("round %d: trigger %v, full %v", round, gotTrigger, wantTrigger)
		}
		if inc.eligible != full.eligible || len(inc.members) != len(full.members) {
			t.Fatalf("round %d: eligible %d of %d members, full %d of %d", round, inc.eligible, len(inc.members), full.eligible, len(full.members))
		}
		for _, fam := range []*desired{full.v4, full.v6} {
			got, want := renderWants(inc.family(fam.family)), renderWants(fam)
			if !slices.Equal(got, want) {
				t.Fatalf("round %d %s: wants\n%v\nfull\n%v", round, fam.family, got, want)
			}
		}
	}
}

// renderWants renders a family's wants with their port groups, sorted.
func renderWants(d *desired) []string {
	var out []string
	for name, i := range d.byPod {
		w := d.wants[i]
		if w.pod.Name != name {
			out = append(out, "index broken for "+name)
		}
		out = append(out, fmt.Sprintf("%s %v %s r=%t s=%t t=%t h=%t z=%s",
			name, w.addrs, ports(&discoveryv1.EndpointSlice{Ports: d.groups[w.group].ports}), w.ready, w.serving, w.terminating, w.hostname, w.zone))
	}
	if len(d.byPod) != len(d.wants) {
		out = append(out, fmt.Sprintf("%d indexed, %d wants", len(d.byPod), len(d.wants)))
	}
	sort.Strings(out)
	return out
}

// TestChurnThroughEvents drives the running controller with random pod
// changes through the API (so syncs read changed pods from events), a
// Service change and a node zone change, then checks the slices hold
// exactly the endpoints a scan of all pods gives.
func TestChurnThroughEvents(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	e := start(t, Options{MaxEndpointsPerSlice: 7}, append(pods(40, web), ctrltest.Service(ns, "web", web))...)
	e.waitEndpoints("web", ready(podNames(40)...)...)
	next := 40
	for step := range 120 {
		name := fmt.Sprint("web-", r.IntN(next))
		p, err := e.client.CoreV1().Pods(ns).Get(e.ctx, name, metav1.GetOptions{})
		switch x := r.IntN(6); {
		case err != nil || x == 0:
			e.create(ctrltest.Pod(ns, fmt.Sprint("web-", next), fmt.Sprintf("10.2.%d.%d", next/250, next%250+1), r.IntN(2) == 0, web))
			next++
		case x == 1:
			if err := e.client.CoreV1().Pods(ns).Delete(e.ctx, name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		case x == 2:
			e.updatePod(name, func(p *corev1.Pod) {
				if p.Labels["app"] == "web" {
					p.Labels = map[string]string{"app": "other"}
				} else {
					p.Labels = web
				}
			})
		default:
			ready, _ := readyCondition(p)
			e.updatePod(name, func(p *corev1.Pod) { ctrltest.SetReady(p, !ready) })
		}
		switch step {
		case 40:
			svc, _ := e.client.CoreV1().Services(ns).Get(e.ctx, "web", metav1.GetOptions{})
			svc.Spec.PublishNotReadyAddresses = true
			if _, err := e.client.CoreV1().Services(ns).Update(e.ctx, svc, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		case 80:
			e.create(ctrltest.Node("node-1", "zone-c"))
		}
	}
	ctrltest.Eventually(t, 10*time.Second, func() (bool, string) {
		list, err := e.client.CoreV1().Pods(ns).List(e.ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return false, err.Error()
		}
		var selected []*corev1.Pod
		for i := range list.Items {
			selected = append(selected, &list.Items[i])
		}
		svc, _ := e.client.CoreV1().Services(ns).Get(e.ctx, "web", metav1.GetOptions{})
		want := scanPods(svc, selected, func(string) string { return "zone-c" }, nil, nil)
		var wantEPs []string
		for _, w := range want.v4.wants {
			wantEPs = append(wantEPs, fmt.Sprintf("%s:%t/%t/%t %s", w.pod.Name, w.ready, w.serving, w.terminating, w.zone))
		}
		var got []string
		for name, ep := range e.endpoints("web") {
			got = append(got, fmt.Sprintf("%s:%t/%t/%t %s", name, *ep.Conditions.Ready, *ep.Conditions.Serving, *ep.Conditions.Terminating, deref(ep.Zone)))
		}
		sort.Strings(got)
		sort.Strings(wantEPs)
		return slices.Equal(got, wantEPs), fmt.Sprintf("endpoints\n%v\nwant\n%v", got, wantEPs)
	})
}

func podNames(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprint("web-", i))
	}
	return out
}
