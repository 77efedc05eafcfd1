package cli

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
)

// Main runs the portal command line and returns the process exit code.
func Main(args []string) int {
	root := &cobra.Command{
		Use:           "portal",
		Short:         "Kubernetes Service networking as one program",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	var logLevel string
	root.PersistentFlags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		return setupLogging(logLevel)
	}
	root.AddCommand(upCommand(), apiserverCommand(), controllersCommand(), agentCommand(), kubeconfigCommand(), versionCommand())
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		return 1
	}
	return 0
}

func setupLogging(level string) error {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
	slog.SetDefault(logger)
	// k8s.io libraries log through klog; send it to slog, quietly.
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("v", "0")
	if l > slog.LevelInfo {
		_ = fs.Set("stderrthreshold", "ERROR")
	}
	klog.SetSlogLogger(logger.With("component", "k8s"))
	return nil
}

// signalContext ends on SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// defaultDataDir is $PORTAL_DATA_DIR, or ~/.portal.
func defaultDataDir() string {
	if d := os.Getenv("PORTAL_DATA_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".portal"
	}
	return filepath.Join(home, ".portal")
}

// stoppedBySignal turns the cancellation a SIGINT or SIGTERM causes into a
// clean exit; any other error stands.
func stoppedBySignal(sigCtx context.Context, err error) error {
	if err != nil && sigCtx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
