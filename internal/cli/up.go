package cli

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/component-base/metrics/legacyregistry"

	"github.com/portal-dev/portal/internal/apiserver"
	"github.com/portal-dev/portal/internal/controller/manager"
)

func upCommand() *cobra.Command {
	var f apiserverFlags
	var cp controlPlaneFlags
	var af agentFlags
	var runNodeAgent bool
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run everything on this machine: API server with embedded etcd, controllers and the node agent",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sigCtx, cancel := signalContext()
			defer cancel()
			ctx := sigCtx
			srv, err := apiserver.New(f.options())
			if err != nil {
				return err
			}
			path := kubeconfigPath(f.opts.DataDir)
			ready := make(chan apiserver.Ready, 1)
			g, ctx := errgroup.WithContext(ctx)
			g.Go(func() error {
				return srv.Run(ctx, func(r apiserver.Ready) { ready <- r })
			})
			g.Go(func() error {
				select {
				case <-ctx.Done():
					return nil
				case r := <-ready:
					if err := writeKubeconfig(srv.PKI(), r.URL, path); err != nil {
						return fmt.Errorf("write kubeconfig: %w", err)
					}
					fmt.Fprintf(cmd.OutOrStdout(), "portal is up: API server %s\n\n  export KUBECONFIG=%s\n  kubectl get namespaces\n\n", r.URL, path)
					cfg, err := clientcmd.BuildConfigFromFlags("", path)
					if err != nil {
						return fmt.Errorf("agent: %w", err)
					}
					// The node agent runs beside the controllers, with its
					// state in <data-dir>/agent.
					if runNodeAgent {
						g.Go(func() error { return runAgent(ctx, cfg, filepath.Join(f.opts.DataDir, "agent"), af) })
					}
					return runControlPlane(ctx, path, cp, upIdentity(f.opts.DataDir))
				}
			})
			err = g.Wait()
			slog.Info("portal stopped")
			return stoppedBySignal(sigCtx, err)
		},
	}
	f.add(cmd.Flags())
	cp.add(cmd.Flags())
	af.add(cmd.Flags())
	cmd.Flags().BoolVar(&runNodeAgent, "agent", true, "run the node agent on this machine; --agent=false runs only the control plane (for agents started elsewhere with `portal agent`)")
	return cmd
}

// runControlPlane runs the controllers against the API server named in the
// kubeconfig until ctx ends. identity names this process in the
// controllers' leader election (empty: a random one).
func runControlPlane(ctx context.Context, kubeconfig string, cp controlPlaneFlags, identity string) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("controllers: %w", err)
	}
	opts := manager.Options{
		Config:                 cfg,
		Log:                    slog.Default().With("component", "controllers"),
		NodeMonitorGracePeriod: cp.nodeMonitorGracePeriod,
		LoadBalancerPools:      cp.pools.pools,
		Identity:               identity,
		// The API server's registry: its /metrics shows the controllers'.
		Metrics: legacyregistry.Registerer(),
	}
	mgr, err := manager.New(opts)
	if err != nil {
		return err
	}
	return mgr.Run(ctx)
}

// upIdentity is the leader-election identity of `portal up` on dataDir: the
// same across restarts, so a restarted portal takes its controllers' lease
// back at once, and different for every data directory.
func upIdentity(dataDir string) string {
	host, _ := os.Hostname()
	if abs, err := filepath.Abs(dataDir); err == nil {
		dataDir = abs
	}
	sum := sha256.Sum256([]byte(dataDir))
	return fmt.Sprintf("portal-up_%s_%x", host, sum[:6])
}
