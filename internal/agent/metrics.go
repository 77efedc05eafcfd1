package agent

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the agent's Prometheus metrics, registered on
// Options.Metrics and served on the log server's /metrics.
type metrics struct {
	podSyncs          *prometheus.CounterVec // result: ok | error
	podStatusUpdates  *prometheus.CounterVec // result: ok | conflict | error
	podTerminations   *prometheus.CounterVec // result: ok | error
	leaseRenewals     *prometheus.CounterVec // result: ok | error
	nodeStatusUpdates *prometheus.CounterVec // result: ok | error
	logRequests       *prometheus.CounterVec // code: HTTP status
}

func newMetrics(reg prometheus.Registerer, pods, ips func() float64) (*metrics, error) {
	m := &metrics{
		podSyncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_agent_pod_syncs_total", Help: "Pod syncs handed to the runner, by result.",
		}, []string{"result"}),
		podStatusUpdates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_agent_pod_status_updates_total", Help: "Pod status updates sent to the API server, by result.",
		}, []string{"result"}),
		podTerminations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_agent_pod_terminations_total", Help: "Pods stopped and cleaned up, by result.",
		}, []string{"result"}),
		leaseRenewals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_agent_lease_renewals_total", Help: "Node Lease renewals, by result.",
		}, []string{"result"}),
		nodeStatusUpdates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_agent_node_status_updates_total", Help: "Node status updates sent to the API server, by result.",
		}, []string{"result"}),
		logRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_agent_log_requests_total", Help: "Container log requests served, by HTTP status code.",
		}, []string{"code"}),
	}
	collectors := []prometheus.Collector{
		m.podSyncs, m.podStatusUpdates, m.podTerminations, m.leaseRenewals, m.nodeStatusUpdates, m.logRequests,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "portal_agent_pods", Help: "Pods the agent is running or stopping.",
		}, pods),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "portal_agent_pod_ips_allocated", Help: "Pod IPs allocated on this node.",
		}, ips),
	}
	for _, c := range collectors {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
