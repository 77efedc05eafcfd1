package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/portal-dev/portal/internal/agent/runner"
)

// Agent is a node agent. Build it with New, run it with Run, once.
type Agent struct {
	opts    Options
	client  kubernetes.Interface
	runner  runner.Interface
	log     *slog.Logger
	metrics *metrics
	machine machine
	// hostDNS is the node's own resolv.conf, for dnsPolicy Default.
	hostDNS dnsSettings

	// Set by Run before any goroutine that reads them starts.
	logPort        int
	podCIDR        netip.Prefix
	network        podNetwork
	pods           corelisters.PodLister
	podsSynced     cache.InformerSynced
	syncQueue      workqueue.TypedRateLimitingInterface[string]
	statusQueue    workqueue.TypedRateLimitingInterface[types.UID]
	lastNodeReport time.Time // owned by registration, then the node status loop

	records   *podRecords
	allocated atomic.Int64 // pod IPs, for the metric
	// stopping tracks the goroutines that stop pods; Run waits for them.
	stopping sync.WaitGroup
}

// New checks the options and builds the agent and its runner; it starts
// nothing.
func New(opts Options) (*Agent, error) {
	if err := opts.complete(); err != nil {
		return nil, err
	}
	client := opts.Client
	if client == nil {
		cfg := *opts.Config
		if cfg.QPS == 0 {
			cfg.QPS, cfg.Burst = 50, 100
		}
		c, err := kubernetes.NewForConfig(&cfg)
		if err != nil {
			return nil, fmt.Errorf("agent: %w", err)
		}
		client = c
	}
	log := opts.Log.With("node", opts.NodeName)
	r, err := opts.NewRunner(RunnerEnv{
		DataDir:   filepath.Join(opts.DataDir, "runner"),
		ImagePath: opts.ImagePath,
		NodeName:  opts.NodeName,
		Env:       clientEnvSource{client: client},
		Log:       log,
	})
	if err != nil {
		return nil, fmt.Errorf("agent: runner: %w", err)
	}
	a := &Agent{
		opts:    opts,
		client:  client,
		runner:  r,
		log:     log,
		machine: readMachine(opts.MaxPods),
		hostDNS: parseResolvConf("/etc/resolv.conf"),
		records: newPodRecords(),
	}
	a.metrics, err = newMetrics(opts.Metrics,
		func() float64 { return float64(a.records.len()) },
		func() float64 { return float64(a.allocated.Load()) })
	if err != nil {
		return nil, fmt.Errorf("agent: metrics: %w", err)
	}
	return a, nil
}

// NodeName is the name of the agent's Node.
func (a *Agent) NodeName() string { return a.opts.NodeName }

// Run registers the node, then runs pods, renews the lease, posts node
// status and serves logs until ctx ends. Pods keep their state on disk for
// the next Run; their processes stop with the runner.
func (a *Agent) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(a.opts.NodeAddress, strconv.Itoa(a.opts.LogPort)))
	if err != nil {
		return fmt.Errorf("agent: log server: %w", err)
	}
	defer ln.Close()
	a.logPort = ln.Addr().(*net.TCPAddr).Port
	tlsConfig, err := logServerTLS(filepath.Join(a.opts.DataDir, "pki"), a.opts.NodeName, a.opts.NodeAddress)
	if err != nil {
		return fmt.Errorf("agent: log server: %w", err)
	}

	node, err := a.registerNode(ctx)
	if err != nil {
		return err
	}
	if err := a.setupNetwork(ctx, node); err != nil {
		return err
	}

	factory := informers.NewSharedInformerFactoryWithOptions(a.client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", a.opts.NodeName).String()
		}))
	podInformer := factory.Core().V1().Pods()
	a.pods = podInformer.Lister()
	a.podsSynced = podInformer.Informer().HasSynced
	a.syncQueue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "agent_pods"})
	a.statusQueue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.DefaultTypedControllerRateLimiter[types.UID](),
		workqueue.TypedRateLimitingQueueConfig[types.UID]{Name: "agent_pod_status"})
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    a.enqueuePod,
		UpdateFunc: func(_, obj interface{}) { a.enqueuePod(obj) },
		DeleteFunc: a.enqueuePod,
	}); err != nil {
		return fmt.Errorf("agent: %w", err)
	}

	srv := &http.Server{
		Handler:           a.logHandler(),
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := a.runner.Run(gctx); err != nil && gctx.Err() == nil {
			return fmt.Errorf("agent: runner: %w", err)
		}
		return nil
	})
	g.Go(func() error { return a.runLease(gctx, node.UID) })
	g.Go(func() error { return a.runNodeStatus(gctx) })
	g.Go(func() error {
		err := srv.ServeTLS(ln, "", "")
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("agent: log server: %w", err)
	})
	g.Go(func() error {
		<-gctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
		a.syncQueue.ShutDown()
		a.statusQueue.ShutDown()
		return nil
	})
	g.Go(func() error { a.watchRunnerChanges(gctx); return nil })
	g.Go(func() error { return a.runPodWorkers(gctx) })
	g.Go(func() error { a.runStatusWorkers(gctx); return nil })
	factory.Start(gctx.Done())
	a.log.Info("agent running", "podNetwork", string(a.opts.PodNetwork), "podCIDR", a.podCIDR.String(),
		"logServer", ln.Addr().String())
	err = g.Wait()
	factory.Shutdown()
	a.stopping.Wait()
	return err
}

// setupNetwork builds the pod network. In netns mode a podCIDR already on
// the Node (assigned by a cluster) wins over the configured one.
func (a *Agent) setupNetwork(ctx context.Context, node *corev1.Node) error {
	cidr := a.opts.PodCIDR
	if a.opts.PodNetwork == PodNetworkNetns && node.Spec.PodCIDR != "" && node.Spec.PodCIDR != cidr {
		a.log.Info("using the node's podCIDR", "podCIDR", node.Spec.PodCIDR, "configured", cidr)
		cidr = node.Spec.PodCIDR
	}
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil {
		return fmt.Errorf("agent: pod CIDR: %w", err)
	}
	a.podCIDR = prefix.Masked()
	poolPath := filepath.Join(a.opts.DataDir, "pod-ips.json")
	switch a.opts.PodNetwork {
	case PodNetworkNetns:
		n, err := newNetnsNetwork(a.podCIDR, poolPath, a.opts.commands)
		if err != nil {
			return fmt.Errorf("agent: %w", err)
		}
		a.network = n
	default:
		pool, err := newIPPool(a.podCIDR, poolPath)
		if err != nil {
			return fmt.Errorf("agent: %w", err)
		}
		a.network = &loopbackNetwork{pool: pool}
	}
	if err := a.network.Init(ctx); err != nil {
		return fmt.Errorf("agent: pod network: %w", err)
	}
	a.allocated.Store(int64(a.network.Allocated()))
	return nil
}

func (a *Agent) enqueuePod(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	a.syncQueue.Add(key)
}
