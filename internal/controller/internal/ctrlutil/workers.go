package ctrlutil

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/util/workqueue"
)

// MaxRetries is how often a key is retried (with the queue's exponential
// backoff, 5ms doubling: about 82s in all) before it is dropped until its
// next event, as kube's controllers do.
const MaxRetries = 15

// ErrStale is returned by a sync that found its informer cache older than
// its own last writes; the key is retried without a warning.
var ErrStale = errors.New("informer cache is out of date")

// expected reports whether err is a normal consequence of racing the
// informer: ErrStale, or a write that lost an optimistic-concurrency race
// (409 Conflict, or AlreadyExists for a create the cache did not show yet),
// possibly inside an aggregate of several writes' errors.
func expected(err error) bool {
	if errors.Is(err, ErrStale) || apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
		return true
	}
	var agg utilerrors.Aggregate
	if errors.As(err, &agg) {
		for _, e := range agg.Errors() {
			if !expected(e) {
				return false
			}
		}
		return len(agg.Errors()) > 0
	}
	return false
}

// NewQueue returns the rate-limited queue of namespace/name keys the
// controllers use.
func NewQueue(name string) workqueue.TypedRateLimitingInterface[string] {
	return workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: name})
}

// RunWorkers runs workers goroutines that take keys from q and pass them to
// syncKey, until ctx ends; it shuts q down and returns once they have stopped.
// A key whose sync fails is retried with backoff up to MaxRetries times.
func RunWorkers(ctx context.Context, q workqueue.TypedRateLimitingInterface[string], workers int, log *slog.Logger, syncKey func(context.Context, string) error) {
	go func() {
		<-ctx.Done()
		q.ShutDown()
	}()
	if workers < 1 {
		workers = 1
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for next(ctx, q, log, syncKey) {
			}
		})
	}
	wg.Wait()
}

func next(ctx context.Context, q workqueue.TypedRateLimitingInterface[string], log *slog.Logger, syncKey func(context.Context, string) error) bool {
	key, quit := q.Get()
	if quit {
		return false
	}
	defer q.Done(key)
	err := syncKey(ctx, key)
	switch {
	case err == nil:
		q.Forget(key)
	case ctx.Err() != nil:
		// Shutting down: the error is the cancellation's.
	case q.NumRequeues(key) < MaxRetries:
		if expected(err) {
			log.Debug("sync retried", "key", key, "err", err)
		} else {
			log.Warn("sync failed, retrying", "key", key, "err", err)
		}
		q.AddRateLimited(key)
	default:
		log.Error("sync failed, dropping key until its next change", "key", key, "err", err)
		q.Forget(key)
	}
	return true
}
