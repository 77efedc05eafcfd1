package endpoints

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// MaxAddresses is how many addresses (ready and not) one Endpoints object
// keeps; past it the controller truncates.
const MaxAddresses = 1000

// addrKey identifies an address: the same IP for two pods (hostNetwork)
// stays two addresses.
type addrKey struct {
	ip  string
	uid types.UID
}

func keyOf(a *corev1.EndpointAddress) addrKey {
	k := addrKey{ip: a.IP}
	if a.TargetRef != nil {
		k.uid = a.TargetRef.UID
	}
	return k
}

// Repack returns subsets in canonical form, as kube's RepackSubsets does:
// every address appears once for each port it serves, an address that is
// not ready for a port in any input subset is not ready for it, ports
// served by exactly the same addresses (with the same readiness) share one
// subset, and addresses, ports and subsets are sorted. Addresses listed
// without any port are kept in one port-less subset. The input is not
// modified. Equal inputs in any order give equal outputs.
func Repack(subsets []corev1.EndpointSubset) []corev1.EndpointSubset {
	addrs := map[addrKey]corev1.EndpointAddress{}
	ports := map[portID]corev1.EndpointPort{}
	// ready[port][address] is the address's readiness for port; the
	// portless ID collects addresses of subsets without ports.
	ready := map[portID]map[addrKey]bool{}
	add := func(p portID, a *corev1.EndpointAddress, isReady bool) {
		k := keyOf(a)
		if _, ok := addrs[k]; !ok {
			addrs[k] = *a.DeepCopy()
		}
		m := ready[p]
		if m == nil {
			m = map[addrKey]bool{}
			ready[p] = m
		}
		if was, seen := m[k]; !seen || was {
			m[k] = isReady
		}
	}
	for i := range subsets {
		s := &subsets[i]
		ids := make([]portID, 0, len(s.Ports))
		for _, p := range s.Ports {
			id := idOf(p)
			ports[id] = *p.DeepCopy()
			ids = append(ids, id)
		}
		if len(ids) == 0 {
			ids = append(ids, portID{none: true})
		}
		for _, p := range ids {
			for j := range s.Addresses {
				add(p, &s.Addresses[j], true)
			}
			for j := range s.NotReadyAddresses {
				add(p, &s.NotReadyAddresses[j], false)
			}
		}
	}

	// Group ports by the exact (address, readiness) set they map to.
	type group struct {
		sig   string
		set   map[addrKey]bool
		ports []corev1.EndpointPort
	}
	groups := map[string]*group{}
	for p, set := range ready {
		sig := signature(set)
		if p.none {
			sig = "\x00portless" + sig
		}
		g := groups[sig]
		if g == nil {
			g = &group{sig: sig, set: set}
			groups[sig] = g
		}
		if !p.none {
			g.ports = append(g.ports, ports[p])
		}
	}
	out := make([]corev1.EndpointSubset, 0, len(groups))
	for _, g := range groups {
		var s corev1.EndpointSubset
		for k, isReady := range g.set {
			if isReady {
				s.Addresses = append(s.Addresses, addrs[k])
			} else {
				s.NotReadyAddresses = append(s.NotReadyAddresses, addrs[k])
			}
		}
		s.Ports = g.ports
		out = append(out, s)
	}
	return Sort(out)
}

// portID identifies a port by value (EndpointPort holds a pointer).
type portID struct {
	name, proto, app string
	port             int32
	hasApp, none     bool
}

func idOf(p corev1.EndpointPort) portID {
	id := portID{name: p.Name, proto: string(p.Protocol), port: p.Port}
	if p.AppProtocol != nil {
		id.app, id.hasApp = *p.AppProtocol, true
	}
	return id
}

// signature is a stable string for a set of addresses with readiness.
func signature(set map[addrKey]bool) string {
	keys := make([]addrKey, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareKeys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s|%s|%t;", k.ip, k.uid, set[k])
	}
	return b.String()
}

func compareKeys(a, b addrKey) int {
	if c := bytes.Compare([]byte(a.ip), []byte(b.ip)); c != 0 {
		return c
	}
	return strings.Compare(string(a.uid), string(b.uid))
}

func compareAddrs(a, b corev1.EndpointAddress) int {
	return compareKeys(keyOf(&a), keyOf(&b))
}

func comparePorts(a, b corev1.EndpointPort) int {
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Port, b.Port); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Protocol, b.Protocol); c != 0 {
		return c
	}
	var ap, bp string
	if a.AppProtocol != nil {
		ap = *a.AppProtocol
	}
	if b.AppProtocol != nil {
		bp = *b.AppProtocol
	}
	return cmp.Compare(ap, bp)
}

// Sort sorts, in place, the addresses and ports of every subset (by IP,
// then pod uid; by name, port, protocol) and then the subsets (by their
// first port, then first address) and returns subsets.
func Sort(subsets []corev1.EndpointSubset) []corev1.EndpointSubset {
	for i := range subsets {
		slices.SortFunc(subsets[i].Addresses, compareAddrs)
		slices.SortFunc(subsets[i].NotReadyAddresses, compareAddrs)
		slices.SortFunc(subsets[i].Ports, comparePorts)
	}
	slices.SortFunc(subsets, compareSubsets)
	return subsets
}

func compareSubsets(a, b corev1.EndpointSubset) int {
	// Port-less subsets last; ports are disjoint between repacked subsets,
	// so the first port decides among the others.
	switch {
	case len(a.Ports) == 0 && len(b.Ports) > 0:
		return 1
	case len(a.Ports) > 0 && len(b.Ports) == 0:
		return -1
	case len(a.Ports) > 0:
		if c := comparePorts(a.Ports[0], b.Ports[0]); c != 0 {
			return c
		}
	}
	return cmp.Compare(firstAddr(a), firstAddr(b))
}

func firstAddr(s corev1.EndpointSubset) string {
	for _, l := range [][]corev1.EndpointAddress{s.Addresses, s.NotReadyAddresses} {
		if len(l) > 0 {
			return l[0].IP + "|" + string(keyOf(&l[0]).uid)
		}
	}
	return ""
}

// Count returns the ready and not-ready addresses over subsets.
func Count(subsets []corev1.EndpointSubset) (ready, notReady int) {
	for _, s := range subsets {
		ready += len(s.Addresses)
		notReady += len(s.NotReadyAddresses)
	}
	return ready, notReady
}

// truncate cuts subsets down to limit addresses in place and reports whether
// it had to. Ready addresses are kept first: when they alone exceed max,
// every not-ready address goes and each subset keeps its share of limit in
// proportion to its ready addresses (rounded up, the last ones getting what
// is left); otherwise all ready addresses stay and the not-ready ones share
// the rest the same way. This is kube's rule.
func truncate(subsets []corev1.EndpointSubset, limit int) bool {
	ready, notReady := Count(subsets)
	if ready+notReady <= limit {
		return false
	}
	budget, total := limit-ready, notReady
	cutReady := ready > limit
	if cutReady {
		budget, total = limit, ready
	}
	left := budget
	for i := range subsets {
		s := &subsets[i]
		list := &s.NotReadyAddresses
		if cutReady {
			list = &s.Addresses
			s.NotReadyAddresses = nil
		}
		share := int(math.Ceil(float64(len(*list)) / float64(total) * float64(budget)))
		share = min(share, left, len(*list))
		*list = (*list)[:share]
		left -= share
	}
	return true
}
