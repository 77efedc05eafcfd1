package manager

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/portal-dev/portal/internal/controller/namespace"
	"github.com/portal-dev/portal/internal/controller/nodelifecycle"
	"github.com/portal-dev/portal/internal/controller/scheduler"
)

// Options configure the controllers.
type Options struct {
	// Config reaches the API server.
	Config *rest.Config
	Log    *slog.Logger
	// NodeMonitorGracePeriod is how long a node may go without renewing
	// its Lease before it is marked Unknown (default 40s).
	NodeMonitorGracePeriod time.Duration
}

// Manager runs the controllers.
type Manager struct {
	opts Options
}

// New checks the options; it starts nothing.
func New(opts Options) (*Manager, error) {
	if opts.Config == nil {
		return nil, fmt.Errorf("controllers: no API server config")
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &Manager{opts: opts}, nil
}

// Run runs every controller until ctx ends or one fails.
func (m *Manager) Run(ctx context.Context) error {
	cfg := rest.CopyConfig(m.opts.Config)
	cfg.QPS, cfg.Burst = 200, 400
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("controllers: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("controllers: %w", err)
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	ns := namespace.New(client, dyn, factory, m.opts.Log.With("controller", "namespace"))
	sched, err := scheduler.New(client, factory, scheduler.Options{Log: m.opts.Log.With("controller", "scheduler")})
	if err != nil {
		return err
	}
	lifecycle, err := nodelifecycle.New(client, factory, nodelifecycle.Options{
		GracePeriod: m.opts.NodeMonitorGracePeriod,
		Log:         m.opts.Log.With("controller", "nodelifecycle"),
	})
	if err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return ns.Run(ctx) })
	g.Go(func() error { return sched.Run(ctx) })
	g.Go(func() error { return lifecycle.Run(ctx) })
	return g.Wait()
}
