package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/portal-dev/portal/internal/ipam/lb"
)

// poolsFlag collects repeated --load-balancer-pool values. Each value is
// checked as it is parsed, against the pools before it too, so a bad or
// overlapping pool fails the command before anything starts.
type poolsFlag struct {
	pools []lb.Pool
}

func (f *poolsFlag) String() string {
	var out []string
	for _, p := range f.pools {
		var cidrs []string
		for _, c := range p.CIDRs {
			cidrs = append(cidrs, c.String())
		}
		out = append(out, p.Name+"="+strings.Join(cidrs, ","))
	}
	return strings.Join(out, " ")
}

func (f *poolsFlag) Set(s string) error {
	p, err := lb.ParsePool(s)
	if err != nil {
		return err
	}
	all := append(slices.Clone(f.pools), p)
	if err := lb.ValidatePools(all); err != nil {
		return err
	}
	f.pools = all
	return nil
}

func (f *poolsFlag) Type() string { return "NAME=CIDR[,CIDR...]" }

// addPoolsFlag registers --load-balancer-pool on fs.
func addPoolsFlag(fs *pflag.FlagSet, f *poolsFlag) {
	fs.Var(f, "load-balancer-pool", fmt.Sprint(
		"address pool for Services of type LoadBalancer, e.g. default=127.100.0.0/24; ",
		"each address is an IPv4 CIDR, a FIRST-LAST range or one address; repeatable. ",
		"Default: no pool, so LoadBalancer Services stay <pending> as in the tutorials. ",
		"Rootless, pick a loopback pool such as 127.100.0.0/24, which the userspace proxy can bind"))
}
