package ctrlutil

import (
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SyncMetrics are the figures each endpoint controller keeps, named
// portal_<name>_sync_duration_seconds, portal_<name>_syncs_total{result}
// and portal_<name>_endpoints.
type SyncMetrics struct {
	duration  prometheus.Histogram
	syncs     *prometheus.CounterVec
	endpoints prometheus.Gauge

	mu    sync.Mutex
	byKey map[string]int
}

// NewSyncMetrics registers the metrics on reg; a nil reg keeps them
// unregistered. Registering twice on one registry (two controllers in one
// test process) reuses the collectors already there.
func NewSyncMetrics(reg prometheus.Registerer, name, endpointsHelp string) *SyncMetrics {
	m := &SyncMetrics{
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "portal_" + name + "_sync_duration_seconds",
			Help:    "Time one sync of the " + name + " controller took, from dequeue to the last API write.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_" + name + "_syncs_total",
			Help: "Syncs of the " + name + " controller by result: success, stale (informer behind, or a 409 Conflict: retried) or error.",
		}, []string{"result"}),
		endpoints: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "portal_" + name + "_endpoints",
			Help: endpointsHelp,
		}),
		byKey: map[string]int{},
	}
	if reg != nil {
		m.duration = register(reg, m.duration)
		m.syncs = register(reg, m.syncs)
		m.endpoints = register(reg, m.endpoints)
	}
	return m
}

func register[T prometheus.Collector](reg prometheus.Registerer, c T) T {
	if err := reg.Register(c); err != nil {
		var dup prometheus.AlreadyRegisteredError
		if errors.As(err, &dup) {
			if existing, ok := dup.ExistingCollector.(T); ok {
				return existing
			}
		}
	}
	return c
}

// Observe records one sync that started at start and ended with err.
func (m *SyncMetrics) Observe(start time.Time, err error) {
	m.duration.Observe(time.Since(start).Seconds())
	switch {
	case err == nil:
		m.syncs.WithLabelValues("success").Inc()
	case expected(err):
		m.syncs.WithLabelValues("stale").Inc()
	default:
		m.syncs.WithLabelValues("error").Inc()
	}
}

// SetEndpoints records that key now has n endpoints (n < 0 forgets key);
// the gauge is the sum over all keys.
func (m *SyncMetrics) SetEndpoints(key string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n < 0 {
		delete(m.byKey, key)
	} else {
		m.byKey[key] = n
	}
	total := 0
	for _, v := range m.byKey {
		total += v
	}
	m.endpoints.Set(float64(total))
}
