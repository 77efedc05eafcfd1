package endpoints

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/portal-dev/portal/internal/controller/internal/ctrltest"
)

const ns = "default"

var web = map[string]string{"app": "web"}

type env struct {
	t      *testing.T
	client *fake.Clientset
	ctx    context.Context
}

func start(t *testing.T, objs ...runtime.Object) *env {
	t.Helper()
	client := ctrltest.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	c := New(client, factory, Options{Log: testLog()})
	return &env{t: t, client: client, ctx: ctrltest.Start(t, factory, c)}
}

func testLog() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func (e *env) get(name string) (*corev1.Endpoints, error) {
	return e.client.CoreV1().Endpoints(ns).Get(e.ctx, name, metav1.GetOptions{})
}

// summary renders an Endpoints object as "ready=[a b] notReady=[c]
// ports=[web:8080/TCP]" with pod names, for comparisons.
func summary(ep *corev1.Endpoints) string {
	var ready, notReady, ports []string
	for _, s := range ep.Subsets {
		for _, a := range s.Addresses {
			ready = append(ready, a.TargetRef.Name)
		}
		for _, a := range s.NotReadyAddresses {
			notReady = append(notReady, a.TargetRef.Name)
		}
		for _, p := range s.Ports {
			ports = append(ports, fmt.Sprintf("%s:%d/%s", p.Name, p.Port, p.Protocol))
		}
	}
	sort.Strings(ready)
	sort.Strings(notReady)
	sort.Strings(ports)
	ports = slices.Compact(ports)
	return fmt.Sprintf("ready=%v notReady=%v ports=%v", ready, notReady, ports)
}

