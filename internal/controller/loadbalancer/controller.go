package loadbalancer

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"

	"github.com/portal-dev/portal/internal/ipam/lb"
)

// Event reasons, as MetalLB's.
const (
	ReasonIPAllocated      = "IPAllocated"      // Normal: an address was assigned
	ReasonAllocationFailed = "AllocationFailed" // Warning: the service stays pending
	ReasonClearAssignment  = "ClearAssignment"  // Normal: the address held is no longer allowed
)

// Controller assigns LoadBalancer addresses. All allocator access happens
// on its single worker (and in Run before the worker starts), so the
// allocator needs no lock.
type Controller struct {
	client   kubernetes.Interface
	lister   corelisters.ServiceLister
	synced   cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
	recorder record.EventRecorder
	alloc    *lb.Allocator
	log      *slog.Logger
}

// New builds the controller over pools (no pools is valid: every
// LoadBalancer then stays pending). It registers a Service informer on
// factory, which the caller starts, and starts nothing itself. Events go to
// recorder (see internal/controller/events).
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, recorder record.EventRecorder, pools []lb.Pool, log *slog.Logger) (*Controller, error) {
	alloc, err := lb.New(pools)
	if err != nil {
		return nil, fmt.Errorf("load balancer pools: %w", err)
	}
	informer := factory.Core().V1().Services()
	c := &Controller{
		client: client,
		lister: informer.Lister(),
		synced: informer.Informer().HasSynced,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "loadbalancer"}),
		recorder: recorder,
		alloc:    alloc,
		log:      log,
	}
	_, _ = informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			if svc, ok := obj.(*corev1.Service); ok && relevant(svc) {
				c.enqueue(svc)
			}
		},
		UpdateFunc: func(old, obj interface{}) {
			o, ok1 := old.(*corev1.Service)
			svc, ok2 := obj.(*corev1.Service)
			if ok1 && ok2 && (relevant(o) || relevant(svc)) {
				c.enqueue(svc)
			}
		},
		DeleteFunc: func(obj interface{}) {
			if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
				c.queue.Add(key)
			}
		},
	})
	return c, nil
}

// relevant reports whether a Service is, or was made, a load balancer: one
// this controller may have to assign to, release, or clear the status of.
func relevant(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer || len(svc.Status.LoadBalancer.Ingress) > 0
}

func (c *Controller) enqueue(svc *corev1.Service) {
	if key, err := cache.MetaNamespaceKeyFunc(svc); err == nil {
		c.queue.Add(key)
	}
}

// Run rebuilds the allocations from the Services' statuses, then handles
// Service changes until ctx ends, and returns nil then. The informer
// factory must be started by the caller.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced) {
		return nil // stopped before the cache was ready
	}
	if err := c.rebuild(); err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		c.queue.ShutDown()
	}()
	for c.next(ctx) {
	}
	return nil
}

// rebuild records every address a served Service's status shows, oldest
// Service first, so that the first sync of each keeps its address instead
// of allocating a new one. An address that no longer fits (outside every
// pool, or clashing with an older Service) is left for sync to clear.
func (c *Controller) rebuild() error {
	svcs, err := c.lister.List(labels.Everything())
	if err != nil {
		return err
	}
	slices.SortFunc(svcs, func(a, b *corev1.Service) int {
		if d := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); d != 0 {
			return d
		}
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	kept := 0
	for _, svc := range svcs {
		ip := statusIP(svc)
		if !ours(svc) || !ip.IsValid() {
			continue
		}
		key, _ := cache.MetaNamespaceKeyFunc(svc)
		if err := c.alloc.Assign(key, ip, useOf(svc)); err != nil {
			c.log.Info("existing load balancer address not kept", "service", key, "ip", ip, "reason", err)
			continue
		}
		kept++
	}
	c.log.Info("load balancer allocations rebuilt", "services", kept)
	return nil
}

func (c *Controller) next(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	if err := c.sync(ctx, key); err != nil {
		c.log.Warn("load balancer sync failed", "service", key, "err", err)
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	return true
}

// sync brings one Service's address in line with its spec and writes the
// status if it changed. Allocation failures are not errors: they are
// reported as events, and the Service is looked at again when another one
// frees an address or when it changes. Errors are API errors, retried.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	svc, err := c.lister.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.release(key, "service deleted")
		return nil
	}
	if err != nil {
		return err
	}
	var ip netip.Addr
	switch {
	case ours(svc):
		ip = c.converge(key, svc)
	case svc.Spec.Type == corev1.ServiceTypeLoadBalancer:
		// Another implementation's class: its status is not ours.
		c.release(key, "load balancer class "+*svc.Spec.LoadBalancerClass)
		return nil
	default:
		c.release(key, "type "+string(svc.Spec.Type))
	}
	if statusIs(svc, ip) {
		return nil
	}
	update := svc.DeepCopy()
	update.Status.LoadBalancer = statusFor(ip)
	if _, err := c.client.CoreV1().Services(ns).UpdateStatus(ctx, update, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return nil // the delete event releases it
		}
		return fmt.Errorf("update status: %w", err)
	}
	c.log.Info("load balancer status updated", "service", key, "ip", ip)
	return nil
}

