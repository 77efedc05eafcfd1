package ctrlutil

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
)

func TestRunWorkersRetriesThenForgets(t *testing.T) {
	q := NewQueue("test")
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	calls := map[string]int{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		RunWorkers(ctx, q, 2, slog.New(slog.DiscardHandler), func(_ context.Context, key string) error {
			mu.Lock()
			defer mu.Unlock()
			calls[key]++
			switch {
			case key == "ok":
				return nil
			case key == "flaky" && calls[key] < 3:
				return ErrStale
			case key == "flaky":
				return nil
			}
			return errors.New("always")
		})
	}()
	q.Add("ok")
	q.Add("flaky")
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := calls["flaky"]
		mu.Unlock()
		if n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("flaky synced %d times", n)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if calls["ok"] != 1 || q.NumRequeues("flaky") != 0 {
		t.Errorf("calls %v, flaky requeues %d", calls, q.NumRequeues("flaky"))
	}
}

func TestSyncMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewSyncMetrics(reg, "demo", "help")
	// A second controller on the same registry shares the collectors.
	m2 := NewSyncMetrics(reg, "demo", "help")
	m.Observe(time.Now(), nil)
	m.Observe(time.Now(), fmt.Errorf("x: %w", ErrStale))
	m2.Observe(time.Now(), errors.New("boom"))
	m.SetEndpoints("a", 3)
	m.SetEndpoints("b", 4)
	m.SetEndpoints("a", -1)
	for result, want := range map[string]float64{"success": 1, "stale": 1, "error": 1} {
		if got := testutil.ToFloat64(m.syncs.WithLabelValues(result)); got != want {
			t.Errorf("syncs{result=%s} = %v, want %v", result, got, want)
		}
	}
	if got := testutil.ToFloat64(m.endpoints); got != 4 {
		t.Errorf("endpoints = %v, want 4", got)
	}
	if n, err := testutil.GatherAndCount(reg, "portal_demo_sync_duration_seconds"); err != nil || n != 1 {
		t.Errorf("histogram series %d, %v", n, err)
	}
}

func TestExpected(t *testing.T) {
	conflict := apierrors.NewConflict(schema.GroupResource{Resource: "endpoints"}, "x", errors.New("modified"))
	cases := []struct {
		err  error
		want bool
	}{
		{ErrStale, true},
		{fmt.Errorf("slices: %w", ErrStale), true},
		{conflict, true},
		{fmt.Errorf("write: %w", conflict), true},
		{utilerrors.NewAggregate([]error{conflict, fmt.Errorf("x: %w", conflict)}), true},
		{utilerrors.NewAggregate([]error{conflict, errors.New("boom")}), false},
		{apierrors.NewAlreadyExists(schema.GroupResource{Resource: "endpoints"}, "x"), true},
		{errors.New("boom"), false},
	}
	for _, tc := range cases {
		if got := expected(tc.err); got != tc.want {
			t.Errorf("expected(%v) = %t, want %t", tc.err, got, tc.want)
		}
	}
}
