package etcdstore

import (
	"context"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Sync reloads the cache from etcd: every recorded value in range, plus the
// values local transactions are claiming. Call it once before serving, and
// again whenever the cache may have drifted; AllocateNext does when the
// cache looks full.
func (a *Allocator[T]) Sync(ctx context.Context) error {
	resp, err := a.client.Get(ctx, a.prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pool.Reset()
	for _, kv := range resp.Kvs {
		if v, err := a.kind.parse(strings.TrimPrefix(string(kv.Key), a.prefix)); err == nil {
			_ = a.pool.Allocate(v) // out-of-range records are the repair loop's business
		}
	}
	for v := range a.inflight {
		_ = a.pool.Allocate(v)
	}
	a.synced = resp.Header.Revision
	if a.watched < a.synced {
		a.watched = a.synced
	}
	a.log.Debug("allocation cache synced", "revision", a.synced, "used", a.pool.Used())
	return nil
}

// Run keeps the cache current by watching the allocation prefix until ctx
// ends, so that values other API servers allocate or release are seen
// without a conflict first. It resyncs when the watch breaks (etcd
// compacted the revision, the member went away). It returns nil when ctx
// ends.
func (a *Allocator[T]) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		a.mu.Lock()
		from := a.watched
		a.mu.Unlock()
		if from == 0 {
			if err := a.Sync(ctx); err != nil {
				a.log.Warn("allocation cache sync failed", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		if !a.watch(ctx, from+1) {
			sleep(ctx, 100*time.Millisecond)
		}
	}
	return nil
}

// watch applies events from rev on until the watch ends; false when it
// broke and the cache must be resynced.
func (a *Allocator[T]) watch(ctx context.Context, rev int64) bool {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for resp := range a.client.Watch(wctx, a.prefix, clientv3.WithPrefix(), clientv3.WithRev(rev)) {
		if err := resp.Err(); err != nil {
			a.log.Info("allocation watch ended, resyncing", "err", err)
			a.mu.Lock()
			a.watched = 0
			a.mu.Unlock()
			return false
		}
		a.apply(resp.Events)
	}
	return ctx.Err() != nil
}

func (a *Allocator[T]) apply(events []*clientv3.Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ev := range events {
		rev := ev.Kv.ModRevision
		if rev > a.watched {
			a.watched = rev
		}
		if rev <= a.synced {
			continue // the last Sync already saw it
		}
		v, err := a.kind.parse(strings.TrimPrefix(string(ev.Kv.Key), a.prefix))
		if err != nil {
			continue
		}
		switch ev.Type {
		case mvccpb.PUT:
			_ = a.pool.Allocate(v)
		case mvccpb.DELETE:
			if a.inflight[v] == 0 {
				a.pool.Release(v)
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
