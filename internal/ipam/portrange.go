package ipam

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// PortRange allocates ports out of [Base, Base+Size). The lowest
// min(max(16, size/32), 128) ports form the static band (KEP-3668).
type PortRange struct {
	base, size int

	mu sync.Mutex
	b  bands
}

var _ Pool[int] = (*PortRange)(nil)

// DefaultNodePortRange is kube-apiserver's --service-node-port-range default.
const DefaultNodePortRange = "30000-32767"

// NewPortRange returns an empty allocator over spec, which is "first-last"
// (30000-32767), "first+count" (30000+2767, as kube's flag also accepts) or a
// single port.
func NewPortRange(spec string) (*PortRange, error) {
	base, size, err := parsePortRange(spec)
	if err != nil {
		return nil, err
	}
	return &PortRange{base: base, size: size, b: newBands(uint64(size), staticBand(uint64(size), 16, 128, 32))}, nil
}

func parsePortRange(spec string) (base, size int, err error) {
	bad := func() (int, int, error) {
		return 0, 0, fmt.Errorf("ipam: invalid port range %q: want first-last, e.g. %s", spec, DefaultNodePortRange)
	}
	s := strings.TrimSpace(spec)
	if s == "" {
		return bad()
	}
	first, rest, hasDash := strings.Cut(s, "-")
	plus := false
	if !hasDash {
		first, rest, plus = strings.Cut(s, "+")
	}
	lo, err := strconv.Atoi(first)
	if err != nil {
		return bad()
	}
	hi := lo
	if hasDash || plus {
		n, err := strconv.Atoi(rest)
		if err != nil {
			return bad()
		}
		hi = n
		if plus {
			hi = lo + n
		}
	}
	if lo < 1 || hi > 65535 || hi < lo {
		return bad()
	}
	return lo, hi - lo + 1, nil
}

// Base is the first port of the range; Size the number of ports.
func (r *PortRange) Base() int { return r.base }

// Size is the number of ports in the range.
func (r *PortRange) Size() int { return r.size }

// StaticSize is the number of ports in the static band.
func (r *PortRange) StaticSize() int { return int(r.b.static) }

// String is "first-last", as kube prints it in errors.
func (r *PortRange) String() string { return fmt.Sprintf("%d-%d", r.base, r.base+r.size-1) }

// Contains reports whether port lies in the range.
func (r *PortRange) Contains(port int) bool { return port >= r.base && port < r.base+r.size }

// Allocate reserves port.
func (r *PortRange) Allocate(port int) error {
	if !r.Contains(port) {
		return &RangeError{Value: strconv.Itoa(port), Range: r.String(), port: true}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.b.take(uint64(port - r.base)) {
		return ErrPortAllocated
	}
	return nil
}

// AllocateNext reserves a random free port, from the dynamic band first.
func (r *PortRange) AllocateNext() (int, error) {
	r.mu.Lock()
	off, ok := r.b.next()
	r.mu.Unlock()
	if !ok {
		return 0, ErrFull
	}
	return r.base + int(off), nil
}

// Release frees port; false if it was not reserved or is out of range.
func (r *PortRange) Release(port int) bool {
	if !r.Contains(port) {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.free(uint64(port - r.base))
}

// Has reports whether port is reserved.
func (r *PortRange) Has(port int) bool {
	if !r.Contains(port) {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.has(uint64(port - r.base))
}

// Used is the number of reserved ports.
func (r *PortRange) Used() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.b.used)
}

// Free is the number of ports left.
func (r *PortRange) Free() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.size - uint64(len(r.b.used))
}

// ForEach calls fn for each reserved port in increasing order.
func (r *PortRange) ForEach(fn func(int)) {
	r.mu.Lock()
	offs := r.b.sorted()
	r.mu.Unlock()
	for _, off := range offs {
		fn(r.base + int(off))
	}
}

// Reset releases every port.
func (r *PortRange) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.b.reset()
}