func (e *env) wait(name, want string) *corev1.Endpoints {
	e.t.Helper()
	var ep *corev1.Endpoints
	ctrltest.Eventually(e.t, 5*time.Second, func() (bool, string) {
		var err error
		ep, err = e.get(name)
		if err != nil {
			return false, err.Error()
		}
		got := summary(ep)
		return got == want, fmt.Sprintf("%s, want %s", got, want)
	})
	return ep
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

// writes counts create and update calls on endpoints since the last
// ClearActions.
func (e *env) writes() int {
	n := 0
	for _, a := range e.client.Actions() {
		if a.GetResource().Resource == "endpoints" && (a.GetVerb() == "create" || a.GetVerb() == "update") {
			n++
		}
	}
	return n
}

func pods(n int) []runtime.Object {
	var out []runtime.Object
	for i := range n {
		out = append(out, ctrltest.Pod(ns, fmt.Sprintf("web-%d", i), fmt.Sprintf("10.1.%d.%d", i/250, i%250+1), true, web))
	}
	return out
}

func TestPodChanges(t *testing.T) {
	svc := ctrltest.Service(ns, "web", web)
	svc.Labels = map[string]string{"tier": "front"}
	e := start(t, append(pods(4), svc)...)
	ep := e.wait("web", "ready=[web-0 web-1 web-2 web-3] notReady=[] ports=[web:8080/TCP]")
	if len(ep.Subsets) != 1 {
		t.Fatalf("subsets %+v, want one", ep.Subsets)
	}
	a := ep.Subsets[0].Addresses[2]
	if a.IP != "10.1.0.3" || *a.NodeName != "node-1" || a.TargetRef.Kind != "Pod" || a.TargetRef.UID == "" || a.Hostname != "" {
		t.Errorf("address %+v", a)
	}
	if ep.Labels["tier"] != "front" {
		t.Errorf("labels %v", ep.Labels)
	}
	if _, ok := ep.Annotations[corev1.EndpointsLastChangeTriggerTime]; !ok {
		t.Errorf("annotations %v lack the trigger time", ep.Annotations)
	}

	e.updatePod("web-1", func(p *corev1.Pod) { ctrltest.SetReady(p, false) })
	ep = e.wait("web", "ready=[web-0 web-2 web-3] notReady=[web-1] ports=[web:8080/TCP]")
	if len(ep.Subsets) != 1 || len(ep.Subsets[0].NotReadyAddresses) != 1 {
		t.Errorf("subsets %+v, want one with both lists", ep.Subsets)
	}

	e.updatePod("web-2", func(p *corev1.Pod) { p.Labels = map[string]string{"app": "nope"} })
	e.wait("web", "ready=[web-0 web-3] notReady=[web-1] ports=[web:8080/TCP]")

	if _, err := e.client.CoreV1().Pods(ns).Create(e.ctx, ctrltest.Pod(ns, "web-new", "10.1.9.9", true, web), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.wait("web", "ready=[web-0 web-3 web-new] notReady=[web-1] ports=[web:8080/TCP]")

	// Terminating pods leave the Endpoints object (not the slices).
	e.updatePod("web-0", func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{Time: time.Now()} })
	e.wait("web", "ready=[web-3 web-new] notReady=[web-1] ports=[web:8080/TCP]")

	// A change that does not touch the result writes nothing.
	time.Sleep(50 * time.Millisecond)
	e.client.ClearActions()
	e.updatePod("web-3", func(p *corev1.Pod) { p.Annotations = map[string]string{"touched": "yes"} })
	ctrltest.Never(t, 200*time.Millisecond, func() (bool, string) {
		return e.writes() > 0, "an unchanged result was written"
	})
}

func TestServiceVariants(t *testing.T) {
	cases := []struct {
		name  string
		svc   func(*corev1.Service)
		pods  []runtime.Object
		want  string
		check func(t *testing.T, ep *corev1.Endpoints)
	}{{
		name: "named targetPort, two port numbers and a pod without the port",
		svc: func(s *corev1.Service) {
			s.Spec.Ports[0].TargetPort = intstr.FromString("http")
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(5353)})
		},
		pods: []runtime.Object{
			ctrltest.Pod(ns, "a", "10.0.0.1", true, web),
			withPort(ctrltest.Pod(ns, "b", "10.0.0.2", true, web), "http", 9090),
			withPort(ctrltest.Pod(ns, "c", "10.0.0.3", true, web), "metrics", 9100),
		},
		want: "ready=[a a b b c] notReady=[] ports=[dns:5353/UDP web:8080/TCP web:9090/TCP]",
		check: func(t *testing.T, ep *corev1.Endpoints) {
			// a serves dns+8080, b dns+9090, c dns only: three subsets.
			if len(ep.Subsets) != 3 {
				t.Errorf("subsets %+v", ep.Subsets)
			}
		},
	}, {
		name: "publishNotReadyAddresses",
		svc:  func(s *corev1.Service) { s.Spec.PublishNotReadyAddresses = true },
		pods: []runtime.Object{
			ctrltest.Pod(ns, "a", "10.0.0.1", true, web),
			ctrltest.Pod(ns, "b", "10.0.0.2", false, web),
			terminating(ctrltest.Pod(ns, "c", "10.0.0.3", true, web)),
		},
		want: "ready=[a b c] notReady=[] ports=[web:8080/TCP]",
	}, {
		name: "headless with hostname",
		svc:  func(s *corev1.Service) { s.Spec.ClusterIP = corev1.ClusterIPNone },
		pods: []runtime.Object{
			withHost(ctrltest.Pod(ns, "a", "10.0.0.1", true, web), "a-host", "web"),
			withHost(ctrltest.Pod(ns, "b", "10.0.0.2", true, web), "b-host", "other"),
		},
		want: "ready=[a b] notReady=[] ports=[web:8080/TCP]",
		check: func(t *testing.T, ep *corev1.Endpoints) {
			if _, ok := ep.Labels[corev1.IsHeadlessService]; !ok {
				t.Errorf("labels %v", ep.Labels)
			}
			got := []string{ep.Subsets[0].Addresses[0].Hostname, ep.Subsets[0].Addresses[1].Hostname}
			if !slices.Equal(got, []string{"a-host", ""}) {
				t.Errorf("hostnames %q", got)
			}
		},
	}, {
		name: "headless without ports",
		svc:  func(s *corev1.Service) { s.Spec.ClusterIP, s.Spec.Ports = corev1.ClusterIPNone, nil },
		pods: []runtime.Object{ctrltest.Pod(ns, "a", "10.0.0.1", true, web)},
		want: "ready=[a] notReady=[] ports=[]",
	}, {
		name: "cluster IP set: not headless; IPv6 pod IPs of a v4 Service skipped",
		svc:  func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.0.1" },
		pods: []runtime.Object{
			ctrltest.Pod(ns, "a", "10.0.0.1", true, web),
			ctrltest.Pod(ns, "b", "fd00::2", true, web),
			func() runtime.Object { // only status.podIP
				p := ctrltest.Pod(ns, "c", "10.0.0.3", false, web)
				p.Status.PodIPs = nil
				return p
			}(),
		},
		want: "ready=[a] notReady=[c] ports=[web:8080/TCP]",
		check: func(t *testing.T, ep *corev1.Endpoints) {
			if _, ok := ep.Labels[corev1.IsHeadlessService]; ok {
				t.Errorf("labels %v", ep.Labels)
			}
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := ctrltest.Service(ns, "web", web)
			tc.svc(svc)
			e := start(t, append(tc.pods, svc)...)
			ep := e.wait("web", tc.want)
			if tc.check != nil {
				tc.check(t, ep)
			}
		})
	}
}

