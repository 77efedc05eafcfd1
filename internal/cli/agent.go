package cli

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/portal-dev/portal/internal/agent"
)

// agentFlags are the node agent's flags, shared by `portal agent` and
// `portal up`.
type agentFlags struct {
	nodeName, nodeAddress string
	podNetwork, podCIDR   string
	imagePath             []string
	clusterDNS, domain    string
	logPort               int
}

func (f *agentFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.nodeName, "node-name", "", "name of this node (default: the hostname)")
	fs.StringVar(&f.nodeAddress, "node-address", agent.DefaultNodeAddress, "the node's InternalIP; the log server listens there")
	fs.StringVar(&f.podNetwork, "pod-network", string(agent.PodNetworkLoopback), "pod network: loopback (rootless, a 127.x address per pod) or netns (root, a network namespace per pod on the portal0 bridge)")
	fs.StringVar(&f.podCIDR, "pod-cidr", "", "pod addresses (default "+agent.DefaultLoopbackPodCIDR+" for loopback, "+agent.DefaultNetnsPodCIDR+" for netns)")
	fs.StringSliceVar(&f.imagePath, "image-path", nil, "directories where images (programs named after the image) are found")
	fs.StringVar(&f.clusterDNS, "cluster-dns", agent.DefaultClusterDNS, "nameserver written into pods' resolv.conf")
	fs.StringVar(&f.domain, "cluster-domain", agent.DefaultClusterDomain, "the cluster's DNS zone")
	fs.IntVar(&f.logPort, "log-port", 0, "port of the node's log server (0: a free one, published in the Node's daemonEndpoints)")
}

// runAgent runs the node agent against the API server cfg reaches, with
// its state in dataDir, until ctx ends.
func runAgent(ctx context.Context, cfg *rest.Config, dataDir string, f agentFlags) error {
	a, err := agent.New(agent.Options{
		Config:        cfg,
		NodeName:      f.nodeName,
		NodeAddress:   f.nodeAddress,
		PodNetwork:    agent.PodNetwork(f.podNetwork),
		PodCIDR:       f.podCIDR,
		DataDir:       dataDir,
		ImagePath:     f.imagePath,
		ClusterDNS:    f.clusterDNS,
		ClusterDomain: f.domain,
		LogPort:       f.logPort,
		NewRunner:     newRunner,
		Log:           slog.Default().With("component", "agent"),
	})
	if err != nil {
		return err
	}
	return a.Run(ctx)
}

func agentCommand() *cobra.Command {
	var f agentFlags
	var kubeconfig string
	dataDir := filepath.Join(defaultDataDir(), "agent")
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the node agent against the API server in --kubeconfig (portal's or any Kubernetes cluster's)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ctx, cancel := signalContext()
			defer cancel()
			cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
			if err != nil {
				return fmt.Errorf("agent: %w", err)
			}
			return stoppedBySignal(ctx, runAgent(ctx, cfg, dataDir, f))
		},
	}
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the API server")
	_ = cmd.MarkFlagRequired("kubeconfig")
	cmd.Flags().StringVar(&dataDir, "data-dir", dataDir, "the agent's state: pod IPs, pod directories, logs")
	f.add(cmd.Flags())
	return cmd
}

// controlPlaneFlags are the controllers' flags, shared by `portal
// controllers` and `portal up`.
type controlPlaneFlags struct {
	nodeMonitorGracePeriod time.Duration
	pools                  poolsFlag
}

func (f *controlPlaneFlags) add(fs *pflag.FlagSet) {
	fs.DurationVar(&f.nodeMonitorGracePeriod, "node-monitor-grace-period", 40*time.Second, "how long a node may go without renewing its Lease before it is marked Unknown and its pods not ready")
	addPoolsFlag(fs, &f.pools)
}
