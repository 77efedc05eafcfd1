package repair

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/portal-dev/portal/internal/ipam"
	"github.com/portal-dev/portal/internal/ipam/etcdstore"
)

// DefaultInterval is the time between passes, and so the grace a record
// without a Service gets before it is released.
const DefaultInterval = time.Minute

// Allocations is what repair needs of one allocator; *etcdstore.Allocator
// implements it.
type Allocations[T comparable] interface {
	List(ctx context.Context) ([]etcdstore.Entry[T], error)
	Allocate(ctx context.Context, v T, owner ipam.Owner) error
	ReleaseIfUnchanged(ctx context.Context, v T, modRevision int64) (bool, error)
	Reassign(ctx context.Context, v T, owner ipam.Owner, modRevision int64) (bool, error)
	Contains(v T) bool
	Range() string
}

// Repair reconciles allocations with Services. Set the exported fields
// before the first pass and do not change them after.
type Repair struct {
	Client     kubernetes.Interface
	ClusterIPs Allocations[netip.Addr]
	NodePorts  Allocations[int]
	// Interval is the time between passes (default DefaultInterval).
	Interval time.Duration
	// Log receives what each pass fixes and finds (default slog.Default()).
	Log *slog.Logger

	mu sync.Mutex
	// ipLeaks and portLeaks are the records no Service held on the last
	// pass, with the revision they had then.
	ipLeaks   map[netip.Addr]int64
	portLeaks map[int]int64
	// reported keeps each warning to one event per process.
	reported map[string]bool
}

// Counts is what one pass did for one kind of value.
type Counts struct {
	// Recorded values held by a Service without a record.
	Recorded int
	// Reassigned records of a Service gone to the one holding the value.
	Reassigned int
	// Released records that no Service held on two passes.
	Released int
	// Pending records no Service holds, to be released next pass if
	// unchanged.
	Pending int
	// Conflicts and OutOfRange are values reported on a Service.
	Conflicts, OutOfRange int
}

// Report is what one pass did.
type Report struct {
	ClusterIPs, NodePorts Counts
}

