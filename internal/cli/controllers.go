package cli

import (
	"github.com/spf13/cobra"
)

func controllersCommand() *cobra.Command {
	var kubeconfig string
	var cp controlPlaneFlags
	cmd := &cobra.Command{
		Use:   "controllers",
		Short: "Run only the controllers, against the API server in --kubeconfig",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ctx, cancel := signalContext()
			defer cancel()
			return stoppedBySignal(ctx, runControlPlane(ctx, kubeconfig, cp, ""))
		},
	}
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the API server")
	_ = cmd.MarkFlagRequired("kubeconfig")
	cp.add(cmd.Flags())
	return cmd
}
