package lb

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Pool is a named set of IPv4 addresses that LoadBalancer services may get.
type Pool struct {
	Name string
	// CIDRs are the pool's addresses. ParsePool turns a range into the
	// CIDRs that cover it exactly.
	CIDRs []netip.Prefix
	// AutoAssign lets Allocate hand out the pool's addresses to services
	// that ask for no pool and no address in particular.
	AutoAssign bool
}

// Contains reports whether ip is one of the pool's addresses.
func (p Pool) Contains(ip netip.Addr) bool {
	for _, c := range p.CIDRs {
		if c.Contains(ip) {
			return true
		}
	}
	return false
}

// Size is the number of addresses in the pool.
func (p Pool) Size() uint64 {
	var n uint64
	for _, c := range p.CIDRs {
		n += 1 << (32 - c.Bits())
	}
	return n
}

// ParsePool parses the --load-balancer-pool form NAME=ADDRS[,ADDRS...],
// where each ADDRS is an IPv4 CIDR (127.100.0.0/24), a range
// (127.100.0.10-127.100.0.20) or a single address. The pool auto-assigns.
func ParsePool(s string) (Pool, error) {
	name, list, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.TrimSpace(list) == "" {
		return Pool{}, fmt.Errorf("pool %q: want NAME=CIDR[,CIDR...]", s)
	}
	p := Pool{Name: name, AutoAssign: true}
	for _, part := range strings.Split(list, ",") {
		cidrs, err := ParseAddresses(strings.TrimSpace(part))
		if err != nil {
			return Pool{}, fmt.Errorf("pool %q: %w", name, err)
		}
		p.CIDRs = append(p.CIDRs, cidrs...)
	}
	if err := ValidatePools([]Pool{p}); err != nil {
		return Pool{}, err
	}
	return p, nil
}

// ParseAddresses parses one IPv4 CIDR, range FIRST-LAST (both included) or
// single address into the smallest list of CIDRs that covers it exactly.
func ParseAddresses(s string) ([]netip.Prefix, error) {
	if first, last, ok := strings.Cut(s, "-"); ok {
		from, err := parseIPv4(strings.TrimSpace(first))
		if err != nil {
			return nil, err
		}
		to, err := parseIPv4(strings.TrimSpace(last))
		if err != nil {
			return nil, err
		}
		if to.Less(from) {
			return nil, fmt.Errorf("range %q ends before it starts", s)
		}
		return rangeToPrefixes(from, to), nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("invalid CIDR %q", s)
		}
		if !p.Addr().Is4() {
			return nil, fmt.Errorf("%q is not IPv4: portal's pools are IPv4 only", s)
		}
		return []netip.Prefix{p.Masked()}, nil
	}
	ip, err := parseIPv4(s)
	if err != nil {
		return nil, err
	}
	return []netip.Prefix{netip.PrefixFrom(ip, 32)}, nil
}

func parseIPv4(s string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("invalid address %q", s)
	}
	if !ip.Is4() {
		return netip.Addr{}, fmt.Errorf("%q is not IPv4: portal's pools are IPv4 only", s)
	}
	return ip, nil
}

// rangeToPrefixes returns the CIDRs that cover from..to exactly, in order.
func rangeToPrefixes(from, to netip.Addr) []netip.Prefix {
	lo, hi := toUint(from), toUint(to)
	var out []netip.Prefix
	for lo <= hi {
		// The largest block that starts at lo (aligned) and ends by hi.
		bits := 32
		for bits > 0 {
			size := uint64(1) << (32 - bits + 1)
			if lo%size != 0 || lo+size-1 > hi {
				break
			}
			bits--
		}
		out = append(out, netip.PrefixFrom(fromUint(lo), bits))
		lo += uint64(1) << (32 - bits)
	}
	return out
}

// ValidatePools checks that every pool has a unique non-empty name and at
// least one IPv4 CIDR, and that no two CIDRs (in one pool or across pools)
// overlap.
func ValidatePools(pools []Pool) error {
	names := map[string]bool{}
	type owned struct {
		pool string
		cidr netip.Prefix
	}
	var seen []owned
	var errs []error
	for _, p := range pools {
		switch {
		case p.Name == "":
			errs = append(errs, errors.New("a pool has no name"))
		case names[p.Name]:
			errs = append(errs, fmt.Errorf("pool %q is defined twice", p.Name))
		}
		names[p.Name] = true
		if len(p.CIDRs) == 0 {
			errs = append(errs, fmt.Errorf("pool %q has no addresses", p.Name))
		}
		for _, c := range p.CIDRs {
			if !c.IsValid() || !c.Addr().Is4() {
				errs = append(errs, fmt.Errorf("pool %q: %s is not an IPv4 CIDR", p.Name, c))
				continue
			}
			for _, o := range seen {
				if o.cidr.Overlaps(c) {
					errs = append(errs, fmt.Errorf("pool %q: %s overlaps %s of pool %q", p.Name, c, o.cidr, o.pool))
				}
			}
			seen = append(seen, owned{p.Name, c})
		}
	}
	return errors.Join(errs...)
}

func toUint(ip netip.Addr) uint64 {
	b := ip.As4()
	return uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
}

func fromUint(n uint64) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}
