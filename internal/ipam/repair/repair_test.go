package repair

import (
	"context"
	"net/netip"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/portal-dev/portal/internal/ipam"
	"github.com/portal-dev/portal/internal/ipam/etcdstore"
	"github.com/portal-dev/portal/internal/storage"
)

type env struct {
	ips   *etcdstore.Allocator[netip.Addr]
	ports *etcdstore.Allocator[int]
}

func newEnv(t *testing.T) env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := &storage.Embedded{Dir: t.TempDir()}
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	c, err := clientv3.New(clientv3.Config{Endpoints: e.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r, _ := ipam.NewRange("10.96.0.0/16")
	pr, _ := ipam.NewPortRange(ipam.DefaultNodePortRange)
	return env{etcdstore.NewClusterIPs(c, "/registry", r, nil), etcdstore.NewNodePorts(c, "/registry", pr, nil)}
}

func svc(name, ip string, age time.Duration, mutate func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "default", UID: types.UID("uid-" + name),
			CreationTimestamp: metav1.NewTime(time.Now().Add(-age)),
		},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: ip, ClusterIPs: []string{ip}},
	}
	if mutate != nil {
		mutate(s)
	}
	return s
}

func owner(s *corev1.Service) ipam.Owner { return ownerOf(s) }

func events(client *fake.Clientset) map[string]int {
	out := map[string]int{}
	list, _ := client.CoreV1().Events("default").List(context.Background(), metav1.ListOptions{})
	for _, e := range list.Items {
		out[e.Reason+" "+e.InvolvedObject.Name]++
	}
	return out
}

func TestRepairRecordsMissingAndReleasesLeaks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	np := svc("np", "10.96.1.1", time.Hour, func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeLoadBalancer
		s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		s.Spec.HealthCheckNodePort = 31000
		s.Spec.Ports = []corev1.ServicePort{{Port: 53, NodePort: 30053}, {Port: 53, Protocol: corev1.ProtocolUDP, NodePort: 30053}}
	})
	ext := svc("ext", "", time.Hour, func(s *corev1.Service) {
		s.Spec = corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "example.com"}
	})
	headless := svc("headless", "None", time.Hour, nil)
	client := fake.NewClientset(np, ext, headless)
	// Leaks: records whose Service is gone.
	gone := ipam.Owner{Namespace: "default", Name: "gone", UID: "uid-gone"}
	if err := e.ips.Allocate(ctx, netip.MustParseAddr("10.96.2.2"), gone); err != nil {
		t.Fatal(err)
	}
	if err := e.ports.Allocate(ctx, 30999, gone); err != nil {
		t.Fatal(err)
	}
	r := &Repair{Client: client, ClusterIPs: e.ips, NodePorts: e.ports}

	rep, err := r.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Report{
		ClusterIPs: Counts{Recorded: 1, Pending: 1},
		NodePorts:  Counts{Recorded: 2, Pending: 1},
	}
	if rep != want {
		t.Fatalf("first pass %+v, want %+v", rep, want)
	}
	for _, ip := range []string{"10.96.1.1"} {
		if got, ok, _ := e.ips.Get(ctx, netip.MustParseAddr(ip)); !ok || got.Owner != owner(np) {
			t.Errorf("%s recorded for %v (%v)", ip, got.Owner, ok)
		}
	}
	for _, p := range []int{30053, 31000} {
		if got, ok, _ := e.ports.Get(ctx, p); !ok || got.Owner != owner(np) {
			t.Errorf("port %d recorded for %v (%v)", p, got.Owner, ok)
		}
	}

	rep, err = r.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want = Report{ClusterIPs: Counts{Released: 1}, NodePorts: Counts{Released: 1}}
	if rep != want {
		t.Fatalf("second pass %+v, want %+v", rep, want)
	}
	if n, _ := e.ips.Count(ctx); n != 1 {
		t.Errorf("%d IP records left, want 1", n)
	}
	if n, _ := e.ports.Count(ctx); n != 2 {
		t.Errorf("%d port records left, want 2", n)
	}
	if rep, _ = r.RunOnce(ctx); rep != (Report{}) {
		t.Errorf("a settled state changed: %+v", rep)
	}
}

func TestRepairSparesRecordsThatChange(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := &Repair{Client: fake.NewClientset(), ClusterIPs: e.ips, NodePorts: e.ports}
	ip := netip.MustParseAddr("10.96.3.3")
	a := ipam.Owner{Namespace: "default", Name: "a", UID: "1"}
	if err := e.ips.Allocate(ctx, ip, a); err != nil {
		t.Fatal(err)
	}
	if rep, _ := r.RunOnce(ctx); rep.ClusterIPs.Pending != 1 {
		t.Fatalf("first pass %+v", rep)
	}
	// Released and allocated again in between (a new create in flight):
	// a new revision, so a new grace period.
	if err := e.ips.Release(ctx, ip, a); err != nil {
		t.Fatal(err)
	}
	if err := e.ips.Allocate(ctx, ip, a); err != nil {
		t.Fatal(err)
	}
	if rep, _ := r.RunOnce(ctx); rep.ClusterIPs.Released != 0 || rep.ClusterIPs.Pending != 1 {
		t.Fatalf("second pass %+v", rep)
	}
	if _, ok, _ := e.ips.Get(ctx, ip); !ok {
		t.Fatal("a changed record was released")
	}
}

func TestRepairReassignsAndReports(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	old := svc("old", "10.96.4.4", 2*time.Hour, nil)
	dup := svc("dup", "10.96.4.4", time.Hour, nil)
	moved := svc("moved", "10.96.5.5", time.Hour, nil)
	outside := svc("outside", "10.200.0.1", time.Hour, nil)
	client := fake.NewClientset(old, dup, moved, outside)
	// 10.96.5.5 is recorded for a Service that no longer exists.
	if err := e.ips.Allocate(ctx, netip.MustParseAddr("10.96.5.5"), ipam.Owner{Namespace: "default", Name: "moved", UID: "stale"}); err != nil {
		t.Fatal(err)
	}
	r := &Repair{Client: client, ClusterIPs: e.ips, NodePorts: e.ports}
	rep, err := r.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Counts{Recorded: 1, Reassigned: 1, Conflicts: 1, OutOfRange: 1}
	if rep.ClusterIPs != want {
		t.Fatalf("pass %+v, want %+v", rep.ClusterIPs, want)
	}
	if got, _, _ := e.ips.Get(ctx, netip.MustParseAddr("10.96.4.4")); got.Owner != owner(old) {
		t.Errorf("the older Service should keep 10.96.4.4, recorded for %v", got.Owner)
	}
	if got, _, _ := e.ips.Get(ctx, netip.MustParseAddr("10.96.5.5")); got.Owner != owner(moved) {
		t.Errorf("10.96.5.5 recorded for %v", got.Owner)
	}
	r.RunOnce(ctx) // reported once per process, not per pass
	got := events(client)
	wantEvents := map[string]int{"ClusterIPAlreadyAllocated dup": 1, "ClusterIPOutOfRange outside": 1}
	if len(got) != len(wantEvents) || got["ClusterIPAlreadyAllocated dup"] != 1 || got["ClusterIPOutOfRange outside"] != 1 {
		t.Errorf("events %v, want %v", got, wantEvents)
	}
	list, _ := client.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
	for _, ev := range list.Items {
		if ev.Reason == "ClusterIPOutOfRange" && ev.Message != "Cluster IP [IPv4]: 10.200.0.1 is not within the configured Service CIDR 10.96.0.0/16; please recreate service" {
			t.Errorf("message %q", ev.Message)
		}
	}
}