// converge decides the address a served Service should show, or the zero
// Addr for pending, updating the allocator and emitting events on the way.
// It mirrors MetalLB's convergeBalancer: keep the current address while it
// is allowed and still what the Service asks for, otherwise allocate anew.
func (c *Controller) converge(key string, svc *corev1.Service) netip.Addr {
	if !c.alloc.HasPools() {
		c.release(key, "no pools")
		c.recorder.Eventf(svc, corev1.EventTypeWarning, ReasonAllocationFailed,
			"Failed to allocate IP for %q: %s; start portal with --load-balancer-pool NAME=CIDR", key, lb.ErrNoPools)
		return netip.Addr{}
	}
	req, reqErr := requestFor(svc)
	cur := statusIP(svc)
	if !cur.IsValid() {
		// The status was cleared by hand, or our own write is not in the
		// cache yet: keep what was allocated.
		cur, _ = c.alloc.IP(key)
	}
	if cur.IsValid() {
		if err := c.alloc.Assign(key, cur, req.use); err != nil {
			c.recorder.Eventf(svc, corev1.EventTypeNormal, ReasonClearAssignment,
				"current IP for %q not allowed by config, will attempt for new IP assignment: %s", key, err)
			c.release(key, err.Error())
			cur = netip.Addr{}
		} else if reqErr == nil && (req.pool != "" && c.alloc.Pool(key) != req.pool || req.ip.IsValid() && req.ip != cur) {
			c.release(key, "a different address or pool was requested")
			cur = netip.Addr{}
		}
	}
	if reqErr != nil {
		c.recorder.Eventf(svc, corev1.EventTypeWarning, ReasonAllocationFailed, "Failed to allocate IP for %q: %s", key, reqErr)
		return cur
	}
	if cur.IsValid() {
		return cur
	}
	ip, err := c.allocate(key, req)
	if err != nil {
		c.log.Info("load balancer address not allocated", "service", key, "reason", err)
		c.recorder.Eventf(svc, corev1.EventTypeWarning, ReasonAllocationFailed, "Failed to allocate IP for %q: %s", key, err)
		return netip.Addr{}
	}
	c.log.Info("load balancer address allocated", "service", key, "ip", ip, "pool", c.alloc.Pool(key))
	c.recorder.Eventf(svc, corev1.EventTypeNormal, ReasonIPAllocated, "Assigned IP %q", []string{ip.String()})
	return ip
}

// allocate asks the allocator for what req names: an address, a pool, or
// anything from the auto-assigning pools.
func (c *Controller) allocate(key string, req request) (netip.Addr, error) {
	switch {
	case req.ip.IsValid():
		if err := c.alloc.Assign(key, req.ip, req.use); err != nil {
			return netip.Addr{}, err
		}
		if pool := c.alloc.Pool(key); req.pool != "" && pool != req.pool {
			c.alloc.Release(key)
			return netip.Addr{}, fmt.Errorf("requested IP %s is in pool %q, not in the requested address pool %q", req.ip, pool, req.pool)
		}
		return req.ip, nil
	case req.pool != "":
		return c.alloc.AllocateFromPool(key, req.pool, req.use)
	default:
		return c.alloc.Allocate(key, req.use)
	}
}

// release frees key's address, if it held one, and then looks again at
// every served Service still pending: the freed address may fit one.
func (c *Controller) release(key, why string) {
	if !c.alloc.Release(key) {
		return
	}
	c.log.Info("load balancer address released", "service", key, "reason", why)
	svcs, err := c.lister.List(labels.Everything())
	if err != nil {
		return
	}
	for _, svc := range svcs {
		if ours(svc) && !statusIP(svc).IsValid() {
			c.enqueue(svc)
		}
	}
}
