package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/portal-dev/portal/internal/ipam"
	"github.com/portal-dev/portal/internal/storage"
)

// startEtcd runs an embedded etcd member in a temporary directory and
// returns a new client for each call of the returned function.
func startEtcd(t *testing.T) func() *clientv3.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := &storage.Embedded{Dir: t.TempDir()}
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return func() *clientv3.Client {
		c, err := clientv3.New(clientv3.Config{Endpoints: e.Endpoints(), DialTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
}

func owner(i int) ipam.Owner {
	return ipam.Owner{Namespace: "default", Name: fmt.Sprintf("svc-%d", i), UID: fmt.Sprintf("uid-%d", i)}
}

// servers builds n allocator pairs over one etcd, each with its own client
// and cache, as n API servers would, and runs their watches.
func servers(t *testing.T, n int, cidr, ports string) ([]*Allocator[netip.Addr], []*Allocator[int]) {
	t.Helper()
	newClient := startEtcd(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	var ips []*Allocator[netip.Addr]
	var nps []*Allocator[int]
	for range n {
		c := newClient()
		r, err := ipam.NewRange(cidr)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := ipam.NewPortRange(ports)
		if err != nil {
			t.Fatal(err)
		}
		ip, np := NewClusterIPs(c, "/registry", r, nil), NewNodePorts(c, "/registry", pr, nil)
		for _, s := range []interface {
			Sync(context.Context) error
			Run(context.Context) error
		}{ip, np} {
			if err := s.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() { defer wg.Done(); _ = s.Run(ctx) }()
		}
		ips, nps = append(ips, ip), append(nps, np)
	}
	return ips, nps
}

// TestConcurrentAllocationAcrossServers allocates 200 cluster IPs and 200
// node ports from 10 goroutines spread over two API servers, in ranges
// barely larger than that so that the servers' random picks collide, then
// releases everything.
func TestConcurrentAllocationAcrossServers(t *testing.T) {
	ips, nps := servers(t, 2, "10.0.0.0/24", "30000-30209") // 254 IPs, 210 ports
	ctx := context.Background()
	const workers, total = 10, 200
	type got struct {
		ip   netip.Addr
		port int
		who  int
	}
	results := make(chan got, total)
	errs := make(chan error, total)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv := w % 2
			for i := w; i < total; i += workers {
				ip, err := ips[srv].AllocateNext(ctx, owner(i))
				if err != nil {
					errs <- err
					return
				}
				port, err := nps[srv].AllocateNext(ctx, owner(i))
				if err != nil {
					errs <- err
					return
				}
				results <- got{ip, port, i}
			}
		}()
	}
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d IPs and %d ports from %d goroutines on 2 servers in %v", total, total, workers, time.Since(start))
	seenIP, seenPort := map[netip.Addr]int{}, map[int]int{}
	all := []got{}
	for g := range results {
		if prev, dup := seenIP[g.ip]; dup {
			t.Errorf("IP %s given to svc-%d and svc-%d", g.ip, prev, g.who)
		}
		if prev, dup := seenPort[g.port]; dup {
			t.Errorf("port %d given to svc-%d and svc-%d", g.port, prev, g.who)
		}
		seenIP[g.ip], seenPort[g.port] = g.who, g.who
		all = append(all, g)
	}
	if len(all) != total {
		t.Fatalf("%d allocations, want %d", len(all), total)
	}
	for _, a := range []interface {
		Count(context.Context) (int64, error)
	}{ips[0], nps[1]} {
		if n, err := a.Count(ctx); err != nil || n != total {
			t.Fatalf("etcd holds %d records (%v), want %d", n, err, total)
		}
	}
	// Each record names its owner.
	entries, err := ips[1].List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if want := owner(seenIP[e.Value]); e.Owner != want {
			t.Errorf("%s recorded for %v, want %v", e.Value, e.Owner, want)
		}
	}

	// Release everything, concurrently and from the other server.
	var rwg sync.WaitGroup
	for _, g := range all {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			srv := (g.who + 1) % 2
			if err := ips[srv].Release(ctx, g.ip, owner(g.who)); err != nil {
				t.Error(err)
			}
			if err := nps[srv].Release(ctx, g.port, owner(g.who)); err != nil {
				t.Error(err)
			}
		}()
	}
	rwg.Wait()
	for _, a := range []interface {
		Count(context.Context) (int64, error)
	}{ips[0], nps[0]} {
		if n, err := a.Count(ctx); err != nil || n != 0 {
			t.Fatalf("after releasing all etcd holds %d records (%v)", n, err)
		}
	}
	// Both caches learn of it through their watches.
	deadline := time.Now().Add(10 * time.Second)
	for _, c := range []interface{ Used() int }{ips[0], ips[1], nps[0], nps[1]} {
		for c.Used() != 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if c.Used() != 0 {
			t.Errorf("a cache still counts %d used after release", c.Used())
		}
	}
}

