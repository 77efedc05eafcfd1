package registry

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/utils/ptr"

	"github.com/portal-dev/portal/internal/api/defaults"
	"github.com/portal-dev/portal/internal/ipam"
)

// memAllocator is a ServiceAllocator over a pure pool, with owners.
type memAllocator[T comparable] struct {
	mu     sync.Mutex
	pool   ipam.Pool[T]
	owners map[T]ipam.Owner
	taken  error
}

func (m *memAllocator[T]) Allocate(_ context.Context, v T, o ipam.Owner) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.pool.Allocate(v); err != nil {
		return err
	}
	m.owners[v] = o
	return nil
}

func (m *memAllocator[T]) AllocateNext(_ context.Context, o ipam.Owner) (T, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, err := m.pool.AllocateNext()
	if err == nil {
		m.owners[v] = o
	}
	return v, err
}

func (m *memAllocator[T]) Release(_ context.Context, v T, o ipam.Owner) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.owners[v]; ok && cur != o {
		return errors.New("not owner")
	}
	delete(m.owners, v)
	m.pool.Release(v)
	return nil
}

func (m *memAllocator[T]) Check(_ context.Context, v T, o ipam.Owner) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.pool.Contains(v) {
		return m.pool.Allocate(v)
	}
	if cur, ok := m.owners[v]; ok && cur != o {
		return m.taken
	}
	return nil
}

func (m *memAllocator[T]) Peek(context.Context) (T, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, err := m.pool.AllocateNext()
	if err == nil {
		m.pool.Release(v)
	}
	return v, err
}

func (m *memAllocator[T]) used() int { return m.pool.Used() }

type fixture struct {
	a     *ServiceAllocation
	ips   *memAllocator[netip.Addr]
	ports *memAllocator[int]
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	r, err := ipam.NewRange("10.96.0.0/12")
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := ipam.NewPortRange(ipam.DefaultNodePortRange)
	f := &fixture{
		ips:   &memAllocator[netip.Addr]{pool: r, owners: map[netip.Addr]ipam.Owner{}, taken: ipam.ErrIPAllocated},
		ports: &memAllocator[int]{pool: pr, owners: map[int]ipam.Owner{}, taken: ipam.ErrPortAllocated},
	}
	f.a = &ServiceAllocation{ClusterIPs: f.ips, NodePorts: f.ports, Family: corev1.IPv4Protocol}
	return f
}

// service is a defaulted Service as the API server decodes it.
func service(name string, mutate func(*corev1.Service)) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name)},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80}},
		},
	}
	if mutate != nil {
		mutate(svc)
	}
	defaults.Service(svc)
	return svc
}

// create runs the create hook and the finish function as the store would.
func (f *fixture) create(t *testing.T, svc *corev1.Service, stored bool) error {
	t.Helper()
	finish, err := f.a.beginCreate(context.Background(), svc, &metav1.CreateOptions{})
	if err != nil {
		return err
	}
	finish(context.Background(), stored)
	return nil
}

// update runs an update through a pendingUpdate, as ServiceREST does.
func (f *fixture) update(t *testing.T, svc, old *corev1.Service) error {
	t.Helper()
	p := &pendingUpdate{}
	ctx := context.WithValue(context.Background(), pendingUpdateKey{}, p)
	finish, err := f.a.beginUpdate(ctx, svc, old, &metav1.UpdateOptions{})
	if err != nil {
		p.done(nil, err)
		return err
	}
	finish(ctx, true)
	p.done(svc, nil)
	return nil
}

