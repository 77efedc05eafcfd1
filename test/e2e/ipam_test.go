package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/portal-dev/portal/internal/storage"
	"github.com/portal-dev/portal/test/e2e/framework"
)

var serviceCIDR = netip.MustParsePrefix("127.96.0.0/12")

const ipamNamespace = "ipam"

// nodePortService is a NodePort Service, with an explicit cluster IP and
// node port when they are set.
func nodePortService(name, ip string, nodePort int32) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{
			Type:      corev1.ServiceTypeNodePort,
			ClusterIP: ip,
			Selector:  map[string]string{"app": name},
			Ports:     []corev1.ServicePort{{Name: "http", Port: 80, NodePort: nodePort}},
		},
	}
}

// clientsFor returns n separate clientsets for each cluster, round robin.
func clientsFor(t *testing.T, n int, clusters ...*framework.Cluster) []kubernetes.Interface {
	t.Helper()
	var out []kubernetes.Interface
	for i := range n {
		cs, err := kubernetes.NewForConfig(clusters[i%len(clusters)].Config())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cs)
	}
	return out
}

// retry calls op until it succeeds, returns a final error, or a minute has
// passed: across a restart, requests fail with connection errors for a
// moment.
func retryCreate(ctx context.Context, op func() (final bool, err error)) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		final, err := op()
		if err == nil || final || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// createAll creates svcs in parallel, one worker per client, and returns
// them as stored. A create whose answer was lost to a restart is found by
// its name.
func createAll(t *testing.T, clients []kubernetes.Interface, svcs []*corev1.Service, created *atomic.Int64) map[string]*corev1.Service {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	out := map[string]*corev1.Service{}
	var wg sync.WaitGroup
	for w, cs := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(svcs); i += len(clients) {
				var got *corev1.Service
				err := retryCreate(ctx, func() (bool, error) {
					s, err := cs.CoreV1().Services(ipamNamespace).Create(ctx, svcs[i], metav1.CreateOptions{})
					if apierrors.IsAlreadyExists(err) {
						s, err = cs.CoreV1().Services(ipamNamespace).Get(ctx, svcs[i].Name, metav1.GetOptions{})
					}
					got = s
					return apierrors.IsInvalid(err), err
				})
				if err != nil {
					t.Errorf("create %s: %v", svcs[i].Name, err)
					return
				}
				if created != nil {
					created.Add(1)
				}
				mu.Lock()
				out[got.Name] = got
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

func deleteAll(t *testing.T, clients []kubernetes.Interface, names []string) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	for w, cs := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(names); i += len(clients) {
				err := retryCreate(ctx, func() (bool, error) {
					err := cs.CoreV1().Services(ipamNamespace).Delete(ctx, names[i], metav1.DeleteOptions{})
					if apierrors.IsNotFound(err) {
						return true, nil
					}
					return false, err
				})
				if err != nil {
					t.Errorf("delete %s: %v", names[i], err)
				}
			}
		}()
	}
	wg.Wait()
}

// checkDistinct fails unless every Service has its own cluster IP in the
// service CIDR (not the kubernetes Service's) and its own node port.
func checkDistinct(t *testing.T, svcs map[string]*corev1.Service) {
	t.Helper()
	ips, ports := map[string]string{}, map[int32]string{}
	for name, s := range svcs {
		ip, err := netip.ParseAddr(s.Spec.ClusterIP)
		if err != nil || !serviceCIDR.Contains(ip) || ip == serviceCIDR.Addr().Next() {
			t.Errorf("%s has cluster IP %q", name, s.Spec.ClusterIP)
		}
		if len(s.Spec.ClusterIPs) != 1 || s.Spec.ClusterIPs[0] != s.Spec.ClusterIP {
			t.Errorf("%s has clusterIPs %v for clusterIP %s", name, s.Spec.ClusterIPs, s.Spec.ClusterIP)
		}
		if prev, dup := ips[s.Spec.ClusterIP]; dup {
			t.Errorf("cluster IP %s given to %s and %s", s.Spec.ClusterIP, prev, name)
		}
		ips[s.Spec.ClusterIP] = name
		np := s.Spec.Ports[0].NodePort
		if np < 30000 || np > 32767 {
			t.Errorf("%s has node port %d", name, np)
		}
		if prev, dup := ports[np]; dup {
			t.Errorf("node port %d given to %s and %s", np, prev, name)
		}
		ports[np] = name
	}
}

