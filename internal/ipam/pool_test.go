package ipam

import (
	"errors"
	"net/netip"
	"testing"
)

type netipAddr = netip.Addr

func exercisePool[T comparable](t *testing.T, p Pool[T], size int) {
	t.Helper()
	var got []T
	for range size {
		v, err := p.AllocateNext()
		if err != nil {
			t.Fatal(err)
		}
		if !p.Contains(v) || !p.Has(v) {
			t.Fatalf("%v allocated but Contains %v Has %v", v, p.Contains(v), p.Has(v))
		}
		got = append(got, v)
	}
	if _, err := p.AllocateNext(); !errors.Is(err, ErrFull) {
		t.Fatalf("full pool: %v", err)
	}
	if err := p.Allocate(got[0]); !errors.Is(err, ErrAllocated) {
		t.Fatalf("Allocate of a used value: %v", err)
	}
	for _, v := range got {
		if !p.Release(v) {
			t.Fatalf("Release(%v) = false", v)
		}
	}
	if p.Used() != 0 || p.Free() != uint64(size) {
		t.Fatalf("after releasing all: used %d free %d", p.Used(), p.Free())
	}
}