func TestServiceCreateAllocates(t *testing.T) {
	tests := []struct {
		name             string
		mutate           func(*corev1.Service)
		wantIP           string // "" any in range, "-" none
		wantNodePorts    int
		wantHealthCheck  bool
		wantIPs, wantNPs int // records afterwards
	}{
		{name: "clusterIP", wantIPs: 1},
		{name: "explicit clusterIP", mutate: func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.0.10" }, wantIP: "10.96.0.10", wantIPs: 1},
		{name: "explicit clusterIPs only", mutate: func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.0.11"; s.Spec.ClusterIPs = []string{"10.96.0.11"} }, wantIP: "10.96.0.11", wantIPs: 1},
		{name: "headless", mutate: func(s *corev1.Service) { s.Spec.ClusterIP = "None" }, wantIP: "None"},
		{name: "externalName", mutate: func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeExternalName
			s.Spec.ExternalName = "example.com"
		}, wantIP: "-"},
		{name: "nodePort", mutate: func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort }, wantNodePorts: 1, wantIPs: 1, wantNPs: 1},
		{name: "nodePort tcp and udp share", mutate: func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.Ports = []corev1.ServicePort{{Name: "dns", Port: 53}, {Name: "dns-udp", Port: 53, Protocol: corev1.ProtocolUDP}, {Name: "x", Port: 54}}
		}, wantNodePorts: 3, wantIPs: 1, wantNPs: 2},
		{name: "nodePort local has no health check", mutate: func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		}, wantNodePorts: 1, wantIPs: 1, wantNPs: 1},
		{name: "loadBalancer local", mutate: func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		}, wantNodePorts: 1, wantHealthCheck: true, wantIPs: 1, wantNPs: 2},
		{name: "loadBalancer without node ports", mutate: func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.AllocateLoadBalancerNodePorts = ptr.To(false)
		}, wantIPs: 1},
		{name: "loadBalancer without node ports honours one asked for", mutate: func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.AllocateLoadBalancerNodePorts = ptr.To(false)
			s.Spec.Ports = []corev1.ServicePort{{Name: "a", Port: 80, NodePort: 30080}, {Name: "b", Port: 81}}
		}, wantNodePorts: 1, wantIPs: 1, wantNPs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			svc := service("s", tt.mutate)
			if err := f.create(t, svc, true); err != nil {
				t.Fatal(err)
			}
			spec := svc.Spec
			switch tt.wantIP {
			case "-":
				if spec.ClusterIP != "" || spec.ClusterIPs != nil || spec.IPFamilies != nil {
					t.Errorf("ExternalName got %q %v %v", spec.ClusterIP, spec.ClusterIPs, spec.IPFamilies)
				}
			case "":
				ip, err := netip.ParseAddr(spec.ClusterIP)
				if err != nil || !netip.MustParsePrefix("10.96.0.0/12").Contains(ip) || len(spec.ClusterIPs) != 1 || spec.ClusterIPs[0] != spec.ClusterIP {
					t.Errorf("clusterIP %q clusterIPs %v", spec.ClusterIP, spec.ClusterIPs)
				}
			default:
				if spec.ClusterIP != tt.wantIP || len(spec.ClusterIPs) != 1 || spec.ClusterIPs[0] != tt.wantIP {
					t.Errorf("clusterIP %q clusterIPs %v, want %s", spec.ClusterIP, spec.ClusterIPs, tt.wantIP)
				}
			}
			if tt.wantIP != "-" && (spec.IPFamilyPolicy == nil || len(spec.IPFamilies) == 0 || spec.IPFamilies[0] != corev1.IPv4Protocol) {
				t.Errorf("families %v policy %v", spec.IPFamilies, spec.IPFamilyPolicy)
			}
			n := 0
			for _, p := range spec.Ports {
				if p.NodePort != 0 {
					n++
					if p.NodePort < 30000 || p.NodePort > 32767 {
						t.Errorf("nodePort %d out of range", p.NodePort)
					}
				}
			}
			if n != tt.wantNodePorts {
				t.Errorf("%d ports got node ports, want %d: %+v", n, tt.wantNodePorts, spec.Ports)
			}
			if tt.name == "nodePort tcp and udp share" && (spec.Ports[0].NodePort != spec.Ports[1].NodePort || spec.Ports[2].NodePort == spec.Ports[0].NodePort) {
				t.Errorf("sharing: %+v", spec.Ports)
			}
			if (spec.HealthCheckNodePort != 0) != tt.wantHealthCheck {
				t.Errorf("healthCheckNodePort %d", spec.HealthCheckNodePort)
			}
			if f.ips.used() != tt.wantIPs || f.ports.used() != tt.wantNPs {
				t.Errorf("records: %d IPs, %d ports; want %d, %d", f.ips.used(), f.ports.used(), tt.wantIPs, tt.wantNPs)
			}
			// Deleting releases everything.
			f.a.afterDelete(svc, &metav1.DeleteOptions{})
			if f.ips.used() != 0 || f.ports.used() != 0 {
				t.Errorf("after delete: %d IPs, %d ports", f.ips.used(), f.ports.used())
			}
		})
	}
}

