package loadbalancer

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"

	"github.com/portal-dev/portal/internal/ipam/lb"
)

// harness runs the controller against a fake clientset.
type harness struct {
	t      *testing.T
	client *fake.Clientset
	mu     sync.Mutex
	events []string
}

func start(t *testing.T, pools []lb.Pool, objs ...runtime.Object) *harness {
	t.Helper()
	h := &harness{t: t, client: fake.NewClientset(objs...)}
	rec := record.NewFakeRecorder(1000)
	factory := informers.NewSharedInformerFactory(h.client, 0)
	c, err := New(h.client, factory, rec, pools, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for {
			select {
			case e := <-rec.Events:
				h.mu.Lock()
				h.events = append(h.events, e)
				h.mu.Unlock()
			case <-ctx.Done():
				return
			}
		}
	}()
	factory.Start(ctx.Done())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		<-collected
		factory.Shutdown()
	})
	if !waitUntil(func() bool { return c.synced() }) {
		t.Fatal("informer never synced")
	}
	return h
}

// waitUntil polls cond; the bound only keeps a broken controller from
// hanging the test.
func waitUntil(cond func() bool) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}

func defaultPool(cidr string) []lb.Pool {
	p, err := lb.ParsePool("default=" + cidr)
	if err != nil {
		panic(err)
	}
	return []lb.Pool{p}
}

type svcOpt func(*corev1.Service)

func lbService(name string, opts ...svcOpt) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Annotations: map[string]string{}},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeLoadBalancer,
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}},
		},
	}
	for _, o := range opts {
		o(svc)
	}
	return svc
}

func annotated(k, v string) svcOpt {
	return func(s *corev1.Service) { s.Annotations[k] = v }
}

func ports(ps ...int32) svcOpt {
	return func(s *corev1.Service) {
		s.Spec.Ports = nil
		for _, p := range ps {
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Port: p, Protocol: corev1.ProtocolTCP})
		}
	}
}

func withStatus(ip string, created time.Time) svcOpt {
	return func(s *corev1.Service) {
		s.CreationTimestamp = metav1.NewTime(created)
		s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
	}
}

func (h *harness) create(svc *corev1.Service) {
	h.t.Helper()
	if _, err := h.client.CoreV1().Services(svc.Namespace).Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) get(name string) *corev1.Service {
	h.t.Helper()
	svc, err := h.client.CoreV1().Services("default").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return svc
}

func (h *harness) update(name string, change svcOpt) {
	h.t.Helper()
	svc := h.get(name)
	change(svc)
	if _, err := h.client.CoreV1().Services("default").Update(context.Background(), svc, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

// ingress is what the service's status shows: "" for pending.
func (h *harness) ingress(name string) string {
	svc := h.get(name)
	var ips []string
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		ips = append(ips, ing.IP)
	}
	return strings.Join(ips, ",")
}

// wantIngress waits until name shows ip.
func (h *harness) wantIngress(name, ip string) {
	h.t.Helper()
	if !waitUntil(func() bool { return h.ingress(name) == ip }) {
		h.t.Fatalf("%s shows %q, want %q; events:\n%s", name, h.ingress(name), ip, strings.Join(h.eventList(), "\n"))
	}
}

func (h *harness) eventList() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.events...)
}

// wantEvent waits for an event containing every part.
func (h *harness) wantEvent(parts ...string) {
	h.t.Helper()
	if !waitUntil(func() bool { return h.countEvents(parts...) > 0 }) {
		h.t.Fatalf("no event with %q; events:\n%s", parts, strings.Join(h.eventList(), "\n"))
	}
}

func (h *harness) countEvents(parts ...string) int {
	n := 0
	for _, e := range h.eventList() {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(e, p)
		}
		if all {
			n++
		}
	}
	return n
}

// statusWrites counts UpdateStatus calls on the named service.
func (h *harness) statusWrites(name string) int {
	n := 0
	for _, a := range h.client.Actions() {
		if u, ok := a.(k8stesting.UpdateAction); ok && u.GetSubresource() == "status" &&
			u.GetObject().(*corev1.Service).Name == name {
			n++
		}
	}
	return n
}

func TestAssignsFromPool(t *testing.T) {
	h := start(t, defaultPool("127.100.0.0/24"))
	h.create(lbService("web"))
	h.wantIngress("web", "127.100.0.0")
	h.wantEvent(`Normal IPAllocated Assigned IP ["127.100.0.0"]`)
	if mode := h.get("web").Status.LoadBalancer.Ingress[0].IPMode; mode == nil || *mode != corev1.LoadBalancerIPModeVIP {
		t.Errorf("ipMode = %v, want VIP", mode)
	}
	h.create(lbService("api"))
	h.wantIngress("api", "127.100.0.1")
	// Services that are not load balancers are left alone.
	cluster := lbService("plain")
	cluster.Spec.Type = corev1.ServiceTypeClusterIP
	h.create(cluster)
	h.create(lbService("last"))
	h.wantIngress("last", "127.100.0.2")
	if h.ingress("plain") != "" || h.statusWrites("plain") != 0 {
		t.Errorf("ClusterIP service got a status: %q", h.ingress("plain"))
	}
	if n := h.statusWrites("web"); n != 1 {
		t.Errorf("web status written %d times, want 1", n)
	}
}

