package endpointslice

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/portal-dev/portal/internal/controller/internal/ctrltest"
)

const ns = "default"

var web = map[string]string{"app": "web"}

type env struct {
	t      *testing.T
	client *fake.Clientset
	ctx    context.Context
	reg    *prometheus.Registry
}

func start(t *testing.T, opts Options, objs ...runtime.Object) *env {
	t.Helper()
	client := ctrltest.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	reg := prometheus.NewRegistry()
	opts.Metrics = reg
	opts.Log = testLog()
	c := New(client, factory, opts)
	return &env{t: t, client: client, ctx: ctrltest.Start(t, factory, c), reg: reg}
}

// slices lists the Service's managed slices, sorted by name.
func (e *env) slices(svc string) []discoveryv1.EndpointSlice {
	e.t.Helper()
	list, err := e.client.DiscoveryV1().EndpointSlices(ns).List(e.ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + svc + "," + discoveryv1.LabelManagedBy + "=" + ControllerName,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	return list.Items
}

// endpoints maps pod name to endpoint over all the Service's slices.
func (e *env) endpoints(svc string) map[string]discoveryv1.Endpoint {
	out := map[string]discoveryv1.Endpoint{}
	for _, s := range e.slices(svc) {
		for _, ep := range s.Endpoints {
			out[ep.TargetRef.Name] = ep
		}
	}
	return out
}

// waitEndpoints waits until the Service's endpoints, as
// "pod:ready/serving/terminating", are want (sorted).
func (e *env) waitEndpoints(svc string, want ...string) {
	e.t.Helper()
	sort.Strings(want)
	ctrltest.Eventually(e.t, 5*time.Second, func() (bool, string) {
		var got []string
		for name, ep := range e.endpoints(svc) {
			got = append(got, fmt.Sprintf("%s:%t/%t/%t", name, *ep.Conditions.Ready, *ep.Conditions.Serving, *ep.Conditions.Terminating))
		}
		sort.Strings(got)
		return slices.Equal(got, want), fmt.Sprintf("endpoints %v, want %v", got, want)
	})
}

func (e *env) create(obj runtime.Object) {
	e.t.Helper()
	var err error
	switch o := obj.(type) {
	case *corev1.Pod:
		_, err = e.client.CoreV1().Pods(o.Namespace).Create(e.ctx, o, metav1.CreateOptions{})
	case *corev1.Service:
		_, err = e.client.CoreV1().Services(o.Namespace).Create(e.ctx, o, metav1.CreateOptions{})
	case *corev1.Node:
		_, err = e.client.CoreV1().Nodes().Create(e.ctx, o, metav1.CreateOptions{})
	default:
		e.t.Fatalf("create %T", obj)
	}
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) updatePod(name string, mutate func(*corev1.Pod)) {
	e.t.Helper()
	p, err := e.client.CoreV1().Pods(ns).Get(e.ctx, name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	mutate(p)
	if _, err := e.client.CoreV1().Pods(ns).Update(e.ctx, p, metav1.UpdateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

func pods(n int, lbls map[string]string) []runtime.Object {
	var out []runtime.Object
	for i := range n {
		out = append(out, ctrltest.Pod(ns, fmt.Sprintf("web-%d", i), fmt.Sprintf("10.1.%d.%d", i/250, i%250+1), true, lbls))
	}
	return out
}

func ready(names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, n+":true/true/false")
	}
	return out
}

func TestFourPodsOneSlice(t *testing.T) {
	svc := ctrltest.Service(ns, "web", web)
	svc.Labels = map[string]string{"tier": "front"}
	objs := append(pods(4, web), svc, ctrltest.Node("node-1", "zone-a"),
		ctrltest.Pod(ns, "other", "10.9.0.1", true, map[string]string{"app": "other"}))
	e := start(t, Options{}, objs...)
	e.waitEndpoints("web", ready("web-0", "web-1", "web-2", "web-3")...)

	s := e.slices("web")
	if len(s) != 1 {
		t.Fatalf("%d slices, want 1", len(s))
	}
	slice := s[0]
	if slice.AddressType != discoveryv1.AddressTypeIPv4 {
		t.Errorf("addressType %s", slice.AddressType)
	}
	if slice.GenerateName != "web-" || !strings.HasPrefix(slice.Name, "web-") {
		t.Errorf("name %q generateName %q", slice.Name, slice.GenerateName)
	}
	if got := slice.Labels; got["tier"] != "front" || got[discoveryv1.LabelManagedBy] != ControllerName || got[discoveryv1.LabelServiceName] != "web" {
		t.Errorf("labels %v", got)
	}
	// No cluster IP in this fixture: kube calls that headless.
	if _, ok := slice.Labels[corev1.IsHeadlessService]; !ok {
		t.Errorf("labels %v lack the headless label", slice.Labels)
	}
	if len(slice.OwnerReferences) != 1 || slice.OwnerReferences[0].UID != svc.UID ||
		slice.OwnerReferences[0].Kind != "Service" || !*slice.OwnerReferences[0].Controller {
		t.Errorf("ownerReferences %+v", slice.OwnerReferences)
	}
	if len(slice.Ports) != 1 || *slice.Ports[0].Port != 8080 || *slice.Ports[0].Name != "web" || *slice.Ports[0].Protocol != corev1.ProtocolTCP {
		t.Errorf("ports %+v", slice.Ports)
	}
	if _, ok := slice.Annotations[corev1.EndpointsLastChangeTriggerTime]; !ok {
		t.Errorf("no trigger-time annotation: %v", slice.Annotations)
	}
	ep := e.endpoints("web")["web-2"]
	if ep.Addresses[0] != "10.1.0.3" || *ep.NodeName != "node-1" || *ep.Zone != "zone-a" ||
		ep.TargetRef.Kind != "Pod" || ep.TargetRef.Namespace != ns || ep.TargetRef.UID == "" || ep.Hostname != nil {
		t.Errorf("endpoint %+v", ep)
	}
}

func TestPodChanges(t *testing.T) {
	e := start(t, Options{}, append(pods(4, web), ctrltest.Service(ns, "web", web))...)
	e.waitEndpoints("web", ready("web-0", "web-1", "web-2", "web-3")...)

	// Losing readiness: ready and serving false, still listed.
	e.updatePod("web-1", func(p *corev1.Pod) { ctrltest.SetReady(p, false) })
	e.waitEndpoints("web", append(ready("web-0", "web-2", "web-3"), "web-1:false/false/false")...)

	// Relabelled: leaves.
	e.updatePod("web-2", func(p *corev1.Pod) { p.Labels = map[string]string{"app": "nope"} })
	e.waitEndpoints("web", append(ready("web-0", "web-3"), "web-1:false/false/false")...)

	// New pod: joins.
	e.create(ctrltest.Pod(ns, "web-new", "10.1.9.9", true, web))
	e.waitEndpoints("web", append(ready("web-0", "web-3", "web-new"), "web-1:false/false/false")...)

	// Terminating (deletionTimestamp set, still Ready): serving, not ready.
	e.updatePod("web-0", func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{Time: time.Now()} })
	e.waitEndpoints("web", append(ready("web-3", "web-new"), "web-1:false/false/false", "web-0:false/true/true")...)

	// Terminal phase and no IP: gone.
	e.updatePod("web-3", func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded })
	e.updatePod("web-new", func(p *corev1.Pod) { p.Status.PodIP, p.Status.PodIPs = "", nil })
	e.waitEndpoints("web", "web-1:false/false/false", "web-0:false/true/true")

	// Deleted pod: gone.
	if err := e.client.CoreV1().Pods(ns).Delete(e.ctx, "web-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitEndpoints("web", "web-0:false/true/true")
}

func TestPacking(t *testing.T) {
	e := start(t, Options{}, append(pods(250, web), ctrltest.Service(ns, "web", web))...)
	sizes := func() []int {
		var n []int
		for _, s := range e.slices("web") {
			n = append(n, len(s.Endpoints))
		}
		sort.Sort(sort.Reverse(sort.IntSlice(n)))
		return n
	}
	ctrltest.Eventually(t, 10*time.Second, func() (bool, string) {
		got := sizes()
		return slices.Equal(got, []int{100, 100, 50}), fmt.Sprintf("slice sizes %v", got)
	})

	// One pod's readiness changes: exactly one slice is rewritten.
	e.client.ClearActions()
	e.updatePod("web-17", func(p *corev1.Pod) { ctrltest.SetReady(p, false) })
	ctrltest.Eventually(t, 5*time.Second, func() (bool, string) {
		ep := e.endpoints("web")["web-17"]
		return !*ep.Conditions.Ready, "web-17 still ready"
	})
	time.Sleep(100 * time.Millisecond)
	var writes []string
	for _, a := range e.client.Actions() {
		if a.GetResource().Resource == "endpointslices" && a.GetVerb() != "list" && a.GetVerb() != "watch" && a.GetVerb() != "get" {
			writes = append(writes, a.GetVerb())
		}
	}
	if !slices.Equal(writes, []string{"update"}) {
		t.Errorf("slice writes for one readiness change: %v, want [update]", writes)
	}
	if got := sizes(); !slices.Equal(got, []int{100, 100, 50}) {
		t.Errorf("sizes after update %v", got)
	}
}

func TestMaxEndpointsPerSlice(t *testing.T) {
	e := start(t, Options{MaxEndpointsPerSlice: 3}, append(pods(7, web), ctrltest.Service(ns, "web", web))...)
	ctrltest.Eventually(t, 5*time.Second, func() (bool, string) {
		var n []int
		for _, s := range e.slices("web") {
			n = append(n, len(s.Endpoints))
		}
		sort.Ints(n)
		return slices.Equal(n, []int{1, 3, 3}), fmt.Sprintf("sizes %v", n)
	})
}

func TestServiceVariants(t *testing.T) {
	cases := []struct {
		name   string
		svc    func(*corev1.Service)
		pods   []runtime.Object
		check  func(t *testing.T, slices []discoveryv1.EndpointSlice)
		expect []string
	}{{
		name: "named targetPort",
		svc: func(s *corev1.Service) {
			s.Spec.Ports[0].TargetPort = intstr.FromString("http")
		},
		pods: []runtime.Object{
			ctrltest.Pod(ns, "a", "10.0.0.1", true, web),
			withPort(ctrltest.Pod(ns, "b", "10.0.0.2", true, web), "http", 9090),
			withPort(ctrltest.Pod(ns, "c", "10.0.0.3", true, web), "metrics", 9100),
		},
		expect: ready("a", "b", "c"),
		check: func(t *testing.T, s []discoveryv1.EndpointSlice) {
			byPort := map[string][]string{}
			for _, sl := range s {
				port := "none"
				if len(sl.Ports) > 0 {
					port = fmt.Sprint(*sl.Ports[0].Port)
				}
				for _, ep := range sl.Endpoints {
					byPort[port] = append(byPort[port], ep.TargetRef.Name)
				}
			}
			want := map[string][]string{"8080": {"a"}, "9090": {"b"}, "none": {"c"}}
			if fmt.Sprint(byPort) != fmt.Sprint(want) {
				t.Errorf("pods by port %v, want %v", byPort, want)
			}
		},
	}, {
		name: "publishNotReadyAddresses",
		svc:  func(s *corev1.Service) { s.Spec.PublishNotReadyAddresses = true },
		pods: []runtime.Object{
			ctrltest.Pod(ns, "a", "10.0.0.1", true, web),
			ctrltest.Pod(ns, "b", "10.0.0.2", false, web),
		},
		expect: append(ready("a"), "b:true/false/false"),
	}, {
		name: "headless with hostname",
		svc:  func(s *corev1.Service) { s.Spec.ClusterIP = corev1.ClusterIPNone },
		pods: []runtime.Object{
			withHost(ctrltest.Pod(ns, "a", "10.0.0.1", true, web), "a-host", "web"),
			withHost(ctrltest.Pod(ns, "b", "10.0.0.2", true, web), "b-host", "elsewhere"),
		},
		expect: ready("a", "b"),
		check: func(t *testing.T, s []discoveryv1.EndpointSlice) {
			if _, ok := s[0].Labels[corev1.IsHeadlessService]; !ok {
				t.Errorf("labels %v", s[0].Labels)
			}
			for _, ep := range s[0].Endpoints {
				got := ""
				if ep.Hostname != nil {
					got = *ep.Hostname
				}
				want := map[string]string{"a": "a-host", "b": ""}[ep.TargetRef.Name]
				if got != want {
					t.Errorf("%s hostname %q, want %q", ep.TargetRef.Name, got, want)
				}
			}
		},
	}, {
		name: "cluster IP set: not headless",
		svc: func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.IPFamilies = "10.96.0.10", []corev1.IPFamily{corev1.IPv4Protocol}
		},
		pods:   []runtime.Object{ctrltest.Pod(ns, "a", "10.0.0.1", true, web)},
		expect: ready("a"),
		check: func(t *testing.T, s []discoveryv1.EndpointSlice) {
			if _, ok := s[0].Labels[corev1.IsHeadlessService]; ok {
				t.Errorf("labels %v", s[0].Labels)
			}
		},
	}, {
		name: "IPv6 pods",
		pods: []runtime.Object{
			ctrltest.Pod(ns, "a", "fd00::1", true, web),
			ctrltest.Pod(ns, "b", "fd00::2", true, web),
		},
		expect: ready("a", "b"),
		check: func(t *testing.T, s []discoveryv1.EndpointSlice) {
			if len(s) != 1 || s[0].AddressType != discoveryv1.AddressTypeIPv6 {
				t.Errorf("slices %+v, want one IPv6 slice", s)
			}
		},
	}, {
		name: "podIP without podIPs, unknown node",
		pods: []runtime.Object{func() runtime.Object {
			p := ctrltest.Pod(ns, "a", "10.0.0.1", true, web)
			p.Status.PodIPs = nil
			p.Spec.NodeName = "never-registered"
			return p
		}()},
		expect: ready("a"),
		check: func(t *testing.T, s []discoveryv1.EndpointSlice) {
			if ep := s[0].Endpoints[0]; *ep.NodeName != "never-registered" || ep.Zone != nil {
				t.Errorf("endpoint %+v", ep)
			}
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := ctrltest.Service(ns, "web", web)
			if tc.svc != nil {
				tc.svc(svc)
			}
			e := start(t, Options{}, append(tc.pods, svc)...)
			e.waitEndpoints("web", tc.expect...)
			if tc.check != nil {
				tc.check(t, e.slices("web"))
			}
		})
	}
}

