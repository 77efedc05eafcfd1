package agent

import (
	"context"
	"net/netip"

	"k8s.io/apimachinery/pkg/types"
)

// podNetwork gives pods their addresses. Implementations are safe for
// concurrent use, and every method is idempotent, so a restarted agent may
// set up again what it set up before.
type podNetwork interface {
	// Init prepares the node's side (the bridge in netns mode); Run calls
	// it once before any Setup.
	Init(ctx context.Context) error
	// Setup gives the pod its address (the same one it had, if any) and
	// returns it with the path of the pod's network namespace ("" when
	// pods share the host's).
	Setup(ctx context.Context, uid types.UID) (ip netip.Addr, netns string, err error)
	// Teardown removes what Setup made and releases the address.
	Teardown(ctx context.Context, uid types.UID) error
	// Pods returns the pods that hold an address, so that the agent can
	// release those whose pod went while it was down.
	Pods() []types.UID
	// Allocated is the number of addresses in use.
	Allocated() int
}

// loopbackNetwork is the rootless pod network: each pod gets a loopback
// address of its own from the pod range, which Linux routes to lo without
// any configuration (all of 127.0.0.0/8 is local), and binds it itself.
type loopbackNetwork struct {
	pool *ipPool
}

var _ podNetwork = (*loopbackNetwork)(nil)

func (n *loopbackNetwork) Init(context.Context) error { return nil }

func (n *loopbackNetwork) Setup(_ context.Context, uid types.UID) (netip.Addr, string, error) {
	ip, err := n.pool.Allocate(uid)
	return ip, "", err
}

func (n *loopbackNetwork) Teardown(_ context.Context, uid types.UID) error {
	return n.pool.Release(uid)
}

func (n *loopbackNetwork) Pods() []types.UID { return n.pool.UIDs() }

func (n *loopbackNetwork) Allocated() int { return n.pool.Len() }
