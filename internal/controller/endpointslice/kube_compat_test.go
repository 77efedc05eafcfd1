package endpointslice

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	esreconciler "k8s.io/endpointslice"
	esutil "k8s.io/endpointslice/util"
	"k8s.io/klog/v2"

	"github.com/portal-dev/portal/internal/controller/internal/ctrltest"
	"github.com/portal-dev/portal/internal/controller/internal/ctrlutil"
)

// TestMatchesKubeReconciler runs portal's reconciler and kube's
// (k8s.io/endpointslice, which this package used before) on the same
// random Services, pods and existing slices, round after round of pod
// churn, and checks they agree on everything kube determines: the
// endpoints, which existing slices survive and what they keep in place,
// the sizes of the slices, and how many creates, updates and deletes it
// takes. (Which new endpoint lands in which slice is random in kube.)
func TestMatchesKubeReconciler(t *testing.T) {
	for seed := range uint64(60) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			sc := newScenario(r)
			var existing []*discoveryv1.EndpointSlice
			for round := range 6 {
				if round > 0 {
					sc.churn(r, round)
				}
				ours, ourWrites := sc.run(t, existing, false)
				kube, kubeWrites := sc.run(t, existing, true)
				ctx := fmt.Sprintf("round %d (max %d, %d pods)", round, sc.max, len(sc.pods))
				compareResults(t, ctx, existing, ours, kube)
				if ourWrites != kubeWrites {
					t.Errorf("%s: writes %s, kube %s", ctx, ourWrites, kubeWrites)
				}
				existing = ours
			}
			// Nothing changed: nothing written.
			if _, w := sc.run(t, existing, false); w != "" {
				t.Errorf("writes without a change: %s", w)
			}
		})
	}
}

type scenario struct {
	svc   *corev1.Service
	pods  []*corev1.Pod
	nodes corelisters.NodeLister
	max   int
	dual  bool
	next  int
}

func newScenario(r *rand.Rand) *scenario {
	sc := &scenario{max: []int{2, 3, 10, 100}[r.IntN(4)], dual: r.IntN(4) == 0}
	svc := ctrltest.Service(ns, "web", web)
	svc.UID = "svc-uid"
	svc.Spec.ClusterIP, svc.Spec.IPFamilies = "10.96.0.1", []corev1.IPFamily{corev1.IPv4Protocol}
	switch r.IntN(3) {
	case 0:
		svc.Spec.ClusterIP = corev1.ClusterIPNone
	case 1:
		svc.Labels = map[string]string{"tier": "front"}
	}
	if sc.dual {
		svc.Spec.IPFamilies = append(svc.Spec.IPFamilies, corev1.IPv6Protocol)
	}
	if r.IntN(2) == 0 {
		svc.Spec.Ports[0].TargetPort = intstr.FromString("http")
	}
	if r.IntN(3) == 0 {
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "metrics", Port: 9100, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(9100)})
	}
	sc.svc = svc
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	_ = idx.Add(ctrltest.Node("n1", "zone-a"))
	_ = idx.Add(ctrltest.Node("n2", ""))
	sc.nodes = corelisters.NewNodeLister(idx)
	for range r.IntN(3 * sc.max) {
		sc.addPod(r)
	}
	return sc
}

func (sc *scenario) addPod(r *rand.Rand) {
	i := sc.next
	sc.next++
	p := ctrltest.Pod(ns, fmt.Sprintf("p-%d", i), fmt.Sprintf("10.1.%d.%d", i/250, i%250+1), r.IntN(4) > 0, web)
	p.UID = types.UID("pod-uid-" + p.Name)
	p.CreationTimestamp = metav1.NewTime(time.Unix(int64(1000+i), 0))
	if sc.dual && r.IntN(2) == 0 {
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: fmt.Sprintf("fd00::%x", i+1)})
	}
	if r.IntN(4) > 0 {
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}
	} else if r.IntN(2) == 0 {
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8081, Protocol: corev1.ProtocolTCP}}
	}
	p.Spec.NodeName = []string{"", "n1", "n2", "gone"}[r.IntN(4)]
	if r.IntN(8) == 0 {
		p.Spec.Hostname, p.Spec.Subdomain = "h-"+p.Name, "web"
	}
	sc.pods = append(sc.pods, p)
}

