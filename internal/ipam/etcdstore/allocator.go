package etcdstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/portal-dev/portal/internal/ipam"
)

// maxConflicts bounds how many candidates in a row AllocateNext may find
// taken by other API servers before it gives up.
const maxConflicts = 64

// Entry is one recorded allocation.
type Entry[T comparable] struct {
	Value T
	Owner ipam.Owner
	// ModRevision is the key's last etcd revision, for the compare-and-swap
	// methods.
	ModRevision int64
}

// kind is what differs between cluster IPs and node ports.
type kind[T comparable] struct {
	name         string
	format       func(T) string
	parse        func(string) (T, error)
	errAllocated error
}

// Allocator hands out values of one kind, recording each in etcd. It is
// safe for concurrent use. The zero value is not usable; use NewClusterIPs or
// NewNodePorts.
type Allocator[T comparable] struct {
	client *clientv3.Client
	prefix string
	kind   kind[T]
	log    *slog.Logger

	mu   sync.Mutex
	pool ipam.Pool[T]
	// inflight counts local transactions under way per value: a Sync or a
	// watched delete must not unmark a value this server is claiming.
	inflight map[T]int
	// synced is the revision of the last Sync; watched events up to it are
	// already reflected in pool.
	synced int64
	// watched is the last revision Run has applied.
	watched int64
}

// NewClusterIPs returns the allocator of cluster IPs out of r, keyed under
// root+"/serviceallocations/clusterips/" (root is the storage prefix,
// "/registry"). It starts nothing; call Sync, then Run in a goroutine.
func NewClusterIPs(client *clientv3.Client, root string, r *ipam.Range, log *slog.Logger) *Allocator[netip.Addr] {
	return newAllocator(client, root, "clusterips", r, log, kind[netip.Addr]{
		name:         "clusterIP",
		format:       netip.Addr.String,
		parse:        netip.ParseAddr,
		errAllocated: ipam.ErrIPAllocated,
	})
}

// NewNodePorts returns the allocator of node ports out of r, keyed under
// root+"/serviceallocations/nodeports/".
func NewNodePorts(client *clientv3.Client, root string, r *ipam.PortRange, log *slog.Logger) *Allocator[int] {
	return newAllocator(client, root, "nodeports", r, log, kind[int]{
		name:         "nodePort",
		format:       strconv.Itoa,
		parse:        strconv.Atoi,
		errAllocated: ipam.ErrPortAllocated,
	})
}

func newAllocator[T comparable](client *clientv3.Client, root, dir string, pool ipam.Pool[T], log *slog.Logger, k kind[T]) *Allocator[T] {
	if log == nil {
		log = slog.Default()
	}
	return &Allocator[T]{
		client:   client,
		prefix:   strings.TrimSuffix(root, "/") + "/serviceallocations/" + dir + "/",
		kind:     k,
		log:      log.With("allocator", k.name),
		pool:     pool,
		inflight: map[T]int{},
	}
}

// Prefix is the etcd key prefix of the allocations, ending in "/".
func (a *Allocator[T]) Prefix() string { return a.prefix }

// Range is the range values come from ("10.96.0.0/12", "30000-32767").
func (a *Allocator[T]) Range() string { return a.pool.String() }

// Contains reports whether v lies in the range.
func (a *Allocator[T]) Contains(v T) bool { return a.pool.Contains(v) }

// Used is how many values the local cache believes allocated. Count asks
// etcd.
func (a *Allocator[T]) Used() int { return a.pool.Used() }

func (a *Allocator[T]) key(v T) string { return a.prefix + a.kind.format(v) }

func ownerValue(o ipam.Owner) string {
	b, _ := json.Marshal(o) // a struct of strings always marshals
	return string(b)
}

// Allocate records v for owner. It fails with a *ipam.RangeError when v is
// out of range and with ipam.ErrIPAllocated or ipam.ErrPortAllocated when
// etcd already holds v, for whichever owner.
func (a *Allocator[T]) Allocate(ctx context.Context, v T, owner ipam.Owner) error {
	if !a.pool.Contains(v) {
		return a.pool.Allocate(v) // the pool words the range error
	}
	a.claim(v)
	ok, err := a.create(ctx, v, owner)
	a.settle(v, err == nil)
	switch {
	case err != nil:
		return err
	case !ok:
		return a.kind.errAllocated
	}
	return nil
}

