package ipam

import (
	"errors"
	"testing"
)

func TestNewPortRange(t *testing.T) {
	tests := []struct {
		spec               string
		base, size, static int
		printed            string
	}{
		{"30000-32767", 30000, 2768, 86, "30000-32767"},
		{"30000+2767", 30000, 2768, 86, "30000-32767"},
		{" 8080 ", 8080, 1, 0, "8080-8080"},
		{"1-65535", 1, 65535, 128, "1-65535"},
		{"100-199", 100, 100, 16, "100-199"},
		{"100-115", 100, 16, 0, "100-115"},
		{"100-1123", 100, 1024, 32, "100-1123"},
	}
	for _, tt := range tests {
		r, err := NewPortRange(tt.spec)
		if err != nil {
			t.Errorf("NewPortRange(%q): %v", tt.spec, err)
			continue
		}
		if r.Base() != tt.base || r.Size() != tt.size || r.StaticSize() != tt.static || r.String() != tt.printed {
			t.Errorf("NewPortRange(%q) = base %d size %d static %d %q", tt.spec, r.Base(), r.Size(), r.StaticSize(), r.String())
		}
	}
	for _, bad := range []string{"", "a-b", "32767-30000", "0-10", "1-65536", "30000-", "-5", "30000+x", "1+65535"} {
		if _, err := NewPortRange(bad); err == nil {
			t.Errorf("NewPortRange(%q) succeeded", bad)
		}
	}
}

func TestPortRangeAllocate(t *testing.T) {
	tests := []struct {
		port int
		want error
		msg  string
	}{
		{30000, nil, ""},
		{32767, nil, ""},
		{30080, nil, ""},
		{18000, ErrNotInRange, "provided port is not in the valid range. The range of valid ports is 30000-32767"},
		{32768, ErrNotInRange, "provided port is not in the valid range. The range of valid ports is 30000-32767"},
		{29999, ErrNotInRange, "provided port is not in the valid range. The range of valid ports is 30000-32767"},
	}
	for _, tt := range tests {
		r, _ := NewPortRange(DefaultNodePortRange)
		err := r.Allocate(tt.port)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("Allocate(%d) = %v, want %v", tt.port, err, tt.want)
			continue
		}
		if tt.want != nil {
			if err.Error() != tt.msg {
				t.Errorf("Allocate(%d) message %q", tt.port, err)
			}
			continue
		}
		err = r.Allocate(tt.port)
		if !errors.Is(err, ErrAllocated) || err.Error() != "provided port is already allocated" {
			t.Errorf("second Allocate(%d) = %v", tt.port, err)
		}
		if !r.Has(tt.port) || r.Used() != 1 || r.Free() != 2767 {
			t.Errorf("Has %v Used %d Free %d", r.Has(tt.port), r.Used(), r.Free())
		}
	}
}

func TestPortRangeBandsExhaustionAndReuse(t *testing.T) {
	r, _ := NewPortRange("100-199") // static 100-115, dynamic 116-199
	seen := map[int]bool{}
	for i := range 84 {
		p, err := r.AllocateNext()
		if err != nil || p < 116 || p > 199 || seen[p] {
			t.Fatalf("dynamic allocation %d = %d, %v", i, p, err)
		}
		seen[p] = true
	}
	for i := range 16 {
		p, err := r.AllocateNext()
		if err != nil || p < 100 || p > 115 || seen[p] {
			t.Fatalf("static allocation %d = %d, %v", i, p, err)
		}
		seen[p] = true
	}
	if _, err := r.AllocateNext(); !errors.Is(err, ErrFull) {
		t.Fatalf("AllocateNext on a full range = %v", err)
	}
	if !r.Release(150) || r.Release(150) || r.Release(5000) {
		t.Fatal("Release did not report what it freed")
	}
	if p, err := r.AllocateNext(); p != 150 || err != nil {
		t.Fatalf("reuse = %d, %v", p, err)
	}
	var n, last int
	r.ForEach(func(p int) {
		if p <= last {
			t.Fatalf("ForEach out of order: %d after %d", p, last)
		}
		last = p
		n++
	})
	if n != 100 {
		t.Errorf("ForEach visited %d", n)
	}
}

func TestPortRangeStaticRequestSurvivesDynamicLoad(t *testing.T) {
	r, _ := NewPortRange(DefaultNodePortRange)
	// Fill most of the dynamic band; the static band stays untouched.
	for range 2000 {
		p, err := r.AllocateNext()
		if err != nil || p < 30086 {
			t.Fatalf("AllocateNext = %d, %v", p, err)
		}
	}
	for p := 30000; p < 30086; p++ {
		if err := r.Allocate(p); err != nil {
			t.Fatalf("static port %d: %v", p, err)
		}
	}
}

// TestPoolsShareOneContract runs the same sequence on both allocators
// through the Pool interface the etcd store uses.
func TestPoolsShareOneContract(t *testing.T) {
	ips, _ := NewRange("10.0.0.0/28")
	ports, _ := NewPortRange("1000-1013")
	t.Run("ips", func(t *testing.T) { exercisePool[netipAddr](t, ips, 14) })
	t.Run("ports", func(t *testing.T) { exercisePool[int](t, ports, 14) })
}
