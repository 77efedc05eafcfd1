package apiserver

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/portal-dev/portal/internal/ipam"
	"github.com/portal-dev/portal/internal/ipam/etcdstore"
	"github.com/portal-dev/portal/internal/ipam/repair"
	"github.com/portal-dev/portal/internal/registry"
	"github.com/portal-dev/portal/internal/storage"
)

// DefaultServiceCIDR is portal's --service-cluster-ip-range default: a
// loopback range, so that the rootless userspace proxy can bind every
// ClusterIP on lo without privileges (Linux routes all of 127.0.0.0/8 to
// lo). kube-apiserver's usual choice is 10.96.0.0/12.
const DefaultServiceCIDR = "127.96.0.0/12"

// serviceNetwork is one API server's Service allocation machinery: the
// etcd-backed ClusterIP and NodePort allocators, the REST hooks using them,
// the repair loop and the kubernetes Service.
type serviceNetwork struct {
	cidr   netip.Prefix
	client *clientv3.Client
	ips    *etcdstore.Allocator[netip.Addr]
	ports  *etcdstore.Allocator[int]
	alloc  *registry.ServiceAllocation
	log    *slog.Logger

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// parseServiceRanges checks the range options.
func parseServiceRanges(o Options) (*ipam.Range, *ipam.PortRange, error) {
	ips, err := ipam.NewRange(o.ServiceCIDR)
	if err != nil {
		return nil, nil, fmt.Errorf("apiserver: --service-cluster-ip-range: %w", err)
	}
	ports, err := ipam.NewPortRange(o.NodePortRange)
	if err != nil {
		return nil, nil, fmt.Errorf("apiserver: --service-node-port-range: %w", err)
	}
	return ips, ports, nil
}

// startServiceNetwork connects to etcd, loads the allocation caches and
// starts the watches that keep them current until close.
func startServiceNetwork(ctx context.Context, cfg storage.Config, o Options, log *slog.Logger) (*serviceNetwork, error) {
	ipRange, portRange, err := parseServiceRanges(o)
	if err != nil {
		return nil, err
	}
	client, err := cfg.NewClient()
	if err != nil {
		return nil, err
	}
	n := &serviceNetwork{
		cidr:   ipRange.Prefix(),
		client: client,
		ips:    etcdstore.NewClusterIPs(client, cfg.KeyPrefix(), ipRange, log),
		ports:  etcdstore.NewNodePorts(client, cfg.KeyPrefix(), portRange, log),
		log:    log,
	}
	family := corev1.IPv4Protocol
	if ipRange.Is6() {
		family = corev1.IPv6Protocol
	}
	n.alloc = &registry.ServiceAllocation{ClusterIPs: n.ips, NodePorts: n.ports, Family: family, Log: log}
	syncCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for _, s := range []interface{ Sync(context.Context) error }{n.ips, n.ports} {
		if err := s.Sync(syncCtx); err != nil {
			client.Close()
			return nil, fmt.Errorf("load service allocations: %w", err)
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	n.cancel = stop
	for _, r := range []interface{ Run(context.Context) error }{n.ips, n.ports} {
		n.wg.Add(1)
		go func() { defer n.wg.Done(); _ = r.Run(runCtx) }()
	}
	log.Info("service allocation ready", "serviceCIDR", ipRange.String(), "nodePortRange", portRange.String(),
		"clusterIPs", n.ips.Used(), "nodePorts", n.ports.Used())
	return n, nil
}

// close stops the watches and the repair loop, and closes the etcd client.
func (n *serviceNetwork) close() {
	n.cancel()
	n.wg.Wait()
	n.client.Close()
}

// postStartHook creates or refreshes the kubernetes Service for the API
// server at host:port, and starts the repair loop.
func (n *serviceNetwork) postStartHook(host net.IP, port int) genericapiserver.PostStartHookFunc {
	return func(hc genericapiserver.PostStartHookContext) error {
		cfg := rest.CopyConfig(hc.LoopbackClientConfig)
		cfg.WarningHandler = rest.NoWarnings{} // v1 Endpoints is deprecated, and written on purpose
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return fmt.Errorf("service network client: %w", err)
		}
		r := &repair.Repair{Client: client, ClusterIPs: n.ips, NodePorts: n.ports, Log: n.log}
		n.wg.Add(1)
		go func() { defer n.wg.Done(); r.Run(hc) }()
		ip := n.cidr.Addr().Next()
		return wait.PollUntilContextTimeout(hc, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			if err := ensureKubernetesService(ctx, client, ip, host, port, n.log); err != nil {
				n.log.Debug("kubernetes service not ready yet", "err", err)
				return false, nil
			}
			return true, nil
		})
	}
}

// advertiseAddress is the address the kubernetes Service's endpoints name:
// the bind address, or for a wildcard bind the host's first global unicast
// address of that family (loopback when it has none).
func advertiseAddress(bind string) net.IP {
	ip := net.ParseIP(bind)
	if ip != nil && !ip.IsUnspecified() {
		return ip
	}
	want4 := ip == nil || ip.To4() != nil
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.IsGlobalUnicast() && (n.IP.To4() != nil) == want4 {
				return n.IP
			}
		}
	}
	if want4 {
		return net.IPv4(127, 0, 0, 1)
	}
	return net.IPv6loopback
}
