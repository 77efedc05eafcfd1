package ipam

import (
	"math/rand/v2"
	"slices"
)

// probes is how many random picks AllocateNext tries in a band before it
// scans the band for a free offset. With a band at most half full, eight
// picks miss with probability 1/256.
const probes = 8

// bands is a set of offsets [0, size) split into a static band [0, static)
// and a dynamic band [static, size). It is not safe for concurrent use; the
// allocators lock around it. Reserved offsets are kept in a map, so memory
// follows the number of allocations, not the size of the range.
type bands struct {
	size   uint64
	static uint64
	used   map[uint64]struct{}
	// usedStatic counts reserved offsets below static.
	usedStatic uint64
	// rand returns a uniform number in [0, n); tests replace it.
	rand func(n uint64) uint64
}

func newBands(size, static uint64) bands {
	if static > size {
		static = size
	}
	return bands{size: size, static: static, used: map[uint64]struct{}{}, rand: rand.Uint64N}
}

// staticBand is kube's min(max(lo, total/step), hi), or 0 for a range of lo
// values or fewer. total is the size of the whole range, before reserved
// addresses are taken out.
func staticBand(total, lo, hi, step uint64) uint64 {
	if total <= lo {
		return 0
	}
	return min(max(lo, total/step), hi)
}

func (b *bands) has(off uint64) bool {
	_, ok := b.used[off]
	return ok
}

// take reserves off, which must be in range; false if it was reserved.
func (b *bands) take(off uint64) bool {
	if b.has(off) {
		return false
	}
	b.used[off] = struct{}{}
	if off < b.static {
		b.usedStatic++
	}
	return true
}

// free releases off; false if it was not reserved.
func (b *bands) free(off uint64) bool {
	if !b.has(off) {
		return false
	}
	delete(b.used, off)
	if off < b.static {
		b.usedStatic--
	}
	return true
}

// next reserves a random free offset, preferring the dynamic band.
func (b *bands) next() (uint64, bool) {
	usedDynamic := uint64(len(b.used)) - b.usedStatic
	if usedDynamic < b.size-b.static {
		return b.pick(b.static, b.size), true
	}
	if b.usedStatic < b.static {
		return b.pick(0, b.static), true
	}
	return 0, false
}

// pick reserves a free offset in [lo, hi), which must have one: a few random
// picks, then a scan from a random start, wrapping round.
func (b *bands) pick(lo, hi uint64) uint64 {
	n := hi - lo
	for range probes {
		if off := lo + b.rand(n); b.take(off) {
			return off
		}
	}
	start := b.rand(n)
	for i := range n {
		if off := lo + (start+i)%n; b.take(off) {
			return off
		}
	}
	panic("ipam: band reported free space but has none")
}

func (b *bands) reset() {
	clear(b.used)
	b.usedStatic = 0
}

// sorted returns the reserved offsets in increasing order.
func (b *bands) sorted() []uint64 {
	out := make([]uint64, 0, len(b.used))
	for off := range b.used {
		out = append(out, off)
	}
	slices.Sort(out)
	return out
}
