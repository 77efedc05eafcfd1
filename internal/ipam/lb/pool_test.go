package lb

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func TestParsePool(t *testing.T) {
	cases := []struct {
		in    string
		name  string
		cidrs string // space separated; "" when err is set
		size  uint64
		err   string
	}{
		{in: "default=127.100.0.0/24", name: "default", cidrs: "127.100.0.0/24", size: 256},
		{in: "default=127.100.0.7/24", name: "default", cidrs: "127.100.0.0/24", size: 256},
		{in: " lab = 127.100.0.0/30 , 127.101.0.1 ", name: "lab", cidrs: "127.100.0.0/30 127.101.0.1/32", size: 5},
		{in: "r=127.100.0.1-127.100.0.254", name: "r",
			cidrs: "127.100.0.1/32 127.100.0.2/31 127.100.0.4/30 127.100.0.8/29 127.100.0.16/28 127.100.0.32/27 127.100.0.64/26 127.100.0.128/26 127.100.0.192/27 127.100.0.224/28 127.100.0.240/29 127.100.0.248/30 127.100.0.252/31 127.100.0.254/32",
			size:  254},
		{in: "r=127.100.0.0-127.100.1.255", name: "r", cidrs: "127.100.0.0/23", size: 512},
		{in: "r=127.100.0.5-127.100.0.5", name: "r", cidrs: "127.100.0.5/32", size: 1},
		{in: "all=0.0.0.0-255.255.255.255", name: "all", cidrs: "0.0.0.0/0", size: 1 << 32},
		{in: "127.100.0.0/24", err: "want NAME=CIDR"},
		{in: "=127.100.0.0/24", err: "want NAME=CIDR"},
		{in: "x=", err: "want NAME=CIDR"},
		{in: "x=fd00::/64", err: "not IPv4"},
		{in: "x=127.100.0.0/33", err: "invalid CIDR"},
		{in: "x=nope", err: "invalid address"},
		{in: "x=127.100.0.9-127.100.0.1", err: "ends before it starts"},
		{in: "x=127.100.0.1-::1", err: "not IPv4"},
		{in: "x=127.100.0.0/24,127.100.0.128/25", err: "overlaps"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			p, err := ParsePool(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range p.CIDRs {
				got = append(got, c.String())
			}
			if p.Name != tc.name || strings.Join(got, " ") != tc.cidrs || !p.AutoAssign {
				t.Fatalf("got %q %v auto=%v, want %q %s", p.Name, got, p.AutoAssign, tc.name, tc.cidrs)
			}
			if p.Size() != tc.size {
				t.Fatalf("size %d, want %d", p.Size(), tc.size)
			}
		})
	}
}

// TestRangeCoversExactly checks ranges against a brute-force membership
// test over a window of addresses around them.
func TestRangeCoversExactly(t *testing.T) {
	base := netip.MustParseAddr("127.100.0.0")
	for _, r := range [][2]int{{0, 0}, {1, 6}, {3, 17}, {0, 255}, {250, 300}, {255, 256}, {17, 1000}} {
		from, to := fromUint(toUint(base)+uint64(r[0])), fromUint(toUint(base)+uint64(r[1]))
		t.Run(fmt.Sprintf("%s-%s", from, to), func(t *testing.T) {
			cidrs, err := ParseAddresses(from.String() + "-" + to.String())
			if err != nil {
				t.Fatal(err)
			}
			p := Pool{Name: "r", CIDRs: cidrs}
			for off := -20; off < r[1]+20; off++ {
				if off+int(toUint(base)) < 0 {
					continue
				}
				ip := fromUint(uint64(int(toUint(base)) + off))
				want := off >= r[0] && off <= r[1]
				if p.Contains(ip) != want {
					t.Fatalf("%s: contains %v, want %v (cidrs %v)", ip, !want, want, cidrs)
				}
			}
			if p.Size() != uint64(r[1]-r[0]+1) {
				t.Fatalf("size %d, want %d", p.Size(), r[1]-r[0]+1)
			}
		})
	}
}

func TestValidatePools(t *testing.T) {
	p := func(name string, cidrs ...string) Pool {
		out := Pool{Name: name}
		for _, c := range cidrs {
			out.CIDRs = append(out.CIDRs, netip.MustParsePrefix(c))
		}
		return out
	}
	cases := []struct {
		name  string
		pools []Pool
		err   string
	}{
		{"none", nil, ""},
		{"disjoint", []Pool{p("a", "127.100.0.0/24"), p("b", "127.101.0.0/24")}, ""},
		{"overlap across pools", []Pool{p("a", "127.100.0.0/16"), p("b", "127.100.7.0/24")}, `pool "b": 127.100.7.0/24 overlaps 127.100.0.0/16 of pool "a"`},
		{"duplicate name", []Pool{p("a", "127.100.0.0/24"), p("a", "127.101.0.0/24")}, `pool "a" is defined twice`},
		{"no name", []Pool{p("", "127.100.0.0/24")}, "has no name"},
		{"no addresses", []Pool{p("a")}, `pool "a" has no addresses`},
		{"ipv6", []Pool{p("a", "fd00::/64")}, "not an IPv4 CIDR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidatePools(tc.pools)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
			if _, err := New(tc.pools); err == nil {
				t.Fatal("New accepted invalid pools")
			}
		})
	}
}
