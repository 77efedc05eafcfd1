package endpointslicemirroring

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/portal-dev/portal/internal/controller/internal/ctrltest"
)

const ns = "default"

type env struct {
	t      *testing.T
	client *fake.Clientset
	ctx    context.Context
}

func start(t *testing.T, opts Options, objs ...runtime.Object) *env {
	t.Helper()
	client := ctrltest.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	opts.Log = testLog()
	c := New(client, factory, opts)
	return &env{t: t, client: client, ctx: ctrltest.Start(t, factory, c)}
}

func testLog() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func (e *env) mirrored(name string) []discoveryv1.EndpointSlice {
	e.t.Helper()
	list, err := e.client.DiscoveryV1().EndpointSlices(ns).List(e.ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + name + "," + discoveryv1.LabelManagedBy + "=" + ControllerName,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].AddressType < list.Items[j].AddressType })
	return list.Items
}

// summary renders slices as "IPv4[80]: 192.0.2.1+ 192.0.2.2-" (+ ready).
func summary(slices []discoveryv1.EndpointSlice) string {
	var parts []string
	for _, s := range slices {
		var ports, eps []string
		for _, p := range s.Ports {
			ports = append(ports, fmt.Sprint(*p.Port))
		}
		for _, ep := range s.Endpoints {
			mark := "-"
			if *ep.Conditions.Ready {
				mark = "+"
			}
			eps = append(eps, ep.Addresses[0]+mark)
		}
		parts = append(parts, fmt.Sprintf("%s%v: %s", s.AddressType, ports, strings.Join(eps, " ")))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

func (e *env) wait(name, want string) []discoveryv1.EndpointSlice {
	e.t.Helper()
	var got []discoveryv1.EndpointSlice
	ctrltest.Eventually(e.t, 5*time.Second, func() (bool, string) {
		got = e.mirrored(name)
		return summary(got) == want, fmt.Sprintf("%q, want %q", summary(got), want)
	})
	return got
}

func selectorless(name string) *corev1.Service {
	return ctrltest.Service(ns, name, nil)
}

func manual(name string, subsets ...corev1.EndpointSubset) *corev1.Endpoints {
	return &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
			Labels:      map[string]string{"team": "db"},
			Annotations: map[string]string{"note": "hand-made", corev1.EndpointsLastChangeTriggerTime: "2026-01-01T00:00:00Z"},
		},
		Subsets: subsets,
	}
}

func addrs(ips ...string) []corev1.EndpointAddress {
	var out []corev1.EndpointAddress
	for _, ip := range ips {
		out = append(out, corev1.EndpointAddress{IP: ip})
	}
	return out
}

func tcp(port int32) []corev1.EndpointPort {
	return []corev1.EndpointPort{{Name: "p", Port: port, Protocol: corev1.ProtocolTCP}}
}

