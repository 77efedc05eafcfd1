package ipam

import (
	"errors"
	"net/netip"
	"testing"
)

func TestNewRangeBands(t *testing.T) {
	tests := []struct {
		cidr         string
		size, static uint64
		first        string
	}{
		{"10.96.0.0/12", 1<<20 - 2, 256, "10.96.0.1"},
		{"127.96.0.0/12", 1<<20 - 2, 256, "127.96.0.1"},
		{"10.0.0.0/20", 4094, 256, "10.0.0.1"},
		{"10.0.0.0/21", 2046, 128, "10.0.0.1"},
		{"10.0.0.0/24", 254, 16, "10.0.0.1"},
		{"10.0.0.0/27", 30, 16, "10.0.0.1"},
		{"10.0.0.0/28", 14, 0, "10.0.0.1"},
		{"10.0.0.0/30", 2, 0, "10.0.0.1"},
		{"10.0.0.7/24", 254, 16, "10.0.0.1"}, // host bits ignored
		{"fd00::/112", 1<<16 - 1, 256, "fd00::1"},
		{"fd00::/120", 255, 16, "fd00::1"},
		{"fd00::/64", 1<<62 - 1, 256, "fd00::1"},
	}
	for _, tt := range tests {
		t.Run(tt.cidr, func(t *testing.T) {
			r, err := NewRange(tt.cidr)
			if err != nil {
				t.Fatal(err)
			}
			if r.Size() != tt.size || r.StaticSize() != tt.static {
				t.Errorf("size %d static %d, want %d and %d", r.Size(), r.StaticSize(), tt.size, tt.static)
			}
			if r.Free() != tt.size || r.Used() != 0 {
				t.Errorf("free %d used %d on an empty range", r.Free(), r.Used())
			}
			if err := r.Allocate(netip.MustParseAddr(tt.first)); err != nil {
				t.Errorf("first usable %s: %v", tt.first, err)
			}
		})
	}
	for _, bad := range []string{"", "10.0.0.0", "10.0.0.0/33", "10.0.0.1/32", "10.0.0.0/31", "fd00::1/128"} {
		if _, err := NewRange(bad); err == nil {
			t.Errorf("NewRange(%q) succeeded", bad)
		}
	}
}

func TestRangeAllocate(t *testing.T) {
	tests := []struct {
		name, cidr, ip string
		want           error
		msg            string
	}{
		{"first", "10.96.0.0/24", "10.96.0.1", nil, ""},
		{"last", "10.96.0.0/24", "10.96.0.254", nil, ""},
		{"static band", "10.96.0.0/12", "10.96.0.10", nil, ""},
		{"network", "10.96.0.0/24", "10.96.0.0", ErrNotInRange,
			"the provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is 10.96.0.0/24"},
		{"broadcast", "10.96.0.0/24", "10.96.0.255", ErrNotInRange,
			"the provided IP (10.96.0.255) is not in the valid range. The range of valid IPs is 10.96.0.0/24"},
		{"outside", "10.96.0.0/12", "1.2.3.4", ErrNotInRange,
			"the provided IP (1.2.3.4) is not in the valid range. The range of valid IPs is 10.96.0.0/12"},
		{"other family", "10.96.0.0/12", "fd00::1", ErrNotInRange,
			"the provided IP (fd00::1) is not in the valid range. The range of valid IPs is 10.96.0.0/12"},
		{"v6 last word", "fd00::/112", "fd00::ffff", nil, ""},
		{"v6 network", "fd00::/112", "fd00::", ErrNotInRange,
			"the provided IP (fd00::) is not in the valid range. The range of valid IPs is fd00::/112"},
		{"v6 outside", "fd00::/112", "fd00::1:0", ErrNotInRange,
			"the provided IP (fd00::1:0) is not in the valid range. The range of valid IPs is fd00::/112"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := NewRange(tt.cidr)
			ip := netip.MustParseAddr(tt.ip)
			err := r.Allocate(ip)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Allocate(%s) = %v, want %v", ip, err, tt.want)
			}
			if tt.want != nil {
				if err.Error() != tt.msg {
					t.Errorf("message %q\nwant    %q", err, tt.msg)
				}
				if r.Used() != 0 {
					t.Errorf("a refused address is counted")
				}
				return
			}
			if !r.Has(ip) || r.Used() != 1 {
				t.Errorf("after Allocate: Has %v Used %d", r.Has(ip), r.Used())
			}
			err = r.Allocate(ip)
			if !errors.Is(err, ErrAllocated) || err.Error() != "provided IP is already allocated" {
				t.Errorf("second Allocate = %v", err)
			}
		})
	}
}