// AllocateNext records a random free value for owner: from the dynamic band
// while the cache sees room there, else from the static band. A candidate
// another API server took meanwhile is marked and another one tried. It
// fails with ipam.ErrFull when the range is full.
func (a *Allocator[T]) AllocateNext(ctx context.Context, owner ipam.Owner) (T, error) {
	var zero T
	resynced := false
	for conflicts := 0; ; {
		a.mu.Lock()
		v, err := a.pool.AllocateNext()
		if err == nil {
			a.inflight[v]++
		}
		a.mu.Unlock()
		if errors.Is(err, ipam.ErrFull) && !resynced {
			// The cache may hold values released by other servers.
			if err := a.Sync(ctx); err != nil {
				return zero, err
			}
			resynced = true
			continue
		}
		if err != nil {
			return zero, err
		}
		ok, err := a.create(ctx, v, owner)
		a.settle(v, err == nil)
		if err != nil {
			return zero, err
		}
		if ok {
			return v, nil
		}
		conflicts++
		a.log.Debug("candidate taken by another API server", "value", a.kind.format(v), "conflicts", conflicts)
		if conflicts == maxConflicts/8 && !resynced {
			if err := a.Sync(ctx); err != nil {
				return zero, err
			}
			resynced = true
		}
		if conflicts >= maxConflicts {
			return zero, fmt.Errorf("%d %s candidates in a row were taken by other API servers", conflicts, a.kind.name)
		}
	}
}

// Release deletes v's record if owner holds it. A value nobody holds is
// released already (nil); one another Service holds is left alone
// (ipam.ErrNotOwner).
func (a *Allocator[T]) Release(ctx context.Context, v T, owner ipam.Owner) error {
	key := a.key(v)
	resp, err := a.client.Txn(ctx).
		If(clientv3.Compare(clientv3.Value(key), "=", ownerValue(owner))).
		Then(clientv3.OpDelete(key)).
		Else(clientv3.OpGet(key)).
		Commit()
	if err != nil {
		return fmt.Errorf("release %s %s: %w", a.kind.name, a.kind.format(v), err)
	}
	if !resp.Succeeded {
		if kvs := resp.Responses[0].GetResponseRange().GetKvs(); len(kvs) > 0 {
			var holder ipam.Owner
			_ = json.Unmarshal(kvs[0].Value, &holder)
			return fmt.Errorf("%s %s is held by %s (uid %s), not %s: %w", a.kind.name, a.kind.format(v), holder, holder.UID, owner, ipam.ErrNotOwner)
		}
	}
	a.forget(v)
	return nil
}

// Check reports, without recording anything, whether Allocate(v, owner)
// would succeed now: the range error, the allocated error unless owner
// already holds v, or nil. It serves dry runs.
func (a *Allocator[T]) Check(ctx context.Context, v T, owner ipam.Owner) error {
	if !a.pool.Contains(v) {
		return a.pool.Allocate(v)
	}
	e, ok, err := a.Get(ctx, v)
	if err != nil {
		return err
	}
	if ok && e.Owner != owner {
		return a.kind.errAllocated
	}
	return nil
}

// Peek returns a value AllocateNext could hand out, reserving nothing. It
// serves dry runs.
func (a *Allocator[T]) Peek(ctx context.Context) (T, error) {
	for i := 0; ; i++ {
		a.mu.Lock()
		v, err := a.pool.AllocateNext()
		if err == nil {
			a.pool.Release(v)
		}
		a.mu.Unlock()
		if !errors.Is(err, ipam.ErrFull) || i > 0 {
			return v, err
		}
		if err := a.Sync(ctx); err != nil {
			return v, err
		}
	}
}