func makeNamespace(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	_, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ipamNamespace}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

func names(m map[string]*corev1.Service) []string {
	var out []string
	for n := range m {
		out = append(out, n)
	}
	return out
}

// TestServiceAllocationParallelRestartAndRelease: 200 Services created in
// parallel from 10 clients get distinct cluster IPs and node ports; a
// restart keeps every allocation and gives none out again; deleting the
// Services frees every address and port, which explicit requests for
// exactly those values then prove.
func TestServiceAllocationParallelRestartAndRelease(t *testing.T) {
	c := framework.Start(t, framework.Options{})
	clients := clientsFor(t, 10, c)
	makeNamespace(t, clients[0])

	var batch []*corev1.Service
	for i := range 200 {
		batch = append(batch, nodePortService(fmt.Sprintf("svc-%03d", i), "", 0))
	}
	start := time.Now()
	before := createAll(t, clients, batch, nil)
	t.Logf("200 NodePort Services created from 10 clients in %v", time.Since(start))
	if len(before) != 200 {
		t.Fatalf("%d Services created", len(before))
	}
	checkDistinct(t, before)

	c.Restart()
	clients = clientsFor(t, 10, c)
	ctx := context.Background()
	list, err := clients[0].CoreV1().Services(ipamNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list.Items {
		b := before[s.Name]
		if b == nil || b.Spec.ClusterIP != s.Spec.ClusterIP || b.Spec.Ports[0].NodePort != s.Spec.Ports[0].NodePort {
			t.Errorf("after restart %s has %s:%d", s.Name, s.Spec.ClusterIP, s.Spec.Ports[0].NodePort)
		}
	}
	// The allocations survived: asking for a used value is refused...
	for _, name := range []string{"svc-000", "svc-100", "svc-199"} {
		b := before[name]
		_, err := clients[0].CoreV1().Services(ipamNamespace).Create(ctx, nodePortService("dup-ip", b.Spec.ClusterIP, 0), metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "provided IP is already allocated") {
			t.Errorf("re-using %s's IP after restart: %v", name, err)
		}
		_, err = clients[0].CoreV1().Services(ipamNamespace).Create(ctx, nodePortService("dup-port", "", b.Spec.Ports[0].NodePort), metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "provided port is already allocated") {
			t.Errorf("re-using %s's node port after restart: %v", name, err)
		}
	}
	// ...and new Services get new values.
	batch = nil
	for i := range 50 {
		batch = append(batch, nodePortService(fmt.Sprintf("after-%02d", i), "", 0))
	}
	after := createAll(t, clients, batch, nil)
	for n, s := range after {
		before[n] = s
	}
	checkDistinct(t, before)

	start = time.Now()
	deleteAll(t, clients, names(before))
	t.Logf("250 Services deleted in %v", time.Since(start))

	// Every freed IP and port can be asked for again, explicitly.
	batch = nil
	for n, s := range before {
		batch = append(batch, nodePortService("again-"+n, s.Spec.ClusterIP, s.Spec.Ports[0].NodePort))
	}
	again := createAll(t, clients, batch, nil)
	if len(again) != len(before) {
		t.Fatalf("%d of %d freed values could be allocated again", len(again), len(before))
	}
	for n, s := range before {
		a := again["again-"+n]
		if a == nil || a.Spec.ClusterIP != s.Spec.ClusterIP || a.Spec.Ports[0].NodePort != s.Spec.Ports[0].NodePort {
			t.Errorf("explicit %s:%d came back as %v", s.Spec.ClusterIP, s.Spec.Ports[0].NodePort, a)
		}
	}
	deleteAll(t, clients, names(again))
}

// TestServiceAllocationTwoAPIServersOneEtcd runs two portal API servers on
// one etcd and creates 200 Services through both from 10 clients, restarting
// one server in the middle. Every Service has its own cluster IP and node
// port, and etcd holds exactly one record per allocation; deleting the
// Services leaves only the kubernetes Service's.
func TestServiceAllocationTwoAPIServersOneEtcd(t *testing.T) {
	ctx := context.Background()
	etcd := &storage.Embedded{Dir: t.TempDir()}
	if err := etcd.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(etcd.Close)
	etcdClient, err := clientv3.New(clientv3.Config{Endpoints: etcd.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer etcdClient.Close()
	args := framework.Options{Args: []string{"--etcd-servers", strings.Join(etcd.Endpoints(), ",")}}
	a := framework.Start(t, args)
	b := framework.Start(t, args)
	clients := clientsFor(t, 10, a, b)
	makeNamespace(t, clients[0])

	records := func(kind string) int64 {
		t.Helper()
		resp, err := etcdClient.Get(ctx, "/registry/serviceallocations/"+kind+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			t.Fatal(err)
		}
		return resp.Count
	}

	var batch []*corev1.Service
	for i := range 200 {
		batch = append(batch, nodePortService(fmt.Sprintf("svc-%03d", i), "", 0))
	}
	var created atomic.Int64
	done := make(chan map[string]*corev1.Service)
	start := time.Now()
	go func() { done <- createAll(t, clients, batch, &created) }()
	for created.Load() < 60 {
		time.Sleep(5 * time.Millisecond)
	}
	a.Restart() // half the clients now see errors, then the new process
	svcs := <-done
	t.Logf("200 Services through two API servers, one restarted meanwhile, in %v", time.Since(start))
	if len(svcs) != 200 {
		t.Fatalf("%d Services created", len(svcs))
	}
	// What the clients were told is what is stored.
	list, err := clients[1].CoreV1().Services(ipamNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]*corev1.Service{}
	for i := range list.Items {
		s := &list.Items[i]
		stored[s.Name] = s
		if got := svcs[s.Name]; got == nil || got.Spec.ClusterIP != s.Spec.ClusterIP {
			t.Errorf("%s stored with %s, created with %v", s.Name, s.Spec.ClusterIP, got)
		}
	}
	checkDistinct(t, stored)
	// One record per allocation: the 200 Services' and the kubernetes
	// Service's cluster IP, the 200 node ports.
	if n := records("clusterips"); n != 201 {
		t.Errorf("etcd holds %d cluster IP records, want 201", n)
	}
	if n := records("nodeports"); n != 200 {
		t.Errorf("etcd holds %d node port records, want 200", n)
	}
	resp, err := etcdClient.Get(ctx, "/registry/serviceallocations/clusterips/"+stored["svc-042"].Spec.ClusterIP)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("record of svc-042: %v %v", resp, err)
	}
	wantOwner := fmt.Sprintf(`{"namespace":"ipam","name":"svc-042","uid":"%s"}`, stored["svc-042"].UID)
	if string(resp.Kvs[0].Value) != wantOwner {
		t.Errorf("svc-042's record is %s, want %s", resp.Kvs[0].Value, wantOwner)
	}

	deleteAll(t, clients, names(stored))
	if n := records("clusterips"); n != 1 {
		t.Errorf("after deleting, etcd holds %d cluster IP records, want the kubernetes Service's", n)
	}
	if n := records("nodeports"); n != 0 {
		t.Errorf("after deleting, etcd holds %d node port records", n)
	}
}

// applyErr runs kubectl apply on manifest and returns its output, which must
// be a failure.
func applyErr(t *testing.T, c *framework.Cluster, manifest string) string {
	t.Helper()
	out, err := c.KubectlIn(manifest, nil, "apply", "-n", ipamNamespace, "-f", "-")
	if err == nil {
		t.Fatalf("kubectl apply succeeded:\n%s\n%s", manifest, out)
	}
	return strings.TrimSpace(out)
}

// TestServiceAllocationSemantics covers explicit values, kube's error
// messages, type changes, ExternalName and headless Services, and the
// kubernetes Service.
func TestServiceAllocationSemantics(t *testing.T) {
	c := framework.Start(t, framework.Options{})
	cs := c.Client()
	ctx := context.Background()
	makeNamespace(t, cs)
	svcs := cs.CoreV1().Services(ipamNamespace)

	t.Run("kubernetes service", func(t *testing.T) {
		k, err := cs.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if k.Spec.ClusterIP != "127.96.0.1" || len(k.Spec.Ports) != 1 || k.Spec.Ports[0].Name != "https" ||
			k.Spec.Ports[0].Port != 443 || k.Spec.Ports[0].TargetPort.IntValue() != c.Port {
			t.Errorf("kubernetes Service: %+v", k.Spec)
		}
		cfg := c.Config()
		cfg.WarningHandler = rest.NoWarnings{} // v1 Endpoints is deprecated; read on purpose
		ep, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().Endpoints("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ep.Subsets) != 1 || ep.Subsets[0].Addresses[0].IP != "127.0.0.1" || int(ep.Subsets[0].Ports[0].Port) != c.Port {
			t.Errorf("kubernetes Endpoints: %+v", ep.Subsets)
		}
		es, err := cs.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=kubernetes"})
		if err != nil || len(es.Items) != 1 {
			t.Fatalf("kubernetes EndpointSlices: %v %v", es, err)
		}
		s := es.Items[0]
		if s.Labels[discoveryv1.LabelManagedBy] != "portal-apiserver" || s.Endpoints[0].Addresses[0] != "127.0.0.1" || int(*s.Ports[0].Port) != c.Port {
			t.Errorf("kubernetes EndpointSlice: %+v", s)
		}
	})

	t.Run("explicit values and conflicts", func(t *testing.T) {
		if _, err := svcs.Create(ctx, nodePortService("dns", "127.96.0.10", 30080), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		got, _ := svcs.Get(ctx, "dns", metav1.GetOptions{})
		if got.Spec.ClusterIP != "127.96.0.10" || got.Spec.Ports[0].NodePort != 30080 {
			t.Fatalf("explicit values not honoured: %s:%d", got.Spec.ClusterIP, got.Spec.Ports[0].NodePort)
		}
		tests := []struct{ manifest, want string }{
			{`{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"},"spec":{"clusterIP":"127.96.0.10","ports":[{"port":80}]}}`,
				`The Service "x" is invalid: spec.clusterIPs: Invalid value: ["127.96.0.10"]: failed to allocate IP 127.96.0.10: provided IP is already allocated`},
			{`{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"},"spec":{"clusterIP":"1.2.3.4","ports":[{"port":80}]}}`,
				`The Service "x" is invalid: spec.clusterIPs: Invalid value: ["1.2.3.4"]: failed to allocate IP 1.2.3.4: the provided IP (1.2.3.4) is not in the valid range. The range of valid IPs is 127.96.0.0/12`},
			{`{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30080}]}}`,
				`The Service "x" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated`},
			{`{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":18000}]}}`,
				`The Service "x" is invalid: spec.ports[0].nodePort: Invalid value: 18000: provided port is not in the valid range. The range of valid ports is 30000-32767`},
			{`{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"},"spec":{"ipFamilyPolicy":"RequireDualStack","ports":[{"port":80}]}}`,
				`The Service "x" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services`},
		}
		for _, tt := range tests {
			if out := applyErr(t, c, tt.manifest); out != tt.want {
				t.Errorf("kubectl apply said\n  %s\nwant\n  %s", out, tt.want)
			}
		}
		if _, err := svcs.Get(ctx, "x", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("a refused Service exists: %v", err)
		}
	})

	t.Run("clusterIP is immutable", func(t *testing.T) {
		out, err := c.Kubectl("patch", "-n", ipamNamespace, "svc", "dns", "-p", `{"spec":{"clusterIP":"127.96.0.11"}}`)
		want := `The Service "dns" is invalid: spec.clusterIPs[0]: Invalid value: ["127.96.0.11"]: may not change once set`
		if err == nil || strings.TrimSpace(out) != want {
			t.Errorf("kubectl patch said %q (%v), want %q", out, err, want)
		}
	})

	t.Run("type changes", func(t *testing.T) {
		s, err := svcs.Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ip := s.Spec.ClusterIP
		if s.Spec.Ports[0].NodePort != 0 || *s.Spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack || s.Spec.IPFamilies[0] != corev1.IPv4Protocol {
			t.Errorf("ClusterIP Service: %+v", s.Spec)
		}
		patch := func(p string) *corev1.Service {
			t.Helper()
			s, err := svcs.Patch(ctx, "web", types.MergePatchType, []byte(p), metav1.PatchOptions{})
			if err != nil {
				t.Fatalf("patch %s: %v", p, err)
			}
			return s
		}
		s = patch(`{"spec":{"type":"NodePort"}}`)
		np := s.Spec.Ports[0].NodePort
		if np == 0 || s.Spec.ClusterIP != ip {
			t.Fatalf("to NodePort: %s:%d", s.Spec.ClusterIP, np)
		}
		s = patch(`{"spec":{"type":"ClusterIP"}}`)
		if s.Spec.Ports[0].NodePort != 0 || s.Spec.ClusterIP != ip {
			t.Fatalf("back to ClusterIP: %s:%d", s.Spec.ClusterIP, s.Spec.Ports[0].NodePort)
		}
		// The node port is free again.
		if _, err := svcs.Create(ctx, nodePortService("takes-port", "", np), metav1.CreateOptions{}); err != nil {
			t.Fatalf("released node port %d: %v", np, err)
		}
		s = patch(`{"spec":{"type":"ExternalName","externalName":"example.com"}}`)
		if s.Spec.ClusterIP != "" || len(s.Spec.ClusterIPs) != 0 || len(s.Spec.IPFamilies) != 0 {
			t.Fatalf("to ExternalName: %+v", s.Spec)
		}
		if _, err := svcs.Create(ctx, nodePortService("takes-ip", ip, 0), metav1.CreateOptions{}); err != nil {
			t.Fatalf("released cluster IP %s: %v", ip, err)
		}
		s = patch(`{"spec":{"type":"ClusterIP","externalName":null}}`)
		if _, err := netip.ParseAddr(s.Spec.ClusterIP); err != nil || s.Spec.ClusterIP == ip {
			t.Fatalf("from ExternalName: %+v", s.Spec)
		}
	})

	t.Run("ExternalName and headless", func(t *testing.T) {
		ext, err := svcs.Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "ext"},
			Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "example.com"},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ext.Spec.ClusterIP != "" || len(ext.Spec.ClusterIPs) != 0 {
			t.Errorf("ExternalName got %q %v", ext.Spec.ClusterIP, ext.Spec.ClusterIPs)
		}
		hl, err := svcs.Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "headless"},
			Spec:       corev1.ServiceSpec{ClusterIP: "None", Selector: map[string]string{"app": "db"}, Ports: []corev1.ServicePort{{Port: 5432}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if hl.Spec.ClusterIP != "None" || len(hl.Spec.ClusterIPs) != 1 || hl.Spec.ClusterIPs[0] != "None" {
			t.Errorf("headless got %q %v", hl.Spec.ClusterIP, hl.Spec.ClusterIPs)
		}
	})

	t.Run("server-side apply creates", func(t *testing.T) {
		manifest := `{"apiVersion":"v1","kind":"Service","metadata":{"name":"applied"},"spec":{"type":"NodePort","ports":[{"port":80}]}}`
		for range 2 { // the second apply changes nothing
			if out, err := c.KubectlIn(manifest, nil, "apply", "--server-side", "-n", ipamNamespace, "-f", "-"); err != nil {
				t.Fatalf("kubectl apply --server-side: %v\n%s", err, out)
			}
		}
		s, err := svcs.Get(ctx, "applied", metav1.GetOptions{})
		if err != nil || s.Spec.ClusterIP == "" || s.Spec.Ports[0].NodePort == 0 {
			t.Fatalf("applied Service: %v %+v", err, s)
		}
	})

	t.Run("load balancer", func(t *testing.T) {
		lb, err := svcs.Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "lb"},
			Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeLoadBalancer, ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
				Ports: []corev1.ServicePort{{Name: "dns", Port: 53}, {Name: "dns-udp", Port: 53, Protocol: corev1.ProtocolUDP}},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p := lb.Spec.Ports
		if p[0].NodePort == 0 || p[0].NodePort != p[1].NodePort || lb.Spec.HealthCheckNodePort == 0 || lb.Spec.HealthCheckNodePort == p[0].NodePort {
			t.Errorf("LoadBalancer Local: ports %+v healthCheckNodePort %d", p, lb.Spec.HealthCheckNodePort)
		}
		noNP, err := svcs.Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "lb-no-nodeports"},
			Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeLoadBalancer, AllocateLoadBalancerNodePorts: new(bool),
				Ports: []corev1.ServicePort{{Port: 80}},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if noNP.Spec.Ports[0].NodePort != 0 || noNP.Spec.ClusterIP == "" {
			t.Errorf("allocateLoadBalancerNodePorts false: %+v", noNP.Spec)
		}
	})
}
