package endpointslice

import (
	"cmp"
	"slices"

	discoveryv1 "k8s.io/api/discovery/v1"
)

// plan is the writes that bring one address family's slices in line:
// creates, then updates, then deletes.
type plan struct {
	create, update, delete []*discoveryv1.EndpointSlice
}

// empty reports whether nothing needs writing.
func (p *plan) empty() bool { return len(p.create)+len(p.update)+len(p.delete) == 0 }

// planFamily packs d's endpoints into the family's existing slices the
// way kube's reconciler does, and returns the writes that takes:
//
//  1. Every existing slice (owned by the Service, ports matching a group)
//     keeps the endpoints still desired, in place; an endpoint that changed
//     is replaced where it is. A slice that lost or changed endpoints is
//     updated, or deleted when none is left; one whose Service labels are
//     out of date is updated; the others are unchanged.
//  2. New endpoints fill the slices being updated, fullest first.
//  3. What is left goes, when fewer than max, into the unchanged slice that
//     it leaves closest to full; otherwise into new slices of max.
//
// Slices not owned by the Service or of ports no pod resolves to are
// deleted. A family left with no slice gets one placeholder slice (no
// ports, no endpoints), kept as it is when it already exists. Creates are
// turned into updates of slices that would be deleted, so a slice is
// reused rather than deleted and made anew.
//
// Nothing is allocated per endpoint for endpoints that stay as they are;
// the wants of d are marked as claimed.
func planFamily(m *sliceMeta, d *desired, existing []*discoveryv1.EndpointSlice) plan {
	var p plan
	for i := range d.wants {
		d.wants[i].claimSlice = -1 // wants outlive syncs
	}
	byGroup := make([][]int32, len(d.groups))
	for i, s := range existing {
		g := d.groupOf(s.Ports)
		if g < 0 || !ownedBy(s, m.svc) {
			p.delete = append(p.delete, s)
			continue
		}
		byGroup[g] = append(byGroup[g], int32(i))
	}
	for g := range d.groups {
		m.packGroup(&p, d, int32(g), existing, byGroup[g])
	}
	if len(p.delete) == len(existing) && len(p.create) == 0 {
		if len(p.delete) == 1 && m.isPlaceholder(p.delete[0], d.family) {
			p.delete = nil
		} else {
			p.create = append(p.create, m.newSlice(d.family, []discoveryv1.EndpointPort{}))
		}
	}
	reuseDeleted(&p, m)
	return p
}

// groupOf returns the group whose ports are ports (in any order), or -1.
func (d *desired) groupOf(ports []discoveryv1.EndpointPort) int32 {
	for i := range d.groups {
		if samePorts(d.groups[i].ports, ports) {
			return int32(i)
		}
	}
	return -1
}

// packGroup does steps 1 to 3 of planFamily for group g, whose existing
// slices are existing[idx...].
func (m *sliceMeta) packGroup(p *plan, d *desired, g int32, existing []*discoveryv1.EndpointSlice, idx []int32) {
	var updated, unchanged []*discoveryv1.EndpointSlice
	for _, i := range idx {
		s := existing[i]
		kept, changed := d.claim(g, i, s)
		switch {
		case kept == 0 && len(s.Endpoints) > 0:
			p.delete = append(p.delete, s)
		case changed:
			updated = append(updated, m.forUpdate(s, d.keptEndpoints(i, s, kept)))
		case m.labelsStale(s):
			updated = append(updated, m.forUpdate(s, slices.Clone(s.Endpoints)))
		default:
			unchanged = append(unchanged, s)
		}
	}
	fresh := d.unclaimed(g)
	if len(fresh) == 0 {
		p.update = append(p.update, updated...)
		return
	}
	// 2. Into the slices being written anyway, fullest first.
	slices.SortStableFunc(updated, func(a, b *discoveryv1.EndpointSlice) int {
		return cmp.Compare(len(b.Endpoints), len(a.Endpoints))
	})
	for _, s := range updated {
		for len(fresh) > 0 && len(s.Endpoints) < m.max {
			s.Endpoints = append(s.Endpoints, d.wants[fresh[0]].endpoint())
			fresh = fresh[1:]
		}
	}
	p.update = append(p.update, updated...)
	// 3. Into the unchanged slice they leave fullest, or new slices.
	for len(fresh) > 0 {
		var s *discoveryv1.EndpointSlice
		if len(fresh) < m.max {
			if k := sliceToFill(unchanged, len(fresh), m.max); k >= 0 {
				s = m.forUpdate(unchanged[k], slices.Grow(slices.Clone(unchanged[k].Endpoints), len(fresh)))
				unchanged = slices.Delete(unchanged, k, k+1)
				p.update = append(p.update, s)
			}
		}
		if s == nil {
			s = m.newSlice(d.family, d.groups[g].ports)
			p.create = append(p.create, s)
		}
		for len(fresh) > 0 && len(s.Endpoints) < m.max {
			s.Endpoints = append(s.Endpoints, d.wants[fresh[0]].endpoint())
			fresh = fresh[1:]
		}
	}
}

