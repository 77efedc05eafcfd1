package ipam

import (
	"fmt"
	"math/bits"
	"net/netip"
	"sync"
)

// maxRangeBits caps the part of a CIDR an IP range uses: 2^62 addresses
// (an IPv6 /66 and anything larger hands out only its first 2^62
// addresses), which keeps offsets in a uint64.
const maxRangeBits = 62

// Range allocates IP addresses out of a CIDR. The network address, and for
// IPv4 the broadcast address, are never handed out; the lowest
// min(max(16, size/16), 256) addresses form the static band (KEP-3070).
type Range struct {
	prefix netip.Prefix
	// first is the first usable address, the network address + 1.
	first netip.Addr

	mu sync.Mutex
	b  bands
}

var _ Pool[netip.Addr] = (*Range)(nil)

// NewRange returns an empty allocator over cidr ("10.96.0.0/12"). Host bits
// set in cidr are ignored.
func NewRange(cidr string) (*Range, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return nil, fmt.Errorf("ipam: service CIDR %q: %w", cidr, err)
	}
	return NewRangeFromPrefix(p)
}

// NewRangeFromPrefix is NewRange for a parsed prefix.
func NewRangeFromPrefix(p netip.Prefix) (*Range, error) {
	if !p.IsValid() {
		return nil, fmt.Errorf("ipam: invalid prefix %v", p)
	}
	p = p.Masked()
	bits := p.Addr().BitLen() - p.Bits()
	if bits > maxRangeBits {
		bits = maxRangeBits
	}
	total := uint64(1) << bits
	usable := total - 1 // the network address
	if p.Addr().Is4() && usable > 0 {
		usable-- // the broadcast address
	}
	if usable == 0 || bits < 1 {
		return nil, fmt.Errorf("ipam: %v has no usable address", p)
	}
	return &Range{
		prefix: p,
		first:  p.Addr().Next(),
		b:      newBands(usable, staticBand(total, 16, 256, 16)),
	}, nil
}

// Prefix returns the CIDR the range covers.
func (r *Range) Prefix() netip.Prefix { return r.prefix }

// Is6 reports whether the range is IPv6.
func (r *Range) Is6() bool { return r.prefix.Addr().Is6() }

// String is the CIDR ("10.96.0.0/12").
func (r *Range) String() string { return r.prefix.String() }

// Size is the number of addresses the range can hand out.
func (r *Range) Size() uint64 { return r.b.size }

// StaticSize is the number of addresses in the static band, which
// AllocateNext uses only once the dynamic band is full.
func (r *Range) StaticSize() uint64 { return r.b.static }

// Contains reports whether ip can be allocated from the range.
func (r *Range) Contains(ip netip.Addr) bool {
	_, ok := r.offset(ip)
	return ok
}

// Allocate reserves ip.
func (r *Range) Allocate(ip netip.Addr) error {
	off, ok := r.offset(ip)
	if !ok {
		return &RangeError{Value: ip.String(), Range: r.prefix.String()}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.b.take(off) {
		return ErrIPAllocated
	}
	return nil
}

// AllocateNext reserves a random free address, from the dynamic band first.
func (r *Range) AllocateNext() (netip.Addr, error) {
	r.mu.Lock()
	off, ok := r.b.next()
	r.mu.Unlock()
	if !ok {
		return netip.Addr{}, ErrFull
	}
	return r.addr(off), nil
}

// Release frees ip; false if it was not reserved or is out of range.
func (r *Range) Release(ip netip.Addr) bool {
	off, ok := r.offset(ip)
	if !ok {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.free(off)
}

// Has reports whether ip is reserved.
func (r *Range) Has(ip netip.Addr) bool {
	off, ok := r.offset(ip)
	if !ok {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.has(off)
}

// Used is the number of reserved addresses.
func (r *Range) Used() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.b.used)
}

// Free is the number of addresses left.
func (r *Range) Free() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.size - uint64(len(r.b.used))
}

// ForEach calls fn for each reserved address in increasing order.
func (r *Range) ForEach(fn func(netip.Addr)) {
	r.mu.Lock()
	offs := r.b.sorted()
	r.mu.Unlock()
	for _, off := range offs {
		fn(r.addr(off))
	}
}

// Reset releases every address.
func (r *Range) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.b.reset()
}

// offset maps ip to its offset from the first usable address; false when
// ip is not one the range hands out.
func (r *Range) offset(ip netip.Addr) (uint64, bool) {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.Is4() != r.prefix.Addr().Is4() || !r.prefix.Contains(ip) {
		return 0, false
	}
	hi, lo := u128(ip)
	fhi, flo := u128(r.first)
	// ip - first as a 128-bit difference: below first (the network
	// address) it wraps to a huge number, so one bound check covers both
	// ends of the range.
	d, borrow := bits.Sub64(lo, flo, 0)
	dhi, _ := bits.Sub64(hi, fhi, borrow)
	if dhi != 0 || d >= r.b.size {
		return 0, false
	}
	return d, true
}

// addr maps an offset back to an address.
func (r *Range) addr(off uint64) netip.Addr {
	hi, lo := u128(r.first)
	nlo, carry := bits.Add64(lo, off, 0)
	hi += carry
	if r.first.Is4() {
		return netip.AddrFrom4([4]byte{byte(nlo >> 24), byte(nlo >> 16), byte(nlo >> 8), byte(nlo)})
	}
	var b [16]byte
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(nlo >> (56 - 8*i))
	}
	return netip.AddrFrom16(b)
}

// u128 returns an address as a 128-bit number (IPv4 in the low word).
func u128(ip netip.Addr) (hi, lo uint64) {
	if ip.Is4() {
		b := ip.As4()
		return 0, uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
	}
	b := ip.As16()
	for i := range 8 {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	return hi, lo
}
