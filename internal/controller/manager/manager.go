package manager

import (
	"context"
	"fmt"
	"log/slog"

	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/portal-dev/portal/internal/controller/deployment"
	"github.com/portal-dev/portal/internal/controller/garbagecollector"
	"github.com/portal-dev/portal/internal/controller/namespace"
	"github.com/portal-dev/portal/internal/controller/replicaset"
)

// Options configure the controllers.
type Options struct {
	// Config reaches the API server.
	Config *rest.Config
	Log    *slog.Logger
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
	// The garbage collector watches every group's preferred version,
	// deprecated groups (extensions) too; their warnings are only noise.
	mdCfg := rest.CopyConfig(cfg)
	mdCfg.WarningHandler = rest.NoWarnings{}
	md, err := metadata.NewForConfig(mdCfg)
	if err != nil {
		return fmt.Errorf("controllers: %w", err)
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	ns := namespace.New(client, dyn, factory, m.opts.Log.With("controller", "namespace"))
	rs := replicaset.New(client, factory, m.opts.Log.With("controller", "replicaset"))
	deploy := deployment.New(client, factory, m.opts.Log.With("controller", "deployment"))
	gc := garbagecollector.New(md, client.Discovery(), m.opts.Log.With("controller", "garbagecollector"))
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return ns.Run(ctx) })
	g.Go(func() error { return rs.Run(ctx) })
	g.Go(func() error { return deploy.Run(ctx) })
	g.Go(func() error { return gc.Run(ctx) })
	return g.Wait()
}
