package cli

import (
	"strings"
	"testing"
)

// TestLoadBalancerPoolFlag parses repeated --load-balancer-pool flags the
// way `portal up` does.
func TestLoadBalancerPoolFlag(t *testing.T) {
	cases := []struct {
		args []string
		want string // the pools as String prints them
		err  string
	}{
		{args: nil, want: ""},
		{args: []string{"--load-balancer-pool", "default=127.100.0.0/24"}, want: "default=127.100.0.0/24"},
		{args: []string{"--load-balancer-pool=a=127.100.0.0/31,127.100.1.7", "--load-balancer-pool", "b=127.101.0.4-127.101.0.7"},
			want: "a=127.100.0.0/31,127.100.1.7/32 b=127.101.0.4/30"},
		{args: []string{"--load-balancer-pool", "127.100.0.0/24"}, err: "want NAME=CIDR"},
		{args: []string{"--load-balancer-pool", "a=127.100.0.0/24", "--load-balancer-pool", "b=127.100.0.128/25"}, err: "overlaps"},
		{args: []string{"--load-balancer-pool", "a=127.100.0.0/24", "--load-balancer-pool", "a=127.101.0.0/24"}, err: "defined twice"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			for _, cmd := range []string{"up", "controllers"} {
				c := upCommand()
				if cmd == "controllers" {
					c = controllersCommand()
				}
				err := c.Flags().Parse(tc.args)
				if tc.err != "" {
					if err == nil || !strings.Contains(err.Error(), tc.err) {
						t.Fatalf("%s: err %v, want %q", cmd, err, tc.err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", cmd, err)
				}
				if got := c.Flags().Lookup("load-balancer-pool").Value.String(); got != tc.want {
					t.Fatalf("%s: pools %q, want %q", cmd, got, tc.want)
				}
			}
		})
	}
}
