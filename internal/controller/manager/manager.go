package manager

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/portal-dev/portal/internal/controller/cronjob"
	"github.com/portal-dev/portal/internal/controller/deployment"
	"github.com/portal-dev/portal/internal/controller/endpoints"
	"github.com/portal-dev/portal/internal/controller/endpointslice"
	"github.com/portal-dev/portal/internal/controller/endpointslicemirroring"
	"github.com/portal-dev/portal/internal/controller/events"
	"github.com/portal-dev/portal/internal/controller/garbagecollector"
	"github.com/portal-dev/portal/internal/controller/job"
	"github.com/portal-dev/portal/internal/controller/loadbalancer"
	"github.com/portal-dev/portal/internal/controller/namespace"
	"github.com/portal-dev/portal/internal/controller/nodelifecycle"
	"github.com/portal-dev/portal/internal/controller/replicaset"
	"github.com/portal-dev/portal/internal/controller/scheduler"
	"github.com/portal-dev/portal/internal/controller/statefulset"
	"github.com/portal-dev/portal/internal/ipam/lb"
)

// Options configure the controllers.
type Options struct {
	// Config reaches the API server.
	Config *rest.Config
	Log    *slog.Logger
	// LoadBalancerPools are the addresses Services of type LoadBalancer
	// get. None (the default) leaves them <pending>.
	LoadBalancerPools []lb.Pool
	// Identity names this process in the leader election on the Lease
	// kube-system/portal-controllers; only the holder runs controllers.
	// Empty means RandomIdentity(). A process that restarts with the
	// identity it had takes its lease back at once instead of waiting for
	// it to expire.
	Identity string
	// Metrics receives the controllers' metrics; nil keeps them private.
	Metrics prometheus.Registerer
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
	if err := lb.ValidatePools(opts.LoadBalancerPools); err != nil {
		return nil, fmt.Errorf("controllers: %w", err)
	}
	return &Manager{opts: opts}, nil
}

// Run runs every controller until ctx ends or one fails, while this process
// holds the controllers' Lease (see election).
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
	return newElection(client, m.opts.Identity, m.opts.Log).lead(ctx, func(ctx context.Context) error {
		return m.run(ctx, client, dyn, md)
	})
}

// run runs every controller for one term as leader: fresh informers, so a
// new term starts from what the API holds, not from a previous term's cache.
func (m *Manager) run(ctx context.Context, client kubernetes.Interface, dyn dynamic.Interface, md metadata.Interface) error {
	factory := informers.NewSharedInformerFactory(client, 0)
	log, reg := m.opts.Log, m.opts.Metrics
	sched, err := scheduler.New(client, factory, scheduler.Options{Log: log.With("controller", "scheduler")})
	if err != nil {
		return err
	}
	lifecycle, err := nodelifecycle.New(client, factory, nodelifecycle.Options{
		GracePeriod: m.opts.NodeMonitorGracePeriod,
		Log:         log.With("controller", "nodelifecycle"),
	})
	if err != nil {
		return err
	}
	recorder := events.NewRecorder(client, events.Component)
	defer recorder.Shutdown()
	lbc, err := loadbalancer.New(client, factory, recorder, m.opts.LoadBalancerPools, log.With("controller", "loadbalancer"))
	if err != nil {
		return fmt.Errorf("controllers: %w", err)
	}
	controllers := []interface{ Run(context.Context) error }{
		namespace.New(client, dyn, factory, log.With("controller", "namespace")),
		lbc,
		endpointslice.New(client, factory, endpointslice.Options{Metrics: reg, Log: log.With("controller", "endpointslice")}),
		endpoints.New(client, factory, endpoints.Options{Metrics: reg, Log: log.With("controller", "endpoints")}),
		endpointslicemirroring.New(client, factory, endpointslicemirroring.Options{Metrics: reg, Log: log.With("controller", "endpointslicemirroring")}),
		statefulset.New(client, factory, nil, log.With("controller", "statefulset")),
		job.New(client, factory, nil, log.With("controller", "job")),
		cronjob.New(client, factory, nil, log.With("controller", "cronjob")),
		replicaset.New(client, factory, log.With("controller", "replicaset")),
		deployment.New(client, factory, log.With("controller", "deployment")),
		garbagecollector.New(md, client.Discovery(), log.With("controller", "garbagecollector")),
		sched,
		lifecycle,
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	g, ctx := errgroup.WithContext(ctx)
	for _, c := range controllers {
		g.Go(func() error { return c.Run(ctx) })
	}
	return g.Wait()
}