// Run makes a pass now and then every Interval until ctx ends. Errors are
// logged and the next pass retries.
func (r *Repair) Run(ctx context.Context) {
	interval := cmp.Or(r.Interval, DefaultInterval)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
			r.log().Warn("service allocation repair failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce makes one pass.
func (r *Repair) RunOnce(ctx context.Context) (Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ipLeaks == nil {
		r.ipLeaks, r.portLeaks, r.reported = map[netip.Addr]int64{}, map[int]int64{}, map[string]bool{}
	}
	var rep Report
	// Records first: a Service stored after this list had its values
	// recorded before it was stored, so it cannot look like a leak.
	ips, err := r.ClusterIPs.List(ctx)
	if err != nil {
		return rep, err
	}
	ports, err := r.NodePorts.List(ctx)
	if err != nil {
		return rep, err
	}
	list, err := r.Client.CoreV1().Services(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return rep, fmt.Errorf("list services: %w", err)
	}
	svcs := list.Items
	// The oldest Service keeps a value two claim.
	slices.SortFunc(svcs, func(a, b corev1.Service) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	wantIPs, wantPorts := map[netip.Addr][]*corev1.Service{}, map[int][]*corev1.Service{}
	for i := range svcs {
		svc := &svcs[i]
		for _, ip := range clusterIPs(svc) {
			wantIPs[ip] = append(wantIPs[ip], svc)
		}
		for _, p := range nodePorts(svc) {
			wantPorts[p] = append(wantPorts[p], svc)
		}
	}
	ipKind := kind[netip.Addr]{
		name: "clusterIP", conflict: "ClusterIPAlreadyAllocated", outOfRange: "ClusterIPOutOfRange",
		controller: "ipallocator-repair-controller", action: "ClusterIPAllocation",
		describe:  func(ip netip.Addr) string { return fmt.Sprintf("Cluster IP [%s]: %s", family(ip), ip) },
		rangeName: "the configured Service CIDR",
	}
	portKind := kind[int]{
		name: "nodePort", conflict: "PortAlreadyAllocated", outOfRange: "PortOutOfRange",
		controller: "portallocator-repair-controller", action: "PortAllocation",
		describe:  func(p int) string { return fmt.Sprintf("Port %d", p) },
		rangeName: "the port range",
	}
	rep.ClusterIPs = reconcile(ctx, r, ipKind, r.ClusterIPs, ips, wantIPs, r.ipLeaks)
	rep.NodePorts = reconcile(ctx, r, portKind, r.NodePorts, ports, wantPorts, r.portLeaks)
	r.log().Debug("service allocation repair pass", "clusterIPs", rep.ClusterIPs, "nodePorts", rep.NodePorts)
	return rep, nil
}

// kind is the wording for one kind of value.
type kind[T comparable] struct {
	name, conflict, outOfRange, controller, action, rangeName string
	describe                                                  func(T) string
}

func reconcile[T comparable](ctx context.Context, r *Repair, k kind[T], a Allocations[T], entries []etcdstore.Entry[T], want map[T][]*corev1.Service, leaks map[T]int64) Counts {
	var c Counts
	recorded := make(map[T]etcdstore.Entry[T], len(entries))
	for _, e := range entries {
		recorded[e.Value] = e
	}
	for v, holders := range want {
		delete(leaks, v)
		for _, other := range holders[1:] {
			c.Conflicts++
			r.warn(ctx, other, k.controller, k.action, k.conflict, fmt.Sprintf("%s was assigned to multiple services; please recreate service", k.describe(v)))
		}
		if !a.Contains(v) {
			c.OutOfRange++
			r.warn(ctx, holders[0], k.controller, k.action, k.outOfRange, fmt.Sprintf("%s is not within %s %s; please recreate service", k.describe(v), k.rangeName, a.Range()))
			continue
		}
		first := ownerOf(holders[0])
		e, ok := recorded[v]
		switch {
		case !ok:
			err := a.Allocate(ctx, v, first)
			switch {
			case err == nil:
				c.Recorded++
				r.log().Warn("recorded an allocation that was missing", k.name, fmt.Sprint(v), "service", first)
			case !errors.Is(err, ipam.ErrAllocated): // recorded meanwhile: next pass looks again
				r.log().Warn("could not record allocation", k.name, fmt.Sprint(v), "service", first, "err", err)
			}
		case slices.ContainsFunc(holders, func(s *corev1.Service) bool { return ownerOf(s) == e.Owner }):
			// Recorded for a Service that holds it.
		default:
			if ok, err := a.Reassign(ctx, v, first, e.ModRevision); err != nil {
				r.log().Warn("could not reassign allocation", k.name, fmt.Sprint(v), "service", first, "err", err)
			} else if ok {
				c.Reassigned++
				r.log().Warn("reassigned an allocation left by another service", k.name, fmt.Sprint(v), "from", e.Owner, "to", first)
			}
		}
	}
	for v, e := range recorded {
		if _, held := want[v]; held {
			continue
		}
		if rev, seen := leaks[v]; seen && rev == e.ModRevision {
			delete(leaks, v)
			ok, err := a.ReleaseIfUnchanged(ctx, v, rev)
			if err != nil {
				r.log().Warn("could not release leaked allocation", k.name, fmt.Sprint(v), "err", err)
				continue
			}
			if ok {
				c.Released++
				r.log().Info("released an allocation no service holds", k.name, fmt.Sprint(v), "recordedFor", e.Owner)
			}
			continue
		}
		leaks[v] = e.ModRevision
		c.Pending++
	}
	for v := range leaks {
		if _, ok := recorded[v]; !ok {
			delete(leaks, v)
		}
	}
	return c
}

// warn reports a problem on a Service once per process: a log line and a
// Warning event from controller, about action.
func (r *Repair) warn(ctx context.Context, svc *corev1.Service, controller, action, reason, msg string) {
	key := string(svc.UID) + "/" + reason + "/" + msg
	if r.reported[key] {
		return
	}
	r.reported[key] = true
	r.log().Warn(msg, "service", svc.Namespace+"/"+svc.Name, "reason", reason)
	now := metav1.Now()
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", svc.Name, now.UnixNano()), Namespace: svc.Namespace},
		InvolvedObject: corev1.ObjectReference{
			Kind: "Service", APIVersion: "v1", Namespace: svc.Namespace, Name: svc.Name,
			UID: svc.UID, ResourceVersion: svc.ResourceVersion,
		},
		Reason: reason, Message: msg, Type: corev1.EventTypeWarning,
		Source:         corev1.EventSource{Component: controller},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
		ReportingController: controller, ReportingInstance: controller,
		Action: action,
	}
	if _, err := r.Client.CoreV1().Events(svc.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		r.log().Warn("could not record event", "service", svc.Namespace+"/"+svc.Name, "reason", reason, "err", err)
	}
}

func (r *Repair) log() *slog.Logger {
	if r.Log == nil {
		return slog.Default()
	}
	return r.Log
}

func ownerOf(svc *corev1.Service) ipam.Owner {
	return ipam.Owner{Namespace: svc.Namespace, Name: svc.Name, UID: string(svc.UID)}
}

// clusterIPs are the cluster IPs a Service holds: none for ExternalName
// and headless Services.
func clusterIPs(svc *corev1.Service) []netip.Addr {
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	ips := svc.Spec.ClusterIPs
	if len(ips) == 0 && svc.Spec.ClusterIP != "" {
		ips = []string{svc.Spec.ClusterIP}
	}
	var out []netip.Addr
	for _, s := range ips {
		if ip, err := netip.ParseAddr(s); err == nil {
			out = append(out, ip)
		}
	}
	return out
}

// nodePorts are the node ports a Service holds: those of its ports when
// its type has node ports, and its health check node port when it is a
// LoadBalancer with local traffic policy. TCP and UDP on one port count once.
func nodePorts(svc *corev1.Service) []int {
	var out []int
	add := func(p int32) {
		if p != 0 && !slices.Contains(out, int(p)) {
			out = append(out, int(p))
		}
	}
	switch svc.Spec.Type {
	case corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
		for _, p := range svc.Spec.Ports {
			add(p.NodePort)
		}
	}
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal {
		add(svc.Spec.HealthCheckNodePort)
	}
	return out
}

func family(ip netip.Addr) corev1.IPFamily {
	if ip.Unmap().Is4() {
		return corev1.IPv4Protocol
	}
	return corev1.IPv6Protocol
}