// churn changes some pods, deletes some and adds some.
func (sc *scenario) churn(r *rand.Rand, round int) {
	kind := r.IntN(4) // rounds of one kind of change, and mixed ones
	var kept []*corev1.Pod
	for _, p := range sc.pods {
		p = p.DeepCopy()
		switch x := r.IntN(20); {
		case (kind == 0 || kind == 3) && x < 3:
			ready, _ := readyCondition(p)
			ctrltest.SetReady(p, !ready)
		case (kind == 1 || kind == 3) && x < 2:
			continue // deleted
		case kind == 3 && x == 2:
			p.DeletionTimestamp = &metav1.Time{Time: time.Unix(5000, 0)}
		case kind == 3 && x == 3:
			p.Spec.NodeName = "n1"
		case kind == 3 && x == 4:
			p.Status.PodIP = fmt.Sprintf("10.2.%d.%d", round, r.IntN(250)+1)
			p.Status.PodIPs = []corev1.PodIP{{IP: p.Status.PodIP}}
		case kind == 3 && x == 5:
			p.Status.Phase = corev1.PodSucceeded
		}
		kept = append(kept, p)
	}
	sc.pods = kept
	if kind == 2 || kind == 3 {
		for range r.IntN(sc.max + 2) {
			sc.addPod(r)
		}
	}
	if r.IntN(6) == 0 {
		sc.svc = sc.svc.DeepCopy()
		sc.svc.Labels = map[string]string{"round": fmt.Sprint(round)}
	}
}

// run reconciles the scenario from existing with portal's reconciler or
// kube's, and returns the slices after it and its writes.
func (sc *scenario) run(t *testing.T, existing []*discoveryv1.EndpointSlice, kube bool) ([]*discoveryv1.EndpointSlice, string) {
	t.Helper()
	var objs []runtime.Object
	var live []*discoveryv1.EndpointSlice
	for _, s := range existing {
		objs = append(objs, s.DeepCopy())
		live = append(live, s.DeepCopy())
	}
	client := ctrltest.NewClientset(objs...)
	var pods []*corev1.Pod
	for _, p := range sc.pods {
		pods = append(pods, p.DeepCopy())
	}
	found := scanPods(sc.svc, pods, zoneOfNode(sc.nodes), nil, nil)
	svc := withIPFamilies(sc.svc.DeepCopy(), found)
	tracker := esutil.NewEndpointSliceTracker()
	var err error
	if kube {
		log := ctrlutil.Klog(slog.New(slog.DiscardHandler))
		rec := esreconciler.NewReconciler(client, anyNodeLister{sc.nodes}, int32(sc.max), tracker, nil,
			ctrlutil.LogRecorder{Log: slog.New(slog.DiscardHandler)}, ControllerName)
		err = rec.Reconcile(klog.Logger(log), svc, pods, live, time.Time{})
	} else {
		c := &Controller{client: client, nodes: sc.nodes, tracker: tracker, maxPerSlice: sc.max, log: slog.New(slog.DiscardHandler)}
		err = c.reconcile(context.Background(), svc, scanPods(svc, pods, zoneOfNode(sc.nodes), nil, nil), live, time.Time{})
	}
	if err != nil {
		t.Fatalf("kube=%t: %v", kube, err)
	}
	return listSlices(t, client), writes(client)
}

// anyNodeLister gives kube's reconciler an empty Node for a missing one,
// as portal keeps such pods (see doc.go).
type anyNodeLister struct{ corelisters.NodeLister }

func (l anyNodeLister) Get(name string) (*corev1.Node, error) {
	n, err := l.NodeLister.Get(name)
	if apierrors.IsNotFound(err) {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, nil
	}
	return n, err
}