func TestMirror(t *testing.T) {
	ep := manual("db", corev1.EndpointSubset{
		Addresses:         addrs("192.0.2.2", "192.0.2.1", "2001:db8::1"),
		NotReadyAddresses: addrs("192.0.2.3", "not-an-ip"),
		Ports:             tcp(5432),
	})
	ep.Subsets[0].Addresses[0].Hostname = "db-0"
	node := "node-1"
	ep.Subsets[0].Addresses[0].NodeName = &node
	e := start(t, Options{}, selectorless("db"), ep)
	got := e.wait("db", "IPv4[5432]: 192.0.2.1+ 192.0.2.2+ 192.0.2.3-; IPv6[5432]: 2001:db8::1+")

	s := got[0]
	if s.Labels["team"] != "db" || s.Labels[discoveryv1.LabelServiceName] != "db" {
		t.Errorf("labels %v", s.Labels)
	}
	if s.Annotations["note"] != "hand-made" || s.Annotations[corev1.EndpointsLastChangeTriggerTime] != "" {
		t.Errorf("annotations %v", s.Annotations)
	}
	if len(s.OwnerReferences) != 1 || s.OwnerReferences[0].Kind != "Endpoints" || s.OwnerReferences[0].Name != "db" {
		t.Errorf("ownerReferences %+v", s.OwnerReferences)
	}
	if s.GenerateName != "db-" {
		t.Errorf("generateName %q", s.GenerateName)
	}
	if h := s.Endpoints[1].Hostname; h == nil || *h != "db-0" || *s.Endpoints[1].NodeName != "node-1" {
		t.Errorf("endpoint %+v", s.Endpoints[1])
	}

	// Edit: in place.
	ep, _ = e.client.CoreV1().Endpoints(ns).Get(e.ctx, "db", metav1.GetOptions{})
	name := s.Name
	ep.Subsets = []corev1.EndpointSubset{{Addresses: addrs("192.0.2.9"), Ports: tcp(5432)}}
	if _, err := e.client.CoreV1().Endpoints(ns).Update(e.ctx, ep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	got = e.wait("db", "IPv4[5432]: 192.0.2.9+")
	if got[0].Name != name {
		t.Errorf("slice %s replaced by %s; want an in-place update", name, got[0].Name)
	}

	// New port set: the old slice is recycled.
	ep, _ = e.client.CoreV1().Endpoints(ns).Get(e.ctx, "db", metav1.GetOptions{})
	ep.Subsets[0].Ports = tcp(6432)
	if _, err := e.client.CoreV1().Endpoints(ns).Update(e.ctx, ep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	got = e.wait("db", "IPv4[6432]: 192.0.2.9+")
	if got[0].Name != name {
		t.Errorf("slice %s replaced by %s; want it recycled", name, got[0].Name)
	}

	// Endpoints deleted: the slices go.
	if err := e.client.CoreV1().Endpoints(ns).Delete(e.ctx, "db", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.wait("db", "")
}

func TestNotMirrored(t *testing.T) {
	subset := corev1.EndpointSubset{Addresses: addrs("192.0.2.1"), Ports: tcp(80)}
	skip := manual("skip", subset)
	skip.Labels[discoveryv1.LabelSkipMirror] = "true"
	e := start(t, Options{},
		selectorless("skip"), skip,
		ctrltest.Service(ns, "selected", map[string]string{"app": "x"}), manual("selected", subset),
		manual("no-service", subset),
		selectorless("ok"), manual("ok", subset),
	)
	e.wait("ok", "IPv4[80]: 192.0.2.1+")
	for _, name := range []string{"skip", "selected", "no-service"} {
		if got := e.mirrored(name); len(got) != 0 {
			t.Errorf("%s mirrored: %s", name, summary(got))
		}
	}
}

func TestRemovedWhenServiceChanges(t *testing.T) {
	subset := corev1.EndpointSubset{Addresses: addrs("192.0.2.1"), Ports: tcp(80)}
	e := start(t, Options{}, selectorless("a"), manual("a", subset), selectorless("b"), manual("b", subset),
		selectorless("c"), manual("c", subset))
	for _, n := range []string{"a", "b", "c"} {
		e.wait(n, "IPv4[80]: 192.0.2.1+")
	}
	// a gets a selector.
	svc, _ := e.client.CoreV1().Services(ns).Get(e.ctx, "a", metav1.GetOptions{})
	svc.Spec.Selector = map[string]string{"app": "a"}
	if _, err := e.client.CoreV1().Services(ns).Update(e.ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.wait("a", "")
	// b's Service is deleted.
	if err := e.client.CoreV1().Services(ns).Delete(e.ctx, "b", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.wait("b", "")
	// c's Endpoints get the skip-mirror label.
	ep, _ := e.client.CoreV1().Endpoints(ns).Get(e.ctx, "c", metav1.GetOptions{})
	ep.Labels[discoveryv1.LabelSkipMirror] = "true"
	if _, err := e.client.CoreV1().Endpoints(ns).Update(e.ctx, ep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.wait("c", "")
	// a loses its selector again: mirrored again.
	svc, _ = e.client.CoreV1().Services(ns).Get(e.ctx, "a", metav1.GetOptions{})
	svc.Spec.Selector = nil
	if _, err := e.client.CoreV1().Services(ns).Update(e.ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.wait("a", "IPv4[80]: 192.0.2.1+")
}

func TestPerSubsetLimit(t *testing.T) {
	var ips []string
	for i := range 8 {
		ips = append(ips, fmt.Sprintf("192.0.2.%d", i+1))
	}
	e := start(t, Options{MaxEndpointsPerSubset: 5}, selectorless("big"),
		manual("big", corev1.EndpointSubset{Addresses: addrs(ips...), Ports: tcp(80)}))
	e.wait("big", "IPv4[80]: 192.0.2.1+ 192.0.2.2+ 192.0.2.3+ 192.0.2.4+ 192.0.2.5+")
}

// TestNoRewrite: an unchanged Endpoints object causes no slice write.
func TestNoRewrite(t *testing.T) {
	e := start(t, Options{}, selectorless("db"), manual("db", corev1.EndpointSubset{Addresses: addrs("192.0.2.2", "192.0.2.1"), Ports: tcp(80)}))
	e.wait("db", "IPv4[80]: 192.0.2.1+ 192.0.2.2+")
	time.Sleep(50 * time.Millisecond)
	e.client.ClearActions()
	ep, _ := e.client.CoreV1().Endpoints(ns).Get(e.ctx, "db", metav1.GetOptions{})
	ep.Annotations[corev1.EndpointsLastChangeTriggerTime] = "2026-02-02T00:00:00Z"
	if _, err := e.client.CoreV1().Endpoints(ns).Update(e.ctx, ep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	ctrltest.Never(t, 200*time.Millisecond, func() (bool, string) {
		for _, a := range e.client.Actions() {
			if a.GetResource().Resource == "endpointslices" && (a.GetVerb() == "update" || a.GetVerb() == "create") {
				return true, "slice written for a trigger-time-only change"
			}
		}
		return false, ""
	})
}
