package endpointslice

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/utils/net"

	"github.com/portal-dev/portal/internal/controller/internal/ctrltest"
)

// TestCanonicalIPMatchesKube checks canonicalIP against what kube's
// reconciler writes: utilnet.ParseIPSloppy, then net.IP.String.
func TestCanonicalIPMatchesKube(t *testing.T) {
	inputs := []string{
		"10.0.0.1", "192.0.2.255", "0.0.0.0", "010.001.002.003", "1.2.3.04",
		"::1", "::", "fd00::1", "FD00::1", "fd00:0:0:0:0:0:0:1", "2001:db8::1:0:0:1",
		"2001:db8:0:0:1:0:0:1", "::ffff:192.0.2.1", "::192.0.2.1", "fe80::1%eth0",
		"2001:0db8:0000:0000:0000:0000:0000:0001", "1:2:3:4:5:6:7:8", "1::", "",
		"not-an-ip", "1.2.3", "300.1.1.1",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var b [16]byte
		for i := range b {
			if r.IntN(3) > 0 { // zero runs, for "::"
				b[i] = byte(r.IntN(256))
			}
		}
		inputs = append(inputs, netip.AddrFrom16(b).StringExpanded(), netip.AddrFrom16(b).String())
		inputs = append(inputs, fmt.Sprintf("%d.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(256)))
	}
	for _, in := range inputs {
		got, v6, ok := canonicalIP(in)
		ip := utilnet.ParseIPSloppy(in)
		if ip == nil {
			if ok {
				t.Errorf("canonicalIP(%q) = %q, want not ok", in, got)
			}
			continue
		}
		if !ok || got != ip.String() || v6 != utilnet.IsIPv6(ip) {
			t.Errorf("canonicalIP(%q) = %q, %t, %t; kube writes %q, IPv6 %t", in, got, v6, ok, ip.String(), utilnet.IsIPv6(ip))
		}
	}
}

func TestCanonicalIPDoesNotAllocate(t *testing.T) {
	for _, in := range []string{"10.1.2.3", "fd00::1:2"} {
		if n := testing.AllocsPerRun(100, func() { canonicalIP(in) }); n != 0 {
			t.Errorf("canonicalIP(%q) allocates %v times", in, n)
		}
	}
}

// TestNoChangeAllocatesPerSliceOnly plans a Service of 10,000 endpoints
// whose slices are up to date: nothing to write, and allocations that do
// not grow with the endpoints beyond the per-sync tables.
func TestNoChangeAllocatesPerSliceOnly(t *testing.T) {
	const n = 10000
	svc := ctrltest.Service(ns, "web", web)
	var pods []*corev1.Pod
	for _, o := range pods0(n) {
		pods = append(pods, o.(*corev1.Pod))
	}
	noZone := func(string) string { return "" }
	m := newSliceMeta(svc, DefaultMaxEndpointsPerSlice)
	first := planFamily(m, scanPods(svc, pods, noZone, nil, nil).v4, nil)
	if len(first.create) != n/DefaultMaxEndpointsPerSlice {
		t.Fatalf("%d slices created, want %d", len(first.create), n/DefaultMaxEndpointsPerSlice)
	}
	for i, s := range first.create {
		s.Name = fmt.Sprint("web-", i)
	}
	var p plan
	var reuse *scan
	allocs := testing.AllocsPerRun(5, func() {
		reuse = scanPods(svc, pods, noZone, nil, reuse)
		p = planFamily(m, reuse.v4, first.create)
	})
	t.Logf("%v allocations", allocs)
	if !p.empty() {
		t.Fatalf("writes for no change: %d/%d/%d", len(p.create), len(p.update), len(p.delete))
	}
	// The scan's tables are reused: what is left is per slice.
	if allocs > 50 {
		t.Errorf("%v allocations for an unchanged Service of %d endpoints", allocs, n)
	}
}

func pods0(n int) []runtime.Object {
	var out []runtime.Object
	for i := range n {
		out = append(out, ctrltest.Pod(ns, fmt.Sprintf("web-%d", i), fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256), true, web))
	}
	return out
}
