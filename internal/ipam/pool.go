package ipam

import "fmt"

// Pool is what the IP and port allocators have in common, for code that
// keeps either (the etcd store's cache). Implementations are safe for
// concurrent use.
type Pool[T comparable] interface {
	// Allocate reserves v: a *RangeError outside the range, ErrIPAllocated
	// or ErrPortAllocated when it is taken.
	Allocate(v T) error
	// AllocateNext reserves a random free value, from the dynamic band
	// while it has room, then from the static band; ErrFull when none is
	// left.
	AllocateNext() (T, error)
	// Release frees v and reports whether it was reserved; a value outside
	// the range or not reserved is a no-op.
	Release(v T) bool
	// Has reports whether v is reserved.
	Has(v T) bool
	// Contains reports whether v lies in the range (reserved or not).
	Contains(v T) bool
	// Used and Free count reserved and free values.
	Used() int
	Free() uint64
	// ForEach calls fn for each reserved value, in increasing order. fn
	// must not call back into the pool.
	ForEach(fn func(T))
	// Reset releases every value.
	Reset()
	// String is the range as a flag spells it ("10.96.0.0/12", "30000-32767").
	String() string
}

// Owner identifies the Service an allocation belongs to.
type Owner struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	UID       string `json:"uid"`
}

// String is namespace/name.
func (o Owner) String() string { return fmt.Sprintf("%s/%s", o.Namespace, o.Name) }