// claim matches the endpoints of s, existing slice i of group g, with
// the wants, marking each want the first endpoint that is it. kept counts
// such endpoints; changed is whether any endpoint is to go or to be
// rewritten.
func (d *desired) claim(g, i int32, s *discoveryv1.EndpointSlice) (kept int, changed bool) {
	for j := range s.Endpoints {
		e := &s.Endpoints[j]
		if w := d.wantOf(e); w != nil && w.group == g && w.claimSlice < 0 && w.isEndpointOf(e) {
			w.claimSlice, w.claimEndpoint = i, int32(j)
			kept++
			if !w.upToDate(e) {
				changed = true
			}
			continue
		}
		changed = true
	}
	return kept, changed
}

// keptEndpoints returns the endpoints existing slice i keeps (those it
// claimed), each as it should be, with room for more.
func (d *desired) keptEndpoints(i int32, s *discoveryv1.EndpointSlice, kept int) []discoveryv1.Endpoint {
	out := make([]discoveryv1.Endpoint, 0, max(kept, len(s.Endpoints)))
	for j := range s.Endpoints {
		e := &s.Endpoints[j]
		w := d.wantOf(e)
		if w == nil || w.claimSlice != i || w.claimEndpoint != int32(j) {
			continue
		}
		if w.upToDate(e) {
			out = append(out, *e)
		} else {
			out = append(out, w.endpoint())
		}
	}
	return out
}

// wantOf returns the want for the pod e points at, if any.
func (d *desired) wantOf(e *discoveryv1.Endpoint) *want {
	if e.TargetRef == nil {
		return nil
	}
	k, ok := d.byPod[e.TargetRef.Name]
	if !ok {
		return nil
	}
	return &d.wants[k]
}

// unclaimed returns the indexes of group g's wants no existing endpoint
// is, oldest pod first (then by name), so that endpoints are listed in a
// stable order.
func (d *desired) unclaimed(g int32) []int32 {
	var out []int32
	for k := range d.wants {
		if w := &d.wants[k]; w.group == g && w.claimSlice < 0 {
			out = append(out, int32(k))
		}
	}
	slices.SortFunc(out, func(a, b int32) int {
		pa, pb := d.wants[a].pod, d.wants[b].pod
		if c := pa.CreationTimestamp.Compare(pb.CreationTimestamp.Time); c != 0 {
			return c
		}
		return cmp.Compare(pa.Name, pb.Name)
	})
	return out
}

// sliceToFill returns the index of the slice that n more endpoints leave
// closest to max without going over, or -1. Ties go to the first.
func sliceToFill(list []*discoveryv1.EndpointSlice, n, max int) int {
	best, bestGap := -1, max
	for i, s := range list {
		gap := max - n - len(s.Endpoints)
		if gap >= 0 && gap < bestGap {
			best, bestGap = i, gap
			if gap == 0 {
				break
			}
		}
	}
	return best
}

// reuseDeleted turns creates into updates of slices about to be deleted
// (of the same family, owned by the Service): the slice keeps its name
// and gets the new content.
func reuseDeleted(p *plan, m *sliceMeta) {
	for i := 0; i < len(p.delete) && len(p.create) > 0; {
		old, s := p.delete[i], p.create[len(p.create)-1]
		if old.AddressType != s.AddressType || !ownedBy(old, m.svc) {
			i++
			continue
		}
		s.Name = old.Name
		p.create = p.create[:len(p.create)-1]
		p.update = append(p.update, s)
		p.delete = slices.Delete(p.delete, i, i+1)
	}
}

// samePorts reports whether a and b hold the same ports in any order.
func samePorts(a, b []discoveryv1.EndpointPort) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !slices.ContainsFunc(b, func(q discoveryv1.EndpointPort) bool { return samePort(&a[i], &q) }) {
			return false
		}
	}
	return true
}

func samePort(a, b *discoveryv1.EndpointPort) bool {
	return ptrEqual(a.Name, b.Name) && ptrEqual(a.Port, b.Port) && ptrEqual(a.Protocol, b.Protocol) && ptrEqual(a.AppProtocol, b.AppProtocol)
}

// ptrEqual reports whether a and b are both nil or point at equal values.
func ptrEqual[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
