package agent

import (
	"errors"
	"net/netip"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func TestIPPoolAllocation(t *testing.T) {
	type step struct {
		op   string // allocate | release
		uid  types.UID
		want string // the address, or "full"
	}
	cases := []struct {
		name     string
		prefix   string
		reserved []string
		steps    []step
	}{
		{
			name:   "skips the network address and goes in order",
			prefix: "127.244.0.0/16",
			steps: []step{
				{"allocate", "a", "127.244.0.1"},
				{"allocate", "b", "127.244.0.2"},
				{"allocate", "a", "127.244.0.1"}, // idempotent
			},
		},
		{
			name:   "a released address is not reused at once",
			prefix: "127.244.0.0/16",
			steps: []step{
				{"allocate", "a", "127.244.0.1"},
				{"allocate", "b", "127.244.0.2"},
				{"release", "a", ""},
				{"allocate", "c", "127.244.0.3"},
			},
		},
		{
			name:     "skips reserved addresses and the broadcast, then wraps",
			prefix:   "10.244.0.0/30", // .1 and .2 assignable
			reserved: []string{"10.244.0.1"},
			steps: []step{
				{"allocate", "a", "10.244.0.2"},
				{"allocate", "b", "full"},
				{"release", "a", ""},
				{"allocate", "b", "10.244.0.2"},
			},
		},
		{
			name:   "wraps to the start after the last address",
			prefix: "127.0.0.0/30",
			steps: []step{
				{"allocate", "a", "127.0.0.1"},
				{"allocate", "b", "127.0.0.2"},
				{"release", "a", ""},
				{"allocate", "c", "127.0.0.1"},
			},
		},
		{
			name:   "a /32 has its one address",
			prefix: "127.9.9.9/32",
			steps: []step{
				{"allocate", "a", "127.9.9.9"},
				{"allocate", "b", "full"},
			},
		},
		{
			name:   "IPv6 has no broadcast",
			prefix: "fd00::/126",
			steps: []step{
				{"allocate", "a", "fd00::1"},
				{"allocate", "b", "fd00::2"},
				{"allocate", "c", "fd00::3"},
				{"allocate", "d", "full"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var reserved []netip.Addr
			for _, r := range tc.reserved {
				reserved = append(reserved, netip.MustParseAddr(r))
			}
			p, err := newIPPool(netip.MustParsePrefix(tc.prefix), "", reserved...)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tc.steps {
				switch s.op {
				case "release":
					if err := p.Release(s.uid); err != nil {
						t.Fatal(err)
					}
				case "allocate":
					got, err := p.Allocate(s.uid)
					if s.want == "full" {
						if !errors.Is(err, ErrRangeFull) {
							t.Fatalf("step %d: allocate %s = %v, %v; want ErrRangeFull", i, s.uid, got, err)
						}
						continue
					}
					if err != nil || got.String() != s.want {
						t.Fatalf("step %d: allocate %s = %v, %v; want %s", i, s.uid, got, err, s.want)
					}
				}
			}
		})
	}
}

func TestIPPoolPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pod-ips.json")
	prefix := netip.MustParsePrefix("127.244.0.0/16")
	p, err := newIPPool(prefix, path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := p.Allocate("pod-a")
	b, _ := p.Allocate("pod-b")
	if err := p.Release("pod-a"); err != nil {
		t.Fatal(err)
	}

	// A new pool on the same file: what a restarted agent sees.
	q, err := newIPPool(prefix, path)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := q.Get("pod-b"); !ok || got != b {
		t.Fatalf("after reload pod-b has %v (%v), want %v", got, ok, b)
	}
	if _, ok := q.Get("pod-a"); ok {
		t.Fatalf("after reload released pod-a still has an address")
	}
	c, _ := q.Allocate("pod-c")
	if c == a || c == b {
		t.Fatalf("after reload pod-c got %v, which pod-a (released) or pod-b had; want the next one", c)
	}
	if got, _ := q.Allocate("pod-b"); got != b {
		t.Fatalf("pod-b re-allocated %v, want its own %v", got, b)
	}
}