func TestExhaustionAcrossServers(t *testing.T) {
	ips, _ := servers(t, 2, "10.0.0.0/28", "30000-30001") // 14 IPs, no static band
	ctx := context.Background()
	seen := map[netip.Addr]bool{}
	for i := range 14 {
		ip, err := ips[i%2].AllocateNext(ctx, owner(i))
		if err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
		if seen[ip] {
			t.Fatalf("%s twice", ip)
		}
		seen[ip] = true
	}
	for _, a := range ips {
		if _, err := a.AllocateNext(ctx, owner(99)); !errors.Is(err, ipam.ErrFull) {
			t.Fatalf("15th allocation: %v", err)
		}
	}
	// A release on one server makes room for the other, even before its
	// watch delivers the event (the full cache triggers a resync).
	var freed netip.Addr
	for ip := range seen {
		freed = ip
		break
	}
	if err := ips[0].Release(ctx, freed, owner(-1)); !errors.Is(err, ipam.ErrNotOwner) {
		t.Fatalf("release by a stranger: %v", err)
	}
	entry, ok, err := ips[0].Get(ctx, freed)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := ips[0].Release(ctx, freed, entry.Owner); err != nil {
		t.Fatal(err)
	}
	got, err := ips[1].AllocateNext(ctx, owner(100))
	if err != nil || got != freed {
		t.Fatalf("after release AllocateNext = %s, %v; want %s", got, err, freed)
	}
}

func TestExplicitAllocation(t *testing.T) {
	ips, nps := servers(t, 2, "10.96.0.0/12", "30000-32767")
	ctx := context.Background()
	ip := netip.MustParseAddr("10.96.0.10")
	if err := ips[0].Allocate(ctx, ip, owner(1)); err != nil {
		t.Fatal(err)
	}
	err := ips[1].Allocate(ctx, ip, owner(2))
	if !errors.Is(err, ipam.ErrAllocated) || err.Error() != "provided IP is already allocated" {
		t.Fatalf("second server's Allocate = %v", err)
	}
	if err := ips[1].Check(ctx, ip, owner(2)); !errors.Is(err, ipam.ErrAllocated) {
		t.Fatalf("Check by another owner = %v", err)
	}
	if err := ips[1].Check(ctx, ip, owner(1)); err != nil {
		t.Fatalf("Check by the owner = %v", err)
	}
	err = ips[0].Allocate(ctx, netip.MustParseAddr("1.2.3.4"), owner(3))
	if !errors.Is(err, ipam.ErrNotInRange) || err.Error() != "the provided IP (1.2.3.4) is not in the valid range. The range of valid IPs is 10.96.0.0/12" {
		t.Fatalf("out of range: %v", err)
	}
	if err := nps[0].Allocate(ctx, 30080, owner(1)); err != nil {
		t.Fatal(err)
	}
	err = nps[1].Allocate(ctx, 30080, owner(2))
	if !errors.Is(err, ipam.ErrAllocated) || err.Error() != "provided port is already allocated" {
		t.Fatalf("port conflict: %v", err)
	}
	err = nps[1].Allocate(ctx, 18000, owner(2))
	if err == nil || err.Error() != "provided port is not in the valid range. The range of valid ports is 30000-32767" {
		t.Fatalf("port out of range: %v", err)
	}
	// A third server starting now sees both allocations.
	if v, err := ips[1].Peek(ctx); err != nil || v == ip {
		t.Fatalf("Peek = %s, %v", v, err)
	}
	if err := ips[1].Release(ctx, ip, owner(1)); err != nil {
		t.Fatal(err)
	}
	if err := ips[1].Allocate(ctx, ip, owner(2)); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func TestCompareAndSwapHelpers(t *testing.T) {
	ips, _ := servers(t, 1, "10.96.0.0/24", "30000-30001")
	ctx := context.Background()
	ip := netip.MustParseAddr("10.96.0.20")
	if err := ips[0].Allocate(ctx, ip, owner(1)); err != nil {
		t.Fatal(err)
	}
	e, _, _ := ips[0].Get(ctx, ip)
	if ok, err := ips[0].Reassign(ctx, ip, owner(2), e.ModRevision); !ok || err != nil {
		t.Fatalf("Reassign = %v, %v", ok, err)
	}
	if ok, _ := ips[0].ReleaseIfUnchanged(ctx, ip, e.ModRevision); ok {
		t.Fatal("released a record that changed since it was read")
	}
	e2, _, _ := ips[0].Get(ctx, ip)
	if e2.Owner != owner(2) {
		t.Fatalf("owner after Reassign = %v", e2.Owner)
	}
	if ok, err := ips[0].ReleaseIfUnchanged(ctx, ip, e2.ModRevision); !ok || err != nil {
		t.Fatalf("ReleaseIfUnchanged = %v, %v", ok, err)
	}
	if n, _ := ips[0].Count(ctx); n != 0 {
		t.Fatalf("%d records left", n)
	}
}