func TestServiceCreateErrors(t *testing.T) {
	tests := []struct {
		name   string
		first  func(*corev1.Service) // an existing Service, or nil
		mutate func(*corev1.Service)
		want   string
	}{
		{"clusterIP taken",
			func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.0.10" },
			func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.0.10" },
			`Service "s" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.10"]: failed to allocate IP 10.96.0.10: provided IP is already allocated`},
		{"clusterIP out of range", nil,
			func(s *corev1.Service) { s.Spec.ClusterIP = "1.2.3.4" },
			`Service "s" is invalid: spec.clusterIPs: Invalid value: ["1.2.3.4"]: failed to allocate IP 1.2.3.4: the provided IP (1.2.3.4) is not in the valid range. The range of valid IPs is 10.96.0.0/12`},
		{"nodePort taken",
			func(s *corev1.Service) { s.Spec.Type = "NodePort"; s.Spec.Ports[0].NodePort = 30080 },
			func(s *corev1.Service) { s.Spec.Type = "NodePort"; s.Spec.Ports[0].NodePort = 30080 },
			`Service "s" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated`},
		{"nodePort out of range", nil,
			func(s *corev1.Service) { s.Spec.Type = "NodePort"; s.Spec.Ports[0].NodePort = 18000 },
			`Service "s" is invalid: spec.ports[0].nodePort: Invalid value: 18000: provided port is not in the valid range. The range of valid ports is 30000-32767`},
		{"require dual stack", nil,
			func(s *corev1.Service) { s.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyRequireDualStack) },
			`Service "s" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services`},
		{"ipv6 family", nil,
			func(s *corev1.Service) { s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol} },
			`Service "s" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster`},
		{"ipv6 clusterIP", nil,
			func(s *corev1.Service) { s.Spec.ClusterIP = "fd00::10" },
			`Service "s" is invalid: spec.clusterIPs[0]: Invalid value: ["fd00::10"]: IPv6 is not configured on this cluster`},
		{"not an IP", nil,
			func(s *corev1.Service) { s.Spec.ClusterIP = "banana" },
			`Service "s" is invalid: spec.clusterIPs[0]: Invalid value: "banana": must be a valid IP address`},
		{"mismatched clusterIPs", nil,
			func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.0.5"; s.Spec.ClusterIPs = []string{"10.96.0.6"} },
			"Service \"s\" is invalid: spec.clusterIPs: Invalid value: [\"10.96.0.6\"]: first value must match `clusterIP`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.first != nil {
				if err := f.create(t, service("first", tt.first), true); err != nil {
					t.Fatal(err)
				}
			}
			ips, ports := f.ips.used(), f.ports.used()
			err := f.create(t, service("s", tt.mutate), true)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error %v\nwant   %s", err, tt.want)
			}
			if f.ips.used() != ips || f.ports.used() != ports {
				t.Errorf("a refused create kept allocations: %d→%d IPs, %d→%d ports", ips, f.ips.used(), ports, f.ports.used())
			}
		})
	}
}

func TestServiceCreateFailureReleases(t *testing.T) {
	f := newFixture(t)
	svc := service("s", func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeLoadBalancer
		s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	})
	if err := f.create(t, svc, false); err != nil { // the store write fails
		t.Fatal(err)
	}
	if f.ips.used() != 0 || f.ports.used() != 0 {
		t.Errorf("failed create left %d IPs, %d ports", f.ips.used(), f.ports.used())
	}
	// A second node port that cannot be had undoes the first.
	f.create(t, service("other", func(s *corev1.Service) { s.Spec.Type = "NodePort"; s.Spec.Ports[0].NodePort = 30081 }), true)
	err := f.create(t, service("s", func(s *corev1.Service) {
		s.Spec.Type = "NodePort"
		s.Spec.Ports = []corev1.ServicePort{{Name: "a", Port: 80}, {Name: "b", Port: 81, NodePort: 30081}}
	}), true)
	if err == nil || f.ips.used() != 1 || f.ports.used() != 1 {
		t.Errorf("err %v; records %d IPs, %d ports, want the other service's only", err, f.ips.used(), f.ports.used())
	}
}

