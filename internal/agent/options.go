package agent

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/portal-dev/portal/internal/agent/runner"
)

// PodNetwork is how pods get their addresses.
type PodNetwork string

const (
	// PodNetworkLoopback gives each pod its own loopback address from the
	// pod range; processes share the host's network namespace and bind
	// $POD_IP. It needs no privileges.
	PodNetworkLoopback PodNetwork = "loopback"
	// PodNetworkNetns gives each pod a network namespace with a veth on the
	// portal0 bridge and an address from the node's podCIDR. Root only.
	PodNetworkNetns PodNetwork = "netns"
)

// Defaults of the options below.
const (
	DefaultLoopbackPodCIDR = "127.244.0.0/16"
	DefaultNetnsPodCIDR    = "10.244.0.0/24"
	DefaultNodeAddress     = "127.0.0.1"
	DefaultClusterDNS      = "127.96.0.10"
	DefaultClusterDomain   = "cluster.local"
	// DefaultMaxPods is the pods capacity the node reports, as kubelet's
	// --max-pods default.
	DefaultMaxPods = 110
)

// RunnerEnv is what the agent hands the runner constructor.
type RunnerEnv struct {
	// DataDir is the runner's own directory (<agent data dir>/runner), for
	// logs and state.
	DataDir string
	// ImagePath lists the directories images are looked up in.
	ImagePath []string
	// NodeName is the agent's node.
	NodeName string
	// Env resolves ConfigMap and Secret references through the agent's
	// client.
	Env runner.EnvSource
	// Log is the runner's logger (the agent's, with the node name).
	Log *slog.Logger
}

// Options configure an Agent. Durations are wall-clock; zero means the
// default given on each field.
type Options struct {
	// Config reaches the API server (any Kubernetes API). Ignored when
	// Client is set.
	Config *rest.Config
	// Client is the API client; tests pass a fake clientset. Default: one
	// built from Config.
	Client kubernetes.Interface

	// NodeName is the Node this agent registers and runs pods for
	// (default: the hostname, lowercased).
	NodeName string
	// NodeAddress is the node's InternalIP, where the log server listens
	// (default 127.0.0.1).
	NodeAddress string
	// PodNetwork is loopback (default) or netns.
	PodNetwork PodNetwork
	// PodCIDR is the range pod IPs come from. loopback: any 127.x range
	// (default 127.244.0.0/16). netns: the node's pod CIDR, whose first
	// address is the bridge's (default 10.244.0.0/24; a podCIDR already on
	// the Node object, as a cluster's controller-manager assigns it, wins).
	PodCIDR string
	// DataDir holds the agent's state: pod IPs, pod directories, the log
	// server's certificate and the runner's directory. Required.
	DataDir string
	// ImagePath is passed to the runner: where images (programs) are found.
	ImagePath []string
	// ClusterDNS is the nameserver written into pods' resolv.conf
	// (default 127.96.0.10).
	ClusterDNS string
	// ClusterDomain is the DNS zone of the cluster (default cluster.local).
	ClusterDomain string
	// LogPort is the log server's port on NodeAddress; 0 picks a free one.
	// Either way it is published as the Node's daemonEndpoints port.
	LogPort int
	// MaxPods is the pods capacity reported (default 110).
	MaxPods int

	// NewRunner builds the pod runner; it is called once, by New, and must
	// start nothing (Run starts it). Required.
	NewRunner func(RunnerEnv) (runner.Interface, error)

	// LeaseDuration is the node Lease's leaseDurationSeconds (default 40s).
	LeaseDuration time.Duration
	// LeaseRenewInterval is how often the Lease is renewed (default 10s).
	LeaseRenewInterval time.Duration
	// NodeStatusUpdateFrequency is how often node status is computed and
	// posted if it changed (default 10s).
	NodeStatusUpdateFrequency time.Duration
	// NodeStatusReportFrequency is how often node status is posted even
	// when unchanged (default 5m, as kubelet).
	NodeStatusReportFrequency time.Duration
	// StatusMinInterval is the shortest time between two status updates of
	// one pod: changes within it are merged into one update (default 100ms).
	StatusMinInterval time.Duration

	// Log receives the agent's logs (default slog.Default()).
	Log *slog.Logger
	// Metrics is where the agent registers its metrics, also served on the
	// log server's /metrics (default: a registry of its own).
	Metrics *prometheus.Registry

	// commands runs ip(8) in netns mode; tests replace it.
	commands commander
}

// complete fills defaults and checks the options.
func (o *Options) complete() error {
	if o.Client == nil && o.Config == nil {
		return errors.New("agent: no API client config")
	}
	if o.DataDir == "" {
		return errors.New("agent: no data directory")
	}
	if o.NewRunner == nil {
		return errors.New("agent: no runner constructor")
	}
	if o.NodeName == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("agent: node name: %w", err)
		}
		o.NodeName = strings.ToLower(h)
	}
	if o.NodeAddress == "" {
		o.NodeAddress = DefaultNodeAddress
	}
	if _, err := netip.ParseAddr(o.NodeAddress); err != nil {
		return fmt.Errorf("agent: node address %q is not an IP", o.NodeAddress)
	}
	switch o.PodNetwork {
	case "":
		o.PodNetwork = PodNetworkLoopback
	case PodNetworkLoopback:
	case PodNetworkNetns:
		if os.Geteuid() != 0 {
			return errors.New("agent: the netns pod network needs root (network namespaces, veths, a bridge); use --pod-network=loopback")
		}
	default:
		return fmt.Errorf("agent: pod network %q: want loopback or netns", o.PodNetwork)
	}
	if o.PodCIDR == "" {
		o.PodCIDR = DefaultLoopbackPodCIDR
		if o.PodNetwork == PodNetworkNetns {
			o.PodCIDR = DefaultNetnsPodCIDR
		}
	}
	p, err := netip.ParsePrefix(o.PodCIDR)
	if err != nil {
		return fmt.Errorf("agent: pod CIDR: %w", err)
	}
	if o.PodNetwork == PodNetworkLoopback && !p.Addr().IsLoopback() {
		return fmt.Errorf("agent: pod CIDR %s is not a loopback range, which the loopback pod network needs", o.PodCIDR)
	}
	if o.ClusterDNS == "" {
		o.ClusterDNS = DefaultClusterDNS
	}
	if o.ClusterDomain == "" {
		o.ClusterDomain = DefaultClusterDomain
	}
	if o.MaxPods == 0 {
		o.MaxPods = DefaultMaxPods
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.LeaseDuration, 40*time.Second)
	def(&o.LeaseRenewInterval, 10*time.Second)
	def(&o.NodeStatusUpdateFrequency, 10*time.Second)
	def(&o.NodeStatusReportFrequency, 5*time.Minute)
	def(&o.StatusMinInterval, 100*time.Millisecond)
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = prometheus.NewRegistry()
	}
	if o.commands == nil {
		o.commands = execCommander{}
	}
	return nil
}