func TestRangeAllocateNextBands(t *testing.T) {
	r, _ := NewRange("10.0.0.0/24") // 254 usable, 16 static: .1-.16
	static := func(ip netip.Addr) bool { return ip.As4()[3] <= 16 }
	seen := map[netip.Addr]bool{}
	for i := range 254 - 16 {
		ip, err := r.AllocateNext()
		if err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
		if static(ip) {
			t.Fatalf("allocation %d took %s from the static band while the dynamic band had room", i, ip)
		}
		if seen[ip] {
			t.Fatalf("%s handed out twice", ip)
		}
		seen[ip] = true
	}
	// Dynamic band full: the static band is the fallback.
	for i := range 16 {
		ip, err := r.AllocateNext()
		if err != nil {
			t.Fatalf("static allocation %d: %v", i, err)
		}
		if !static(ip) || seen[ip] {
			t.Fatalf("fallback gave %s", ip)
		}
		seen[ip] = true
	}
	if _, err := r.AllocateNext(); !errors.Is(err, ErrFull) || err.Error() != "range is full" {
		t.Fatalf("AllocateNext on a full range = %v", err)
	}
	if r.Used() != 254 || r.Free() != 0 {
		t.Errorf("used %d free %d", r.Used(), r.Free())
	}
	// Release and reuse: the only free address is the one released.
	for _, s := range []string{"10.0.0.5", "10.0.0.200"} {
		ip := netip.MustParseAddr(s)
		if !r.Release(ip) {
			t.Fatalf("Release(%s) = false", ip)
		}
		if r.Release(ip) {
			t.Fatalf("second Release(%s) = true", ip)
		}
		got, err := r.AllocateNext()
		if err != nil || got != ip {
			t.Fatalf("after releasing %s AllocateNext = %s, %v", ip, got, err)
		}
	}
}

func TestRangeSpecificInStaticBandIsNeverTakenDynamically(t *testing.T) {
	r, _ := NewRange("10.0.0.0/27") // 30 usable, static .1-.16, dynamic .17-.30
	want := netip.MustParseAddr("10.0.0.10")
	for i := range 14 {
		ip, err := r.AllocateNext()
		if err != nil || ip == want {
			t.Fatalf("allocation %d: %s %v", i, ip, err)
		}
	}
	if err := r.Allocate(want); err != nil {
		t.Fatalf("static address taken before the dynamic band filled: %v", err)
	}
}

func TestRangeRandomSpread(t *testing.T) {
	r, _ := NewRange("10.0.0.0/16")
	lo, hi := uint64(1<<62), uint64(0)
	for range 200 {
		ip, err := r.AllocateNext()
		if err != nil {
			t.Fatal(err)
		}
		off, _ := r.offset(ip)
		lo, hi = min(lo, off), max(hi, off)
	}
	// 200 uniform picks out of 65278 cover most of the band; sequential
	// allocation would span 200.
	if hi-lo < 30000 {
		t.Errorf("200 dynamic allocations span only offsets %d-%d", lo, hi)
	}
}

func TestRangeForEachAndReset(t *testing.T) {
	r, _ := NewRange("fd00::/120")
	for _, s := range []string{"fd00::ff", "fd00::1", "fd00::80"} {
		if err := r.Allocate(netip.MustParseAddr(s)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	r.ForEach(func(ip netip.Addr) { got = append(got, ip.String()) })
	if want := []string{"fd00::1", "fd00::80", "fd00::ff"}; !equal(got, want) {
		t.Errorf("ForEach = %v, want %v", got, want)
	}
	r.Reset()
	if r.Used() != 0 || r.Has(netip.MustParseAddr("fd00::1")) {
		t.Errorf("Reset left %d used", r.Used())
	}
}

func TestRangeLargeV6(t *testing.T) {
	r, _ := NewRange("fd00::/64")
	seen := map[netip.Addr]bool{}
	for range 1000 {
		ip, err := r.AllocateNext()
		if err != nil || seen[ip] || !r.Prefix().Contains(ip) {
			t.Fatalf("AllocateNext = %s, %v (seen %v)", ip, err, seen[ip])
		}
		seen[ip] = true
		if !r.Has(ip) {
			t.Fatalf("%s allocated but not Has", ip)
		}
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