func TestServiceDryRunRecordsNothing(t *testing.T) {
	f := newFixture(t)
	svc := service("s", func(s *corev1.Service) { s.Spec.Type = "NodePort" })
	finish, err := f.a.beginCreate(context.Background(), svc, &metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		t.Fatal(err)
	}
	finish(context.Background(), true)
	if svc.Spec.ClusterIP == "" || svc.Spec.Ports[0].NodePort == 0 {
		t.Errorf("dry run shows no values: %+v", svc.Spec)
	}
	if f.ips.used() != 0 || f.ports.used() != 0 {
		t.Errorf("dry run recorded %d IPs, %d ports", f.ips.used(), f.ports.used())
	}
}

// stored creates svc and returns it as the store would hand it back.
func (f *fixture) stored(t *testing.T, name string, mutate func(*corev1.Service)) *corev1.Service {
	t.Helper()
	svc := service(name, mutate)
	if err := f.create(t, svc, true); err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestServiceUpdateTypeChanges(t *testing.T) {
	f := newFixture(t)
	old := f.stored(t, "s", nil)
	ip := old.Spec.ClusterIP

	// ClusterIP -> NodePort allocates node ports and keeps the IP.
	np := old.DeepCopy()
	np.Spec.Type = corev1.ServiceTypeNodePort
	defaults.Service(np)
	if err := f.update(t, np, old); err != nil {
		t.Fatal(err)
	}
	if np.Spec.ClusterIP != ip || np.Spec.Ports[0].NodePort == 0 || f.ports.used() != 1 {
		t.Fatalf("to NodePort: ip %s ports %+v records %d", np.Spec.ClusterIP, np.Spec.Ports, f.ports.used())
	}
	port := int(np.Spec.Ports[0].NodePort)

	// Re-sending the manifest without the allocated values keeps them.
	again := service("s", func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort })
	if err := f.update(t, again, np); err != nil {
		t.Fatal(err)
	}
	if again.Spec.ClusterIP != ip || int(again.Spec.Ports[0].NodePort) != port || f.ports.used() != 1 || f.ips.used() != 1 {
		t.Fatalf("re-applied manifest: %+v", again.Spec)
	}

	// NodePort -> ClusterIP releases and clears them.
	back := np.DeepCopy()
	back.Spec.Type = corev1.ServiceTypeClusterIP
	if err := f.update(t, back, np); err != nil {
		t.Fatal(err)
	}
	if back.Spec.Ports[0].NodePort != 0 || f.ports.used() != 0 || back.Spec.ClusterIP != ip || back.Spec.ExternalTrafficPolicy != "" {
		t.Fatalf("to ClusterIP: ports %+v records %d", back.Spec.Ports, f.ports.used())
	}
	if err := f.ports.Allocate(context.Background(), port, ipam.Owner{Name: "other"}); err != nil {
		t.Fatalf("released node port not free: %v", err)
	}

	// ClusterIP -> ExternalName releases and clears the IP.
	ext := back.DeepCopy()
	ext.Spec.Type = corev1.ServiceTypeExternalName
	ext.Spec.ExternalName = "example.com"
	if err := f.update(t, ext, back); err != nil {
		t.Fatal(err)
	}
	if ext.Spec.ClusterIP != "" || ext.Spec.ClusterIPs != nil || ext.Spec.IPFamilies != nil || ext.Spec.IPFamilyPolicy != nil ||
		ext.Spec.InternalTrafficPolicy != nil || f.ips.used() != 0 {
		t.Fatalf("to ExternalName: %+v, %d IP records", ext.Spec, f.ips.used())
	}

	// ExternalName -> ClusterIP allocates again.
	cip := ext.DeepCopy()
	cip.Spec.Type = corev1.ServiceTypeClusterIP
	cip.Spec.ExternalName = ""
	if err := f.update(t, cip, ext); err != nil {
		t.Fatal(err)
	}
	if cip.Spec.ClusterIP == "" || f.ips.used() != 1 || len(cip.Spec.IPFamilies) != 1 {
		t.Fatalf("from ExternalName: %+v", cip.Spec)
	}

	// LoadBalancer with Local traffic gets a health check node port, and
	// loses it with Cluster.
	lb := cip.DeepCopy()
	lb.Spec.Type = corev1.ServiceTypeLoadBalancer
	lb.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	defaults.Service(lb)
	if err := f.update(t, lb, cip); err != nil {
		t.Fatal(err)
	}
	if lb.Spec.HealthCheckNodePort == 0 || lb.Spec.Ports[0].NodePort == 0 || f.ports.used() != 3 { // + "other"
		t.Fatalf("to LoadBalancer Local: %+v, %d port records", lb.Spec, f.ports.used())
	}
	cl := lb.DeepCopy()
	cl.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	if err := f.update(t, cl, lb); err != nil {
		t.Fatal(err)
	}
	if cl.Spec.HealthCheckNodePort != 0 || f.ports.used() != 2 {
		t.Fatalf("to LoadBalancer Cluster: hc %d, %d port records", cl.Spec.HealthCheckNodePort, f.ports.used())
	}
}

