package agent

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"

	"k8s.io/apimachinery/pkg/types"
)

// BridgeName is the bridge the netns pod network attaches pods to.
const BridgeName = "portal0"

// netnsDir is where ip(8) keeps named network namespaces.
const netnsDir = "/var/run/netns"

// commander runs a program and returns its combined output.
type commander interface {
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
}

type execCommander struct{}

func (execCommander) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// netnsNetwork is the root pod network: each pod gets a network namespace
// portal-<uid prefix> with a veth pair, whose node end is enslaved to the
// portal0 bridge and whose pod end (eth0) gets the next free address of the
// node's podCIDR and a default route via the bridge, which holds the
// podCIDR's first address. It configures everything with ip(8) in the
// agent's own network namespace, and touches nothing else: no NAT, no
// sysctl, no host routes beyond the bridge's connected one.
type netnsNetwork struct {
	pool    *ipPool
	prefix  netip.Prefix
	gateway netip.Addr
	cmd     commander
}

var _ podNetwork = (*netnsNetwork)(nil)

func newNetnsNetwork(prefix netip.Prefix, poolPath string, cmd commander) (*netnsNetwork, error) {
	prefix = prefix.Masked()
	gw := prefix.Addr().Next()
	if !prefix.Contains(gw) || prefix.Bits() >= prefix.Addr().BitLen()-1 {
		return nil, fmt.Errorf("pod CIDR %s is too small for a bridge and pods", prefix)
	}
	pool, err := newIPPool(prefix, poolPath, gw)
	if err != nil {
		return nil, err
	}
	return &netnsNetwork{pool: pool, prefix: prefix, gateway: gw, cmd: cmd}, nil
}

// netnsName is the pod's network namespace name; vethName its node-side
// interface (at most 15 bytes, the kernel's limit).
func netnsName(uid types.UID) string { return "portal-" + uidPrefix(uid, 12) }
func vethName(uid types.UID) string  { return "veth" + uidPrefix(uid, 11) }

func uidPrefix(uid types.UID, n int) string {
	s := strings.ReplaceAll(string(uid), "-", "")
	if len(s) > n {
		s = s[:n]
	}
	return s
}

func (n *netnsNetwork) ip(ctx context.Context, args ...string) error {
	_, err := n.cmd.Run(ctx, "ip", args...)
	return err
}

// ipCreate runs an ip(8) command that creates something, accepting that
// it exists already.
func (n *netnsNetwork) ipCreate(ctx context.Context, args ...string) error {
	err := n.ip(ctx, args...)
	if err != nil && strings.Contains(err.Error(), "File exists") {
		return nil
	}
	return err
}

// Init creates the bridge if missing and gives it the gateway address.
func (n *netnsNetwork) Init(ctx context.Context) error {
	gw := fmt.Sprintf("%s/%d", n.gateway, n.prefix.Bits())
	steps := [][]string{
		{"link", "add", BridgeName, "type", "bridge"},
		{"addr", "replace", gw, "dev", BridgeName},
		{"link", "set", BridgeName, "up"},
	}
	for i, s := range steps {
		var err error
		if i == 0 {
			err = n.ipCreate(ctx, s...)
		} else {
			err = n.ip(ctx, s...)
		}
		if err != nil {
			return fmt.Errorf("bridge %s: %w", BridgeName, err)
		}
	}
	return nil
}

// Setup makes the pod's namespace, veth and address.
func (n *netnsNetwork) Setup(ctx context.Context, uid types.UID) (netip.Addr, string, error) {
	ip, err := n.pool.Allocate(uid)
	if err != nil {
		return netip.Addr{}, "", err
	}
	ns, veth := netnsName(uid), vethName(uid)
	addr := fmt.Sprintf("%s/%d", ip, n.prefix.Bits())
	creates := [][]string{
		{"netns", "add", ns},
		{"link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns},
	}
	for _, s := range creates {
		if err := n.ipCreate(ctx, s...); err != nil {
			return netip.Addr{}, "", fmt.Errorf("pod network %s: %w", ns, err)
		}
	}
	steps := [][]string{
		{"link", "set", veth, "master", BridgeName, "up"},
		{"-n", ns, "link", "set", "lo", "up"},
		{"-n", ns, "addr", "replace", addr, "dev", "eth0"},
		{"-n", ns, "link", "set", "eth0", "up"},
		{"-n", ns, "route", "replace", "default", "via", n.gateway.String(), "dev", "eth0"},
	}
	for _, s := range steps {
		if err := n.ip(ctx, s...); err != nil {
			return netip.Addr{}, "", fmt.Errorf("pod network %s: %w", ns, err)
		}
	}
	return ip, netnsDir + "/" + ns, nil
}

// Teardown deletes the pod's namespace (which takes its veth pair with it)
// and releases the address.
func (n *netnsNetwork) Teardown(ctx context.Context, uid types.UID) error {
	ns := netnsName(uid)
	if err := n.ip(ctx, "netns", "del", ns); err != nil && !notExist(err) {
		return fmt.Errorf("pod network %s: %w", ns, err)
	}
	// The node end goes with the pod end; remove it should it linger.
	if err := n.ip(ctx, "link", "del", vethName(uid)); err != nil && !notExist(err) {
		return fmt.Errorf("pod network %s: %w", ns, err)
	}
	return n.pool.Release(uid)
}

func (n *netnsNetwork) Pods() []types.UID { return n.pool.UIDs() }

func (n *netnsNetwork) Allocated() int { return n.pool.Len() }

// notExist reports whether an ip(8) error says the object is not there.
func notExist(err error) bool {
	s := err.Error()
	return strings.Contains(s, "No such file") || strings.Contains(s, "Cannot find device") ||
		strings.Contains(s, "does not exist")
}