func TestNoPoolStaysPendingWithWarning(t *testing.T) {
	h := start(t, nil)
	h.create(lbService("web"))
	h.wantEvent("Warning AllocationFailed", `Failed to allocate IP for "default/web": no address pool configured`)
	if ip := h.ingress("web"); ip != "" || h.statusWrites("web") != 0 {
		t.Fatalf("status %q written %d times, want pending and untouched", ip, h.statusWrites("web"))
	}
}

func TestSpecificAddress(t *testing.T) {
	manual := lb.Pool{Name: "manual", CIDRs: mustCIDRs("127.50.0.0/30")}
	h := start(t, append(defaultPool("127.100.0.0/24"), manual))
	h.create(lbService("spec", func(s *corev1.Service) { s.Spec.LoadBalancerIP = "127.100.0.50" }))
	h.wantIngress("spec", "127.100.0.50")
	h.create(lbService("metallb", annotated("metallb.universe.tf/loadBalancerIPs", "127.100.0.60")))
	h.wantIngress("metallb", "127.100.0.60")
	h.create(lbService("portal", annotated("portal.dev/loadBalancerIPs", "127.100.0.70"),
		annotated("metallb.universe.tf/loadBalancerIPs", "127.100.0.71")))
	h.wantIngress("portal", "127.100.0.70")
	h.create(lbService("bypool", annotated("metallb.universe.tf/address-pool", "manual")))
	h.wantIngress("bypool", "127.50.0.0")

	h.create(lbService("outside", func(s *corev1.Service) { s.Spec.LoadBalancerIP = "10.1.2.3" }))
	h.wantEvent("Warning AllocationFailed", `"default/outside"`, "10.1.2.3 is not in any address pool")
	h.create(lbService("taken", func(s *corev1.Service) { s.Spec.LoadBalancerIP = "127.100.0.50" }))
	h.wantEvent("Warning AllocationFailed", `"default/taken"`, "does not allow sharing")
	h.create(lbService("both", func(s *corev1.Service) { s.Spec.LoadBalancerIP = "127.100.0.80" },
		annotated("metallb.universe.tf/loadBalancerIPs", "127.100.0.81")))
	h.wantEvent("Warning AllocationFailed", `"default/both"`, "can not have both")
	h.create(lbService("v6", annotated("metallb.universe.tf/loadBalancerIPs", "fd00::1")))
	h.wantEvent("Warning AllocationFailed", `"default/v6"`, "not IPv4")
	h.create(lbService("wrongpool", func(s *corev1.Service) { s.Spec.LoadBalancerIP = "127.100.0.90" },
		annotated("metallb.universe.tf/address-pool", "manual")))
	h.wantEvent("Warning AllocationFailed", `"default/wrongpool"`, `not in the requested address pool "manual"`)
	h.create(lbService("nopool", annotated("metallb.universe.tf/address-pool", "nope")))
	h.wantEvent("Warning AllocationFailed", `"default/nopool"`, `unknown pool "nope"`)
	for _, name := range []string{"outside", "taken", "both", "v6", "wrongpool", "nopool"} {
		if ip := h.ingress(name); ip != "" {
			t.Errorf("%s got %s, want pending", name, ip)
		}
	}

	// Asking for another address moves the service, and frees the old one.
	h.update("spec", func(s *corev1.Service) { s.Spec.LoadBalancerIP = "127.100.0.51" })
	h.wantIngress("spec", "127.100.0.51")
	// The service waiting for the old address gets it.
	h.wantIngress("taken", "127.100.0.50")
}

func mustCIDRs(s string) []netip.Prefix {
	p, err := lb.ParseAddresses(s)
	if err != nil {
		panic(err)
	}
	return p
}