func TestServiceUpdateGivesLegacyServiceAClusterIP(t *testing.T) {
	f := newFixture(t)
	// Stored before allocation existed: no cluster IP, no families.
	old := service("legacy", nil)
	for _, explicit := range []string{"", "10.96.0.42"} {
		svc := old.DeepCopy()
		svc.Spec.ClusterIP = explicit
		if err := f.update(t, svc, old); err != nil {
			t.Fatal(err)
		}
		if svc.Spec.ClusterIP == "" || (explicit != "" && svc.Spec.ClusterIP != explicit) || f.ips.used() != 1 {
			t.Fatalf("legacy Service updated to %q (asked %q), %d records", svc.Spec.ClusterIP, explicit, f.ips.used())
		}
		f.a.afterDelete(svc, &metav1.DeleteOptions{})
	}
}

func TestServiceUpdateRefusesClusterIPChange(t *testing.T) {
	f := newFixture(t)
	old := f.stored(t, "s", func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.0.10" })
	for _, mutate := range []func(*corev1.Service){
		func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.0.11" },
		func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.0.11"; s.Spec.ClusterIPs = []string{"10.96.0.11"} },
	} {
		svc := old.DeepCopy()
		mutate(svc)
		err := f.update(t, svc, old)
		want := `Service "s" is invalid: spec.clusterIPs[0]: Invalid value: ["10.96.0.11"]: may not change once set`
		if err == nil || err.Error() != want {
			t.Errorf("error %v\nwant   %s", err, want)
		}
	}
	if f.ips.used() != 1 {
		t.Errorf("%d IP records", f.ips.used())
	}
}

func TestServiceUpdateRetryUndoesEarlierAttempt(t *testing.T) {
	f := newFixture(t)
	old := f.stored(t, "s", nil)
	p := &pendingUpdate{}
	ctx := context.WithValue(context.Background(), pendingUpdateKey{}, p)
	var finish genericregistry.FinishFunc
	for attempt := range 3 { // the store retries after losing a write race
		svc := old.DeepCopy()
		svc.Spec.Type = corev1.ServiceTypeNodePort
		var err error
		if finish, err = f.a.beginUpdate(ctx, svc, old, &metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		finish(ctx, true)
		if f.ports.used() != 1 {
			t.Fatalf("attempt %d: %d node port records", attempt, f.ports.used())
		}
	}
	p.done(nil, errors.New("conflict")) // and finally gives up
	if f.ports.used() != 0 {
		t.Fatalf("failed update left %d node port records", f.ports.used())
	}
}

func TestServiceCreateByUpdateUndoneWhenTheWriteFails(t *testing.T) {
	f := newFixture(t)
	p := &pendingUpdate{}
	ctx := context.WithValue(context.Background(), pendingUpdateKey{}, p)
	svc := service("s", func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort })
	finish, err := f.a.beginCreate(ctx, svc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	finish(ctx, true) // called before the write, which then fails
	if f.ips.used() != 1 || f.ports.used() != 1 {
		t.Fatalf("records %d, %d", f.ips.used(), f.ports.used())
	}
	p.done(nil, errors.New("already exists"))
	if f.ips.used() != 0 || f.ports.used() != 0 {
		t.Fatalf("failed create by update left %d IPs, %d ports", f.ips.used(), f.ports.used())
	}
}
