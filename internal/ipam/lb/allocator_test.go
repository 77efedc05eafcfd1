package lb

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// step is one call on the allocator and what it must answer.
type step struct {
	// op is assign (ip given), allocate, pool (AllocateFromPool of pool),
	// or release.
	op   string
	svc  string
	ip   string // assign: the address asked for; allocate, pool: the one expected
	pool string
	use  Use
	// err, when set, is a substring of the error the call must return.
	err string
	// released is what release must report.
	released bool
}

func tcp(ports ...int32) []Port {
	var out []Port
	for _, p := range ports {
		out = append(out, Port{"TCP", p})
	}
	return out
}

func pool(name string, auto bool, cidrs ...string) Pool {
	p := Pool{Name: name, AutoAssign: auto}
	for _, c := range cidrs {
		pp, err := ParseAddresses(c)
		if err != nil {
			panic(err)
		}
		p.CIDRs = append(p.CIDRs, pp...)
	}
	return p
}

func TestAllocator(t *testing.T) {
	web := Use{Ports: tcp(80)}
	shared := func(key string, ports ...Port) Use { return Use{Ports: ports, SharingKey: key} }
	cases := []struct {
		name  string
		pools []Pool
		steps []step
		// held maps service to the address it must hold at the end ("" for
		// none).
		held map[string]string
	}{
		{
			name:  "allocate hands out addresses in order, first address of the CIDR included",
			pools: []Pool{pool("default", true, "127.100.0.0/24")},
			steps: []step{
				{op: "allocate", svc: "a", ip: "127.100.0.0", use: web},
				{op: "allocate", svc: "b", ip: "127.100.0.1", use: web},
				{op: "allocate", svc: "c", ip: "127.100.0.2", use: web},
			},
			held: map[string]string{"a": "127.100.0.0", "b": "127.100.0.1", "c": "127.100.0.2"},
		},
		{
			name:  "allocate keeps what the service holds",
			pools: []Pool{pool("default", true, "127.100.0.0/24")},
			steps: []step{
				{op: "assign", svc: "a", ip: "127.100.0.7", use: web},
				{op: "allocate", svc: "a", ip: "127.100.0.7", use: Use{Ports: tcp(80, 443)}},
			},
			held: map[string]string{"a": "127.100.0.7"},
		},
		{
			name:  "specific address: in a pool, not in one, taken",
			pools: []Pool{pool("default", true, "127.100.0.0/24")},
			steps: []step{
				{op: "assign", svc: "a", ip: "127.100.0.50", use: web},
				{op: "assign", svc: "a", ip: "127.100.0.50", use: web},
				{op: "assign", svc: "b", ip: "127.200.0.1", use: web, err: "not in any address pool"},
				{op: "assign", svc: "b", ip: "127.100.0.50", use: Use{Ports: tcp(443)}, err: "does not allow sharing"},
				{op: "allocate", svc: "b", ip: "127.100.0.0", use: web},
			},
			held: map[string]string{"a": "127.100.0.50", "b": "127.100.0.0"},
		},
		{
			name:  "assigning another address moves the service and frees the old one",
			pools: []Pool{pool("default", true, "127.100.0.0/30")},
			steps: []step{
				{op: "assign", svc: "a", ip: "127.100.0.0", use: web},
				{op: "assign", svc: "a", ip: "127.100.0.3", use: web},
				{op: "allocate", svc: "b", ip: "127.100.0.0", use: web},
			},
			held: map[string]string{"a": "127.100.0.3", "b": "127.100.0.0"},
		},
		{
			name: "pool selection: auto-assign pools in order, manual pool only by name",
			pools: []Pool{
				pool("manual", false, "127.50.0.0/30"),
				pool("first", true, "127.100.0.0/31"),
				pool("second", true, "127.101.0.10-127.101.0.12"),
			},
			steps: []step{
				{op: "allocate", svc: "a", ip: "127.100.0.0", use: web},
				{op: "allocate", svc: "b", ip: "127.100.0.1", use: web},
				{op: "allocate", svc: "c", ip: "127.101.0.10", use: web},
				{op: "pool", svc: "d", pool: "manual", ip: "127.50.0.0", use: web},
				{op: "pool", svc: "e", pool: "second", ip: "127.101.0.11", use: web},
				{op: "pool", svc: "f", pool: "nope", use: web, err: `unknown pool "nope"`},
				// A specific address may come from a manual pool.
				{op: "assign", svc: "g", ip: "127.50.0.3", use: web},
			},
			held: map[string]string{"a": "127.100.0.0", "b": "127.100.0.1", "c": "127.101.0.10",
				"d": "127.50.0.0", "e": "127.101.0.11", "f": "", "g": "127.50.0.3"},
		},
		{
			name:  "a pool request moves a service out of another pool",
			pools: []Pool{pool("a", true, "127.100.0.0/30"), pool("b", false, "127.101.0.0/30")},
			steps: []step{
				{op: "allocate", svc: "s", ip: "127.100.0.0", use: web},
				{op: "pool", svc: "s", pool: "b", ip: "127.101.0.0", use: web},
				{op: "pool", svc: "s", pool: "b", ip: "127.101.0.0", use: web},
				{op: "allocate", svc: "t", ip: "127.100.0.0", use: web},
			},
			held: map[string]string{"s": "127.101.0.0", "t": "127.100.0.0"},
		},
		{
			name:  "only manual pools: allocate says why",
			pools: []Pool{pool("manual", false, "127.50.0.0/30")},
			steps: []step{
				{op: "allocate", svc: "a", use: web, err: "no address pool allows automatic assignment"},
			},
			held: map[string]string{"a": ""},
		},
		{
			name: "no pools at all",
			steps: []step{
				{op: "allocate", svc: "a", use: web, err: ErrNoPools.Error()},
				{op: "pool", svc: "a", pool: "default", use: web, err: ErrNoPools.Error()},
				{op: "assign", svc: "a", ip: "127.100.0.1", use: web, err: "not in any address pool"},
			},
			held: map[string]string{"a": ""},
		},
		{
			name:  "sharing: same key and distinct ports share, first fit",
			pools: []Pool{pool("default", true, "127.100.0.0/24")},
			steps: []step{
				{op: "allocate", svc: "dns-tcp", ip: "127.100.0.0", use: shared("dns", Port{"TCP", 53})},
				{op: "allocate", svc: "dns-udp", ip: "127.100.0.0", use: shared("dns", Port{"UDP", 53})},
				{op: "assign", svc: "http", ip: "127.100.0.0", use: shared("dns", Port{"TCP", 80})},
			},
			held: map[string]string{"dns-tcp": "127.100.0.0", "dns-udp": "127.100.0.0", "http": "127.100.0.0"},
		},
		{
			name:  "sharing refused: overlapping ports, other key, no key, other backend",
			pools: []Pool{pool("default", true, "127.100.0.0/24")},
			steps: []step{
				{op: "assign", svc: "a", ip: "127.100.0.9", use: shared("k", Port{"TCP", 80}, Port{"TCP", 443})},
				{op: "assign", svc: "b", ip: "127.100.0.9", use: shared("k", Port{"TCP", 443}), err: "port TCP/443 is already in use on 127.100.0.9 by a"},
				{op: "assign", svc: "b", ip: "127.100.0.9", use: shared("other", Port{"TCP", 8080}), err: `sharing key "other" does not match "k"`},
				{op: "assign", svc: "b", ip: "127.100.0.9", use: Use{Ports: tcp(8080)}, err: "this service does not allow sharing"},
				{op: "assign", svc: "b", ip: "127.100.0.9", use: Use{Ports: tcp(8080), SharingKey: "k", BackendKey: "app=x"}, err: "backend key"},
				// Overlapping ports make allocate skip the shared address.
				{op: "allocate", svc: "b", ip: "127.100.0.0", use: shared("k", Port{"TCP", 443})},
			},
			held: map[string]string{"a": "127.100.0.9", "b": "127.100.0.0"},
		},
		{
			name:  "a service alone on its address may change its sharing key and ports",
			pools: []Pool{pool("default", true, "127.100.0.0/24")},
			steps: []step{
				{op: "assign", svc: "a", ip: "127.100.0.1", use: shared("k", Port{"TCP", 80})},
				{op: "assign", svc: "a", ip: "127.100.0.1", use: shared("j", Port{"TCP", 81})},
				{op: "assign", svc: "a", ip: "127.100.0.1", use: Use{Ports: tcp(81)}},
			},
			held: map[string]string{"a": "127.100.0.1"},
		},
		{
			name:  "exhaustion, then release makes room",
			pools: []Pool{pool("tiny", true, "127.100.0.0/31")},
			steps: []step{
				{op: "allocate", svc: "a", ip: "127.100.0.0", use: web},
				{op: "allocate", svc: "b", ip: "127.100.0.1", use: web},
				{op: "allocate", svc: "c", use: web, err: "no available IPs"},
				{op: "pool", svc: "c", pool: "tiny", use: web, err: `no available IPs in pool "tiny"`},
				{op: "release", svc: "c", released: false},
				{op: "release", svc: "a", released: true},
				{op: "release", svc: "a", released: false},
				{op: "allocate", svc: "c", ip: "127.100.0.0", use: web},
			},
			held: map[string]string{"a": "", "b": "127.100.0.1", "c": "127.100.0.0"},
		},
		{
			name:  "releasing one sharer keeps the address for the others",
			pools: []Pool{pool("tiny", true, "127.100.0.0/32")},
			steps: []step{
				{op: "allocate", svc: "a", ip: "127.100.0.0", use: shared("k", Port{"TCP", 80})},
				{op: "allocate", svc: "b", ip: "127.100.0.0", use: shared("k", Port{"TCP", 81})},
				{op: "release", svc: "a", released: true},
				{op: "allocate", svc: "c", use: web, err: "no available IPs"},
				{op: "allocate", svc: "c", ip: "127.100.0.0", use: shared("k", Port{"TCP", 80})},
			},
			held: map[string]string{"a": "", "b": "127.100.0.0", "c": "127.100.0.0"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New(tc.pools)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tc.steps {
				var got netip.Addr
				var err error
				switch s.op {
				case "assign":
					got = netip.MustParseAddr(s.ip)
					err = a.Assign(s.svc, got, s.use)
				case "allocate":
					got, err = a.Allocate(s.svc, s.use)
				case "pool":
					got, err = a.AllocateFromPool(s.svc, s.pool, s.use)
				case "release":
					if r := a.Release(s.svc); r != s.released {
						t.Fatalf("step %d: release %s = %v, want %v", i, s.svc, r, s.released)
					}
					continue
				default:
					t.Fatalf("step %d: unknown op %q", i, s.op)
				}
				if s.err != "" {
					if err == nil || !strings.Contains(err.Error(), s.err) {
						t.Fatalf("step %d: %s %s: err %v, want %q", i, s.op, s.svc, err, s.err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d: %s %s: %v", i, s.op, s.svc, err)
				}
				if s.ip != "" && got.String() != s.ip {
					t.Fatalf("step %d: %s %s = %s, want %s", i, s.op, s.svc, got, s.ip)
				}
			}
			for svc, want := range tc.held {
				ip, ok := a.IP(svc)
				switch {
				case want == "" && ok:
					t.Errorf("%s holds %s, want nothing", svc, ip)
				case want != "" && ip.String() != want:
					t.Errorf("%s holds %v, want %s", svc, ip, want)
				case want != "" && a.Pool(svc) != a.PoolFor(ip):
					t.Errorf("%s: pool %q, address in %q", svc, a.Pool(svc), a.PoolFor(ip))
				}
			}
		})
	}
}

func TestErrNoPools(t *testing.T) {
	a, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.HasPools() {
		t.Fatal("HasPools with no pools")
	}
	if _, err := a.Allocate("a", Use{}); !errors.Is(err, ErrNoPools) {
		t.Fatalf("err %v, want ErrNoPools", err)
	}
}

func TestServicesOnAddress(t *testing.T) {
	a, _ := New([]Pool{pool("p", true, "127.100.0.0/30")})
	ip := netip.MustParseAddr("127.100.0.1")
	for i, svc := range []string{"ns/b", "ns/a"} {
		if err := a.Assign(svc, ip, Use{SharingKey: "k", Ports: tcp(int32(80 + i))}); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(a.Services(ip), " "); got != "ns/a ns/b" {
		t.Fatalf("Services = %q", got)
	}
}
