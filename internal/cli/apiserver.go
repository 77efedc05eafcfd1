package cli

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/portal-dev/portal/internal/apiserver"
	"github.com/portal-dev/portal/internal/ipam"
)

// apiserverFlags are the flags shared by `portal up` and `portal apiserver`.
type apiserverFlags struct {
	opts        apiserver.Options
	etcdServers string
}

func (f *apiserverFlags) add(fs *pflag.FlagSet) {
	f.opts.DataDir = defaultDataDir()
	fs.StringVar(&f.opts.DataDir, "data-dir", f.opts.DataDir, "data directory for embedded etcd, certificates and the kubeconfig (env PORTAL_DATA_DIR)")
	fs.StringVar(&f.opts.BindAddress, "bind-address", "127.0.0.1", "address the API server listens on; off loopback, credentials are required")
	fs.IntVar(&f.opts.Port, "secure-port", 6443, "the API server's HTTPS port")
	fs.StringVar(&f.etcdServers, "etcd-servers", "", "comma-separated external etcd client URLs (default: embedded etcd)")
	fs.StringVar(&f.opts.EtcdCAFile, "etcd-cafile", "", "CA file for external etcd")
	fs.StringVar(&f.opts.EtcdCertFile, "etcd-certfile", "", "client certificate for external etcd")
	fs.StringVar(&f.opts.EtcdKeyFile, "etcd-keyfile", "", "client key for external etcd")
	fs.StringVar(&f.opts.TokenFile, "token-auth-file", "", "static bearer tokens, CSV: token,user,uid,\"group1,group2\"")
	fs.StringSliceVar(&f.opts.ExtraSANs, "tls-san", nil, "extra names or addresses for the serving certificate")
	fs.StringVar(&f.opts.ServiceCIDR, "service-cluster-ip-range", apiserver.DefaultServiceCIDR, "CIDR ClusterIPs are allocated from; the default is on loopback so the rootless proxy can bind ClusterIPs")
	fs.StringVar(&f.opts.NodePortRange, "service-node-port-range", ipam.DefaultNodePortRange, "port range NodePorts are allocated from, first-last")
}

func (f *apiserverFlags) options() apiserver.Options {
	o := f.opts
	if f.etcdServers != "" {
		o.EtcdServers = strings.Split(f.etcdServers, ",")
	}
	o.Log = slog.Default().With("component", "apiserver")
	return o
}

func apiserverCommand() *cobra.Command {
	var f apiserverFlags
	cmd := &cobra.Command{
		Use:   "apiserver",
		Short: "Run only the Kubernetes-compatible API server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := signalContext()
			defer cancel()
			srv, err := apiserver.New(f.options())
			if err != nil {
				return err
			}
			return stoppedBySignal(ctx, srv.Run(ctx, func(r apiserver.Ready) {
				path := kubeconfigPath(f.opts.DataDir)
				if err := writeKubeconfig(srv.PKI(), r.URL, path); err != nil {
					slog.Error("write kubeconfig", "err", err)
					return
				}
				fmt.Fprintf(cmd.OutOrStdout(), "portal apiserver is serving on %s\nkubeconfig: %s\n", r.URL, path)
			}))
		},
	}
	f.add(cmd.Flags())
	return cmd
}