func TestSelectorlessAndDeletion(t *testing.T) {
	manual := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "external"},
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: "192.0.2.10"}},
			Ports:     []corev1.EndpointPort{{Port: 5432}},
		}},
	}
	orphan := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orphan"}}
	leader := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "lock",
		Annotations: map[string]string{"control-plane.alpha.kubernetes.io/leader": "{}"}}}
	e := start(t, append(pods(2), ctrltest.Service(ns, "external", nil), manual, orphan, leader,
		ctrltest.Service(ns, "web", web))...)
	e.wait("web", "ready=[web-0 web-1] notReady=[] ports=[web:8080/TCP]")

	// An Endpoints object left without a Service is deleted on start; a
	// leader-election record is not.
	ctrltest.Eventually(t, 5*time.Second, func() (bool, string) {
		_, err := e.get("orphan")
		return apierrors.IsNotFound(err), fmt.Sprintf("orphan: %v", err)
	})
	if _, err := e.get("lock"); err != nil {
		t.Errorf("leader-election Endpoints: %v", err)
	}
	// The selectorless Service's Endpoints are the user's.
	time.Sleep(100 * time.Millisecond)
	got, err := e.get("external")
	if err != nil || len(got.Subsets) != 1 || got.Subsets[0].Addresses[0].IP != "192.0.2.10" {
		t.Errorf("manual Endpoints touched: %+v %v", got, err)
	}

	// Deleted Endpoints of a selector Service come back.
	if err := e.client.CoreV1().Endpoints(ns).Delete(e.ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.wait("web", "ready=[web-0 web-1] notReady=[] ports=[web:8080/TCP]")

	// Deleting a Service deletes its Endpoints, selector or not.
	for _, name := range []string{"web", "external"} {
		if err := e.client.CoreV1().Services(ns).Delete(e.ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		ctrltest.Eventually(t, 5*time.Second, func() (bool, string) {
			_, err := e.get(name)
			return apierrors.IsNotFound(err), fmt.Sprintf("%s: %v", name, err)
		})
	}
}

func TestOverCapacity(t *testing.T) {
	objs := pods(1005)
	for i := range 10 {
		p := objs[i].(*corev1.Pod)
		ctrltest.SetReady(p, false)
	}
	e := start(t, append(objs, ctrltest.Service(ns, "web", web))...)
	var ep *corev1.Endpoints
	ctrltest.Eventually(t, 10*time.Second, func() (bool, string) {
		var err error
		if ep, err = e.get("web"); err != nil {
			return false, err.Error()
		}
		r, n := Count(ep.Subsets)
		return r == 995 && n == 5, fmt.Sprintf("ready %d notReady %d", r, n)
	})
	if ep.Annotations[corev1.EndpointsOverCapacity] != OverCapacityTruncated {
		t.Errorf("annotations %v", ep.Annotations)
	}
	// Stable: the next sync of an unchanged over-capacity Service writes
	// nothing.
	time.Sleep(50 * time.Millisecond)
	e.client.ClearActions()
	e.updatePod("web-500", func(p *corev1.Pod) { p.Annotations = map[string]string{"x": "y"} })
	ctrltest.Never(t, 200*time.Millisecond, func() (bool, string) {
		return e.writes() > 0, "rewritten"
	})
	// Down to capacity: the annotation goes.
	for i := range 5 {
		if err := e.client.CoreV1().Pods(ns).Delete(e.ctx, fmt.Sprintf("web-%d", 1000+i), metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	ctrltest.Eventually(t, 5*time.Second, func() (bool, string) {
		ep, _ = e.get("web")
		r, n := Count(ep.Subsets)
		_, annotated := ep.Annotations[corev1.EndpointsOverCapacity]
		return r == 990 && n == 10 && !annotated, fmt.Sprintf("ready %d notReady %d annotated %t", r, n, annotated)
	})
}

func withPort(p *corev1.Pod, name string, port int32) *corev1.Pod {
	p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: name, ContainerPort: port, Protocol: corev1.ProtocolTCP}}
	return p
}

func withHost(p *corev1.Pod, hostname, subdomain string) *corev1.Pod {
	p.Spec.Hostname, p.Spec.Subdomain = hostname, subdomain
	return p
}

func terminating(p *corev1.Pod) *corev1.Pod {
	p.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	return p
}