func TestSharing(t *testing.T) {
	h := start(t, defaultPool("127.100.0.0/24"))
	const key = "metallb.universe.tf/allow-shared-ip"
	h.create(lbService("http", annotated(key, "front"), ports(80)))
	h.wantIngress("http", "127.100.0.0")
	h.create(lbService("https", annotated(key, "front"), ports(443)))
	h.wantIngress("https", "127.100.0.0")
	// Same key but a port already used there: an address of its own.
	h.create(lbService("http2", annotated(key, "front"), ports(80)))
	h.wantIngress("http2", "127.100.0.1")
	// No key: never shares.
	h.create(lbService("alone", ports(8080)))
	h.wantIngress("alone", "127.100.0.2")
	// Asking for a shared address with the right key works, with the wrong
	// one it does not.
	h.create(lbService("dns", annotated("portal.dev/allow-shared-ip", "front"), ports(53),
		func(s *corev1.Service) { s.Spec.LoadBalancerIP = "127.100.0.0" }))
	h.wantIngress("dns", "127.100.0.0")
	h.create(lbService("intruder", annotated(key, "back"), ports(22),
		func(s *corev1.Service) { s.Spec.LoadBalancerIP = "127.100.0.0" }))
	h.wantEvent("Warning AllocationFailed", `"default/intruder"`, `sharing key "back" does not match "front"`)
}

func TestTypeChangeReleases(t *testing.T) {
	h := start(t, defaultPool("127.100.0.7/32"))
	h.create(lbService("first"))
	h.wantIngress("first", "127.100.0.7")
	h.create(lbService("second"))
	h.wantEvent("Warning AllocationFailed", `"default/second"`, "no available IPs")

	h.update("first", func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeClusterIP })
	h.wantIngress("first", "")
	// The freed address goes to the service that was waiting for one.
	h.wantIngress("second", "127.100.0.7")
	h.wantEvent(`Normal IPAllocated Assigned IP ["127.100.0.7"]`)

	// Deleting releases too.
	h.create(lbService("third"))
	h.wantEvent("Warning AllocationFailed", `"default/third"`, "no available IPs")
	if err := h.client.CoreV1().Services("default").Delete(context.Background(), "second", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.wantIngress("third", "127.100.0.7")
}

func TestOtherClassIgnored(t *testing.T) {
	h := start(t, defaultPool("127.100.0.0/24"))
	h.create(lbService("theirs", func(s *corev1.Service) { s.Spec.LoadBalancerClass = ptr.To("example.com/lb") }))
	h.create(lbService("mine", func(s *corev1.Service) { s.Spec.LoadBalancerClass = ptr.To(Class) }))
	h.wantIngress("mine", "127.100.0.0")
	if ip := h.ingress("theirs"); ip != "" || h.countEvents("theirs") != 0 {
		t.Fatalf("service of another class got %q", ip)
	}
}

// TestRestartRebuilds starts the controller over services that already
// show addresses (as after a restart): they keep them without a write or an
// event, and a new service gets an address none of them holds, even though
// it may be handled first.
func TestRestartRebuilds(t *testing.T) {
	now := time.Now()
	// "new" sorts before the others, so the informer hands it over first.
	old := []runtime.Object{
		lbService("old-a", withStatus("127.100.0.0", now.Add(-3*time.Hour))),
		lbService("old-c", withStatus("127.100.0.2", now.Add(-2*time.Hour))),
		lbService("old-z", annotated("metallb.universe.tf/allow-shared-ip", "k"), ports(443), withStatus("127.100.0.3", now.Add(-time.Hour))),
		lbService("old-y", annotated("metallb.universe.tf/allow-shared-ip", "k"), ports(80), withStatus("127.100.0.3", now.Add(-time.Hour))),
		lbService("new"),
	}
	h := start(t, defaultPool("127.100.0.0/24"), old...)
	h.wantIngress("new", "127.100.0.1")
	h.create(lbService("newer"))
	h.wantIngress("newer", "127.100.0.4")
	for name, ip := range map[string]string{"old-a": "127.100.0.0", "old-c": "127.100.0.2", "old-y": "127.100.0.3", "old-z": "127.100.0.3"} {
		if got := h.ingress(name); got != ip {
			t.Errorf("%s shows %q, want %s", name, got, ip)
		}
		if n := h.statusWrites(name); n != 0 {
			t.Errorf("%s: %d status writes, want 0", name, n)
		}
		if n := h.countEvents(fmt.Sprintf("%q", ip)); n != 0 {
			t.Errorf("%s: events about its address: %v", name, h.eventList())
		}
	}
}

// TestRestartDropsAddressesOutsidePools: an address no pool holds any more
// (the pools changed across a restart) is cleared and replaced.
func TestRestartDropsAddressesOutsidePools(t *testing.T) {
	h := start(t, defaultPool("127.100.0.0/24"), lbService("a", withStatus("127.200.0.9", time.Now())))
	h.wantIngress("a", "127.100.0.0")
	h.wantEvent("Normal ClearAssignment", "127.200.0.9 is not in any address pool")
}

// TestRestartWithoutPoolsClears: restarting with no pool takes the
// addresses away, as MetalLB does without configuration.
func TestRestartWithoutPoolsClears(t *testing.T) {
	h := start(t, nil, lbService("a", withStatus("127.100.0.0", time.Now())))
	h.wantIngress("a", "")
	h.wantEvent("Warning AllocationFailed", "no address pool configured")
}
