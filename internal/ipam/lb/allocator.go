package lb

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
)

// Port is one protocol/port pair a service serves on its address. Two
// services sharing an address may not both use the same Port.
type Port struct {
	Protocol string // TCP, UDP or SCTP
	Port     int32
}

func (p Port) String() string { return fmt.Sprintf("%s/%d", p.Protocol, p.Port) }

// Use is how a service uses its address: what it serves there and with whom
// it may share it.
type Use struct {
	Ports []Port
	// SharingKey is the allow-shared-ip annotation; "" never shares.
	SharingKey string
	// BackendKey must match too when it is set on either side: MetalLB sets
	// it to the selector of externalTrafficPolicy: Local services, which
	// can share only if they select the same pods.
	BackendKey string
}

// ErrNoPools is returned by Allocate when no pool is configured at all.
var ErrNoPools = errors.New("no address pool configured")

// Allocator tracks which service holds which address. Services are named
// by an opaque key (namespace/name).
type Allocator struct {
	pools     []Pool
	allocated map[string]*allocation         // service -> its address
	users     map[netip.Addr]map[string]bool // address -> services on it
}

type allocation struct {
	ip   netip.Addr
	pool string
	use  Use
}

// New returns an allocator over pools (validated with ValidatePools);
// nothing is allocated yet. No pools is valid: every request then fails
// with ErrNoPools.
func New(pools []Pool) (*Allocator, error) {
	if err := ValidatePools(pools); err != nil {
		return nil, err
	}
	own := make([]Pool, len(pools))
	for i, p := range pools {
		own[i] = Pool{Name: p.Name, AutoAssign: p.AutoAssign}
		for _, c := range p.CIDRs {
			own[i].CIDRs = append(own[i].CIDRs, c.Masked())
		}
	}
	return &Allocator{
		pools:     own,
		allocated: map[string]*allocation{},
		users:     map[netip.Addr]map[string]bool{},
	}, nil
}

// HasPools reports whether any pool is configured.
func (a *Allocator) HasPools() bool { return len(a.pools) > 0 }

// PoolFor returns the name of the pool ip belongs to, or "".
func (a *Allocator) PoolFor(ip netip.Addr) string {
	for _, p := range a.pools {
		if p.Contains(ip) {
			return p.Name
		}
	}
	return ""
}

// IP returns the address svc holds, if any.
func (a *Allocator) IP(svc string) (netip.Addr, bool) {
	if al := a.allocated[svc]; al != nil {
		return al.ip, true
	}
	return netip.Addr{}, false
}

// Pool returns the name of the pool svc's address comes from, or "".
func (a *Allocator) Pool(svc string) string {
	if al := a.allocated[svc]; al != nil {
		return al.pool
	}
	return ""
}

// Services returns the keys of the services on ip, sorted.
func (a *Allocator) Services(ip netip.Addr) []string {
	var out []string
	for svc := range a.users[ip] {
		out = append(out, svc)
	}
	sort.Strings(out)
	return out
}

// Assign gives ip to svc for use, replacing what svc held before. It fails,
// changing nothing, if ip is in no pool or if another service on ip does
// not let svc share it. Assigning what svc already holds is idempotent and
// updates its ports and keys.
func (a *Allocator) Assign(svc string, ip netip.Addr, use Use) error {
	pool := a.PoolFor(ip)
	if pool == "" {
		return fmt.Errorf("%s is not in any address pool", ip)
	}
	if err := a.checkSharing(svc, ip, use); err != nil {
		return err
	}
	a.Release(svc)
	a.allocated[svc] = &allocation{ip: ip, pool: pool, use: Use{
		Ports:      slices.Clone(use.Ports),
		SharingKey: use.SharingKey,
		BackendKey: use.BackendKey,
	}}
	if a.users[ip] == nil {
		a.users[ip] = map[string]bool{}
	}
	a.users[ip][svc] = true
	return nil
}

