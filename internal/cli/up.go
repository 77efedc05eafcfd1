package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/component-base/metrics/legacyregistry"

	"github.com/portal-dev/portal/internal/apiserver"
	"github.com/portal-dev/portal/internal/controller/manager"
)

func upCommand() *cobra.Command {
	var f apiserverFlags
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run everything on this machine: API server with embedded etcd, controllers and the node agent",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := signalContext()
			defer cancel()
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
					return runControlPlane(ctx, path)
				}
			})
			err = g.Wait()
			slog.Info("portal stopped")
			return err
		},
	}
	f.add(cmd.Flags())
	return cmd
}

// runControlPlane runs the controllers against the API server named in the
// kubeconfig until ctx ends.
func runControlPlane(ctx context.Context, kubeconfig string) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("controllers: %w", err)
	}
	mgr, err := manager.New(manager.Options{
		Config: cfg, Log: slog.Default().With("component", "controllers"),
		// The API server's registry: its /metrics shows the controllers'.
		Metrics: legacyregistry.Registerer(),
	})
	if err != nil {
		return err
	}
	return mgr.Run(ctx)
}