func listSlices(t *testing.T, client *fake.Clientset) []*discoveryv1.EndpointSlice {
	list, err := client.DiscoveryV1().EndpointSlices(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*discoveryv1.EndpointSlice
	for i := range list.Items {
		// As informers hand them out (the fake sets the kind).
		list.Items[i].TypeMeta = metav1.TypeMeta{}
		out = append(out, &list.Items[i])
	}
	return out
}

// writes counts the slice writes a client saw, as "create=1 update=2".
func writes(client *fake.Clientset) string {
	n := map[string]int{}
	for _, a := range client.Actions() {
		if v := a.GetVerb(); v == "create" || v == "update" || v == "delete" {
			n[v]++
		}
	}
	var parts []string
	for _, v := range []string{"create", "update", "delete"} {
		if n[v] > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", v, n[v]))
		}
	}
	return strings.Join(parts, " ")
}

// compareResults checks what kube determines (see TestMatchesKubeReconciler).
func compareResults(t *testing.T, ctx string, before, ours, kube []*discoveryv1.EndpointSlice) {
	t.Helper()
	if a, b := endpointSet(ours), endpointSet(kube); !slices.Equal(a, b) {
		t.Errorf("%s: endpoints\n%v\nkube\n%v", ctx, a, b)
	}
	if a, b := sliceShapes(ours), sliceShapes(kube); !slices.Equal(a, b) {
		t.Errorf("%s: slices %v, kube %v", ctx, a, b)
	}
	for _, old := range before {
		a, b := kept(old, ours), kept(old, kube)
		if a != b {
			t.Errorf("%s: slice %s keeps %q, kube %q", ctx, old.Name, a, b)
		}
	}
}

// endpointSet renders every endpoint with the fields this controller
// writes, sorted.
func endpointSet(list []*discoveryv1.EndpointSlice) []string {
	var out []string
	for _, s := range list {
		for _, e := range s.Endpoints {
			out = append(out, fmt.Sprintf("%s %s %v r=%v s=%v t=%v node=%s zone=%s host=%s ref=%s/%s/%s %v",
				s.AddressType, ports(s), e.Addresses, *e.Conditions.Ready, *e.Conditions.Serving, *e.Conditions.Terminating,
				deref(e.NodeName), deref(e.Zone), deref(e.Hostname), e.TargetRef.Kind, e.TargetRef.Name, e.TargetRef.UID, e.Hints))
		}
	}
	sort.Strings(out)
	return out
}

// sliceShapes renders each slice as family, ports, labels, owner and size,
// sorted.
func sliceShapes(list []*discoveryv1.EndpointSlice) []string {
	var out []string
	for _, s := range list {
		var owner string
		for _, o := range s.OwnerReferences {
			owner += o.String()
		}
		keys := make([]string, 0, len(s.Labels))
		for k, v := range s.Labels {
			keys = append(keys, k+"="+v)
		}
		sort.Strings(keys)
		out = append(out, fmt.Sprintf("%s %s %v %s %s n=%d", s.AddressType, ports(s), keys, s.GenerateName, owner, len(s.Endpoints)))
	}
	sort.Strings(out)
	return out
}

// kept renders which of old's endpoints (by pod) the slice of the same
// name still holds, or "gone".
func kept(old *discoveryv1.EndpointSlice, after []*discoveryv1.EndpointSlice) string {
	for _, s := range after {
		if s.Name != old.Name {
			continue
		}
		var names []string
		for _, e := range s.Endpoints {
			if slices.ContainsFunc(old.Endpoints, func(o discoveryv1.Endpoint) bool {
				return o.TargetRef.Name == e.TargetRef.Name && slices.Equal(o.Addresses, e.Addresses)
			}) {
				names = append(names, e.TargetRef.Name)
			}
		}
		if len(names) == 0 {
			// Reused for new endpoints, of any group in kube.
			return "emptied"
		}
		sort.Strings(names)
		return ports(s) + " " + strings.Join(names, ",")
	}
	return "gone"
}

func ports(s *discoveryv1.EndpointSlice) string {
	var out []string
	for _, p := range s.Ports {
		out = append(out, fmt.Sprintf("%s/%d/%s", deref(p.Name), *p.Port, *p.Protocol))
	}
	sort.Strings(out)
	return "[" + strings.Join(out, " ") + "]"
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}
