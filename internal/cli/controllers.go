package cli

import (
	"github.com/spf13/cobra"

	"github.com/portal-dev/portal/internal/controller/manager"
)

func controllersCommand() *cobra.Command {
	var kubeconfig string
	var pools poolsFlag
	cmd := &cobra.Command{
		Use:   "controllers",
		Short: "Run only the controllers, against the API server in --kubeconfig",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ctx, cancel := signalContext()
			defer cancel()
			return stoppedBySignal(ctx, runControlPlane(ctx, kubeconfig, manager.Options{LoadBalancerPools: pools.pools}))
		},
	}
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the API server")
	_ = cmd.MarkFlagRequired("kubeconfig")
	addPoolsFlag(cmd.Flags(), &pools)
	return cmd
}
