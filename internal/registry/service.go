package registry

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/util/dryrun"

	"github.com/portal-dev/portal/internal/ipam"
)

// releaseTimeout bounds releases that run after a request is answered (or
// abandoned), when the request's own context may be gone.
const releaseTimeout = 30 * time.Second

// ServiceAllocator is one kind of Service allocation, cluster IPs or node
// ports, as internal/ipam/etcdstore implements it. Implementations must be
// safe for concurrent use and must never hand one value to two owners.
type ServiceAllocator[T comparable] interface {
	// Allocate records v for owner: an error matching ipam.ErrNotInRange
	// or ipam.ErrAllocated (worded as kube-apiserver words them) when it
	// cannot.
	Allocate(ctx context.Context, v T, owner ipam.Owner) error
	// AllocateNext records a free value for owner (ipam.ErrFull: none).
	AllocateNext(ctx context.Context, owner ipam.Owner) (T, error)
	// Release drops v's record if owner holds it.
	Release(ctx context.Context, v T, owner ipam.Owner) error
	// Check and Peek answer dry runs: whether Allocate would succeed, and
	// a value AllocateNext could return, without recording anything.
	Check(ctx context.Context, v T, owner ipam.Owner) error
	Peek(ctx context.Context) (T, error)
}

// ServiceAllocation gives Services their cluster IPs, node ports and health
// check node ports in the REST layer, as kube-apiserver's Service storage
// does: on create (BeginCreate, undone if the create fails), on update
// (type changes allocate and release; releases happen once the update is
// stored) and on delete (AfterDelete releases everything).
type ServiceAllocation struct {
	ClusterIPs ServiceAllocator[netip.Addr]
	NodePorts  ServiceAllocator[int]
	// Family is the cluster's service IP family: portal is single-stack.
	Family corev1.IPFamily
	// Log receives allocation failures (default slog.Default()).
	Log *slog.Logger
}

// Wire installs the allocation hooks on the core/v1 services row, keeping
// any Decorate the row already has (run after this one, so it may wrap the
// services storage). Other rows are left alone.
func (a *ServiceAllocation) Wire(r *Resource) {
	if r.GroupResource() != corev1.Resource("services") {
		return
	}
	prev := r.Decorate
	r.Decorate = func(s *Store, paths map[string]rest.Storage) {
		a.decorate(s, paths)
		if prev != nil {
			prev(s, paths)
		}
	}
}

func (a *ServiceAllocation) log() *slog.Logger {
	if a.Log == nil {
		return slog.Default()
	}
	return a.Log
}

func (a *ServiceAllocation) decorate(s *Store, paths map[string]rest.Storage) {
	s.Store.BeginCreate = a.beginCreate
	s.Store.BeginUpdate = a.beginUpdate
	s.Store.AfterDelete = a.afterDelete
	paths["services"] = &ServiceREST{Store: s}
}

// ServiceREST is the services storage: the generic store, with updates
// that release what they free only once the new object is stored.
type ServiceREST struct {
	*Store
}

// Update is the generic update, with a record of the allocation attempt
// in flight so that it can be completed after the write.
func (r *ServiceREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	p := &pendingUpdate{}
	out, created, err := r.Store.Store.Update(context.WithValue(ctx, pendingUpdateKey{}, p), name, objInfo, createValidation, updateValidation, forceAllowCreate, options)
	p.done(out, err)
	return out, created, err
}

type pendingUpdateKey struct{}

// pendingUpdate follows one update request. The generic store calls the
// BeginUpdate finish function before it writes, and calls BeginUpdate
// again when the write loses a race: so an attempt's allocations are kept
// until the next attempt starts (the previous write did not happen) or the
// request ends, and its releases wait for the request's outcome.
type pendingUpdate struct {
	mu  sync.Mutex
	txn *serviceTxn
}

func pendingFrom(ctx context.Context) *pendingUpdate {
	p, _ := ctx.Value(pendingUpdateKey{}).(*pendingUpdate)
	return p
}

// restart undoes the previous attempt, whose write did not happen.
func (p *pendingUpdate) restart() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.txn != nil {
		p.txn.revert()
		p.txn = nil
	}
}

func (p *pendingUpdate) hold(t *serviceTxn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.txn = t
}

// done completes the last attempt: its releases when the update was
// stored, the undoing of its allocations when it was not.
func (p *pendingUpdate) done(out runtime.Object, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.txn == nil {
		return
	}
	if svc, ok := out.(*corev1.Service); ok && err == nil {
		p.txn.commit(svc)
	} else {
		p.txn.revert()
	}
	p.txn = nil
}

func (a *ServiceAllocation) beginCreate(ctx context.Context, obj runtime.Object, options *metav1.CreateOptions) (genericregistry.FinishFunc, error) {
	svc := obj.(*corev1.Service)
	// Inside ServiceREST.Update this is a create by update (server-side
	// apply of a new Service), whose finish function also runs before the
	// write.
	p := pendingFrom(ctx)
	if p != nil {
		p.restart()
	}
	t := a.newTxn(svc, dryrun.IsDryRun(options.DryRun))
	if err := t.create(ctx, svc); err != nil {
		t.revert()
		return nil, err
	}
	return func(_ context.Context, success bool) {
		switch {
		case !success:
			t.revert()
		case p != nil:
			p.hold(t)
		}
	}, nil
}

func (a *ServiceAllocation) beginUpdate(ctx context.Context, obj, old runtime.Object, options *metav1.UpdateOptions) (genericregistry.FinishFunc, error) {
	svc, oldSvc := obj.(*corev1.Service), old.(*corev1.Service)
	p := pendingFrom(ctx)
	if p != nil {
		p.restart()
	}
	t := a.newTxn(oldSvc, dryrun.IsDryRun(options.DryRun))
	if err := t.update(ctx, svc, oldSvc); err != nil {
		t.revert()
		return nil, err
	}
	return func(_ context.Context, success bool) {
		switch {
		case !success:
			t.revert()
		case p != nil:
			p.hold(t)
		default:
			// Called outside ServiceREST.Update: release now, as
			// kube-apiserver does.
			t.commit(svc)
		}
	}, nil
}

func (a *ServiceAllocation) afterDelete(obj runtime.Object, options *metav1.DeleteOptions) {
	if dryrun.IsDryRun(options.DryRun) {
		return
	}
	svc := obj.(*corev1.Service)
	t := a.newTxn(svc, false)
	t.oldIPs = heldClusterIPs(svc)
	t.oldPorts = allNodePorts(svc)
	t.commit(nil)
}