func TestServiceLifecycle(t *testing.T) {
	e := start(t, Options{}, pods(2, web)...)
	// No pods selected yet: one empty placeholder slice, as kube keeps.
	e.create(ctrltest.Service(ns, "web", map[string]string{"app": "none"}))
	ctrltest.Eventually(t, 5*time.Second, func() (bool, string) {
		s := e.slices("web")
		return len(s) == 1 && len(s[0].Endpoints) == 0, fmt.Sprintf("%d slices", len(s))
	})
	// Selector now matches: the placeholder is reused.
	svc, _ := e.client.CoreV1().Services(ns).Get(e.ctx, "web", metav1.GetOptions{})
	svc.Spec.Selector = web
	if _, err := e.client.CoreV1().Services(ns).Update(e.ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitEndpoints("web", ready("web-0", "web-1")...)
	if n := len(e.slices("web")); n != 1 {
		t.Errorf("%d slices, want 1", n)
	}
	// Service labels follow.
	svc, _ = e.client.CoreV1().Services(ns).Get(e.ctx, "web", metav1.GetOptions{})
	svc.Labels = map[string]string{"team": "a"}
	if _, err := e.client.CoreV1().Services(ns).Update(e.ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, 5*time.Second, func() (bool, string) {
		s := e.slices("web")
		return len(s) == 1 && s[0].Labels["team"] == "a", "labels not copied"
	})
	// Selector removed: the slices go (the mirroring controller's turn).
	svc, _ = e.client.CoreV1().Services(ns).Get(e.ctx, "web", metav1.GetOptions{})
	svc.Spec.Selector = nil
	if _, err := e.client.CoreV1().Services(ns).Update(e.ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, 5*time.Second, func() (bool, string) {
		return len(e.slices("web")) == 0, "slices left after selector removal"
	})
	// Back, then the Service is deleted: slices deleted too.
	svc, _ = e.client.CoreV1().Services(ns).Get(e.ctx, "web", metav1.GetOptions{})
	svc.Spec.Selector = web
	if _, err := e.client.CoreV1().Services(ns).Update(e.ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitEndpoints("web", ready("web-0", "web-1")...)
	if err := e.client.CoreV1().Services(ns).Delete(e.ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, 5*time.Second, func() (bool, string) {
		return len(e.slices("web")) == 0, "slices left after service deletion"
	})
}

func TestExternalNameAndForeignSlices(t *testing.T) {
	ext := ctrltest.Service(ns, "ext", web)
	ext.Spec.Type, ext.Spec.ExternalName = corev1.ServiceTypeExternalName, "example.com"
	foreign := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hand-made", Labels: map[string]string{
			discoveryv1.LabelServiceName: "web", discoveryv1.LabelManagedBy: "someone-else",
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	e := start(t, Options{}, append(pods(1, web), ext, foreign, ctrltest.Service(ns, "web", web))...)
	e.waitEndpoints("web", ready("web-0")...)
	ctrltest.Never(t, 200*time.Millisecond, func() (bool, string) {
		return len(e.slices("ext")) > 0, "slice for an ExternalName service"
	})
	if _, err := e.client.DiscoveryV1().EndpointSlices(ns).Get(e.ctx, "hand-made", metav1.GetOptions{}); err != nil {
		t.Errorf("slice managed by someone else: %v", err)
	}
}

func TestNodeZoneArrivesLater(t *testing.T) {
	e := start(t, Options{}, append(pods(1, web), ctrltest.Service(ns, "web", web))...)
	e.waitEndpoints("web", ready("web-0")...)
	e.create(ctrltest.Node("node-1", "zone-b"))
	ctrltest.Eventually(t, 5*time.Second, func() (bool, string) {
		ep := e.endpoints("web")["web-0"]
		return ep.Zone != nil && *ep.Zone == "zone-b", "zone not set"
	})
}

func TestMetrics(t *testing.T) {
	e := start(t, Options{}, append(pods(3, web), ctrltest.Service(ns, "web", web))...)
	e.waitEndpoints("web", ready("web-0", "web-1", "web-2")...)
	ctrltest.Eventually(t, 5*time.Second, func() (bool, string) {
		mfs, err := e.reg.Gather()
		if err != nil {
			return false, err.Error()
		}
		got := map[string]float64{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				switch {
				case m.GetHistogram() != nil:
					got[mf.GetName()] = float64(m.GetHistogram().GetSampleCount())
				case m.GetGauge() != nil:
					got[mf.GetName()] = m.GetGauge().GetValue()
				}
			}
		}
		return got["portal_endpointslice_sync_duration_seconds"] >= 1 && got["portal_endpointslice_endpoints"] == 3,
			fmt.Sprintf("metrics %v", got)
	})
}

// TestStaleCacheCreatesNoDuplicates makes the informer lag behind the
// controller's own writes: it must not create a second set of slices.
func TestStaleCacheCreatesNoDuplicates(t *testing.T) {
	client := ctrltest.NewClientset(append(pods(3, web), ctrltest.Service(ns, "web", web))...)
	creates := 0
	client.PrependReactor("create", "endpointslices", func(k8stesting.Action) (bool, runtime.Object, error) {
		creates++
		return false, nil, nil
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	c := New(client, factory, Options{Log: slog.New(slog.DiscardHandler)})
	ctrltest.Start(t, factory, c)
	e := &env{t: t, client: client, ctx: context.Background()}
	e.waitEndpoints("web", ready("web-0", "web-1", "web-2")...)
	// Pod churn right after the create, while the slice informer may not
	// have seen it yet.
	e.updatePod("web-0", func(p *corev1.Pod) { p.Annotations = map[string]string{"x": "1"}; ctrltest.SetReady(p, false) })
	e.waitEndpoints("web", append(ready("web-1", "web-2"), "web-0:false/false/false")...)
	if n := len(e.slices("web")); n != 1 || creates != 1 {
		t.Errorf("%d slices after %d creates, want 1 and 1", n, creates)
	}
}

func withPort(p *corev1.Pod, name string, port int32) *corev1.Pod {
	p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: name, ContainerPort: port, Protocol: corev1.ProtocolTCP}}
	return p
}

func withHost(p *corev1.Pod, hostname, subdomain string) *corev1.Pod {
	p.Spec.Hostname, p.Spec.Subdomain = hostname, subdomain
	return p
}

func testLog() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug - 4}))
	}
	return slog.New(slog.DiscardHandler)
}