// Get returns v's record, if any.
func (a *Allocator[T]) Get(ctx context.Context, v T) (Entry[T], bool, error) {
	resp, err := a.client.Get(ctx, a.key(v))
	if err != nil {
		return Entry[T]{}, false, fmt.Errorf("get %s %s: %w", a.kind.name, a.kind.format(v), err)
	}
	if len(resp.Kvs) == 0 {
		return Entry[T]{}, false, nil
	}
	e, err := a.entry(resp.Kvs[0].Key, resp.Kvs[0].Value, resp.Kvs[0].ModRevision)
	return e, err == nil, err
}

// List returns every record, out-of-range ones included. Keys that do not
// parse are logged and skipped.
func (a *Allocator[T]) List(ctx context.Context) ([]Entry[T], error) {
	resp, err := a.client.Get(ctx, a.prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("list %s allocations: %w", a.kind.name, err)
	}
	out := make([]Entry[T], 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		e, err := a.entry(kv.Key, kv.Value, kv.ModRevision)
		if err != nil {
			a.log.Warn("skipping unreadable allocation", "key", string(kv.Key), "err", err)
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// Count asks etcd how many values are recorded.
func (a *Allocator[T]) Count(ctx context.Context) (int64, error) {
	resp, err := a.client.Get(ctx, a.prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("count %s allocations: %w", a.kind.name, err)
	}
	return resp.Count, nil
}

// ReleaseIfUnchanged deletes v's record if it is still at modRevision, and
// reports whether it did. The repair loop uses it to drop a leaked record
// without racing a Service that claims it meanwhile.
func (a *Allocator[T]) ReleaseIfUnchanged(ctx context.Context, v T, modRevision int64) (bool, error) {
	key := a.key(v)
	resp, err := a.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", modRevision)).
		Then(clientv3.OpDelete(key)).
		Commit()
	if err != nil {
		return false, fmt.Errorf("release %s %s: %w", a.kind.name, a.kind.format(v), err)
	}
	if resp.Succeeded {
		a.forget(v)
	}
	return resp.Succeeded, nil
}

// Reassign records v for owner if its record is still at modRevision, and
// reports whether it did. The repair loop uses it to hand a record left by
// a deleted Service to the Service that now holds the value.
func (a *Allocator[T]) Reassign(ctx context.Context, v T, owner ipam.Owner, modRevision int64) (bool, error) {
	key := a.key(v)
	resp, err := a.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", modRevision)).
		Then(clientv3.OpPut(key, ownerValue(owner))).
		Commit()
	if err != nil {
		return false, fmt.Errorf("reassign %s %s: %w", a.kind.name, a.kind.format(v), err)
	}
	return resp.Succeeded, nil
}

// create records v for owner unless a record exists; false when one does.
func (a *Allocator[T]) create(ctx context.Context, v T, owner ipam.Owner) (bool, error) {
	key := a.key(v)
	resp, err := a.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, ownerValue(owner))).
		Commit()
	if err != nil {
		return false, fmt.Errorf("allocate %s %s: %w", a.kind.name, a.kind.format(v), err)
	}
	return resp.Succeeded, nil
}

// claim marks v used and in flight in the cache.
func (a *Allocator[T]) claim(v T) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_ = a.pool.Allocate(v)
	a.inflight[v]++
}

// settle ends a transaction on v. When etcd could not be asked, the cache
// mark is dropped again: whether v is used is unknown, and etcd will tell.
func (a *Allocator[T]) settle(v T, answered bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.inflight[v]--; a.inflight[v] <= 0 {
		delete(a.inflight, v)
	}
	if !answered && a.inflight[v] == 0 {
		a.pool.Release(v)
	}
}

// forget unmarks v in the cache unless a local transaction claims it.
func (a *Allocator[T]) forget(v T) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.inflight[v] == 0 {
		a.pool.Release(v)
	}
}

func (a *Allocator[T]) entry(key, value []byte, modRevision int64) (Entry[T], error) {
	v, err := a.kind.parse(strings.TrimPrefix(string(key), a.prefix))
	if err != nil {
		return Entry[T]{}, fmt.Errorf("key %q: %w", key, err)
	}
	e := Entry[T]{Value: v, ModRevision: modRevision}
	if err := json.Unmarshal(value, &e.Owner); err != nil {
		return Entry[T]{}, fmt.Errorf("key %q: owner: %w", key, err)
	}
	return e, nil
}
