package runner

import "github.com/prometheus/client_golang/prometheus"

// metrics are the runner's optional Prometheus counters; a nil *metrics
// counts nothing.
type metrics struct {
	starts *prometheus.CounterVec
	probes *prometheus.CounterVec
}

// newMetrics registers the counters with reg (nil: no metrics). A counter
// already registered (a second Runner on the same registry) is shared.
func newMetrics(reg prometheus.Registerer) *metrics {
	if reg == nil {
		return nil
	}
	m := &metrics{
		starts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_runner_container_starts_total",
			Help: "Container processes started by the pod runner.",
		}, nil),
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_runner_probe_results_total",
			Help: "Probe results, by probe (startup, readiness, liveness) and result (success, failure, unknown).",
		}, []string{"probe", "result"}),
	}
	m.starts = register(reg, m.starts)
	m.probes = register(reg, m.probes)
	return m
}

func register(reg prometheus.Registerer, c *prometheus.CounterVec) *prometheus.CounterVec {
	if err := reg.Register(c); err != nil {
		if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
			if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing
			}
		}
	}
	return c
}

func (m *metrics) started() {
	if m != nil {
		m.starts.WithLabelValues().Inc()
	}
}

func (m *metrics) probed(k probeKind, r result) {
	if m != nil {
		m.probes.WithLabelValues(k.String(), r.String()).Inc()
	}
}