// Release frees svc's address, if it holds one, and reports whether it did.
func (a *Allocator) Release(svc string) bool {
	al := a.allocated[svc]
	if al == nil {
		return false
	}
	delete(a.allocated, svc)
	delete(a.users[al.ip], svc)
	if len(a.users[al.ip]) == 0 {
		delete(a.users, al.ip)
	}
	return true
}

// AllocateFromPool gives svc an address of the named pool, whether or not
// the pool auto-assigns. If svc already holds an address of that pool it
// keeps it (its use is updated, and the call fails if the new use does not
// fit there). Otherwise the first address of the pool that svc may use is
// assigned; an address shared under svc's sharing key counts as usable.
func (a *Allocator) AllocateFromPool(svc, pool string, use Use) (netip.Addr, error) {
	i := slices.IndexFunc(a.pools, func(p Pool) bool { return p.Name == pool })
	if i < 0 {
		if !a.HasPools() {
			return netip.Addr{}, ErrNoPools
		}
		return netip.Addr{}, fmt.Errorf("unknown pool %q", pool)
	}
	if al := a.allocated[svc]; al != nil && al.pool == pool {
		if err := a.Assign(svc, al.ip, use); err != nil {
			return netip.Addr{}, err
		}
		return al.ip, nil
	}
	for _, c := range a.pools[i].CIDRs {
		for ip := c.Addr(); ip.IsValid() && c.Contains(ip); ip = ip.Next() {
			if a.checkSharing(svc, ip, use) == nil {
				// Cannot fail: the address is in a pool and fits.
				if err := a.Assign(svc, ip, use); err != nil {
					return netip.Addr{}, err
				}
				return ip, nil
			}
		}
	}
	return netip.Addr{}, fmt.Errorf("no available IPs in pool %q", pool)
}

// Allocate gives svc an address from the first auto-assigning pool, in
// configuration order, that has one svc may use. If svc already holds an
// address it keeps it (its use is updated, and the call fails if the new
// use does not fit there).
func (a *Allocator) Allocate(svc string, use Use) (netip.Addr, error) {
	if !a.HasPools() {
		return netip.Addr{}, ErrNoPools
	}
	if al := a.allocated[svc]; al != nil {
		if err := a.Assign(svc, al.ip, use); err != nil {
			return netip.Addr{}, err
		}
		return al.ip, nil
	}
	auto := false
	for _, p := range a.pools {
		if !p.AutoAssign {
			continue
		}
		auto = true
		if ip, err := a.AllocateFromPool(svc, p.Name, use); err == nil {
			return ip, nil
		}
	}
	if !auto {
		return netip.Addr{}, errors.New("no address pool allows automatic assignment; name one with the address-pool annotation")
	}
	return netip.Addr{}, errors.New("no available IPs")
}

// checkSharing reports why svc may not use ip next to the services already
// there, or nil if it may. svc's own allocation never stands in its way.
func (a *Allocator) checkSharing(svc string, ip netip.Addr, use Use) error {
	for _, other := range a.Services(ip) {
		if other == svc {
			continue
		}
		o := a.allocated[other].use
		switch {
		case o.SharingKey == "":
			return fmt.Errorf("%s is in use by %s, which does not allow sharing", ip, other)
		case use.SharingKey == "":
			return fmt.Errorf("%s is in use by %s and this service does not allow sharing", ip, other)
		case o.SharingKey != use.SharingKey:
			return fmt.Errorf("sharing key %q does not match %q of %s on %s", use.SharingKey, o.SharingKey, other, ip)
		case o.BackendKey != use.BackendKey:
			return fmt.Errorf("backend key %q does not match %q of %s on %s", use.BackendKey, o.BackendKey, other, ip)
		}
		var clash []string
		for _, p := range use.Ports {
			if slices.Contains(o.Ports, p) {
				clash = append(clash, p.String())
			}
		}
		if len(clash) > 0 {
			return fmt.Errorf("port %s is already in use on %s by %s", strings.Join(clash, ","), ip, other)
		}
	}
	return nil
}
