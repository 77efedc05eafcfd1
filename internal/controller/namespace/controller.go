package namespace

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Controller finalizes Terminating namespaces.
type Controller struct {
	client    kubernetes.Interface
	dynamic   dynamic.Interface
	discovery discovery.DiscoveryInterface
	informer  cache.SharedIndexInformer
	queue     workqueue.TypedRateLimitingInterface[string]
	log       *slog.Logger
	// recheck is how long to wait before looking again at a namespace whose
	// content is still going away (pods terminating gracefully).
	recheck time.Duration
}

// New builds the controller; it registers an informer on factory, which the
// caller starts.
func New(client kubernetes.Interface, dyn dynamic.Interface, factory informers.SharedInformerFactory, log *slog.Logger) *Controller {
	c := &Controller{
		client:    client,
		dynamic:   dyn,
		discovery: client.Discovery(),
		informer:  factory.Core().V1().Namespaces().Informer(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "namespace"}),
		log:     log,
		recheck: time.Second,
	}
	enqueue := func(obj interface{}) {
		if ns, ok := obj.(*corev1.Namespace); ok && ns.DeletionTimestamp != nil {
			c.queue.Add(ns.Name)
		}
	}
	_, _ = c.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj interface{}) { enqueue(obj) },
	})
	return c
}

// Run processes namespaces until ctx ends. The informer factory must be
// started by the caller.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.informer.HasSynced) {
		return ctx.Err()
	}
	go func() {
		<-ctx.Done()
		c.queue.ShutDown()
	}()
	for c.next(ctx) {
	}
	return nil
}

func (c *Controller) next(ctx context.Context) bool {
	name, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(name)
	done, err := c.sync(ctx, name)
	switch {
	case err != nil:
		c.log.Warn("namespace sync failed", "namespace", name, "err", err)
		c.queue.AddRateLimited(name)
	case !done:
		c.queue.AddAfter(name, c.recheck)
	default:
		c.queue.Forget(name)
	}
	return true
}

// sync deletes the content of a Terminating namespace. It reports done once
// the namespace has been finalized (or is gone).
func (c *Controller) sync(ctx context.Context, name string) (bool, error) {
	ns, err := c.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if ns.DeletionTimestamp == nil || !slices.Contains(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
		return true, nil
	}
	resources, err := c.namespacedResources()
	if err != nil {
		return false, err
	}
	remaining := 0
	for _, gvr := range resources {
		client := c.dynamic.Resource(gvr).Namespace(name)
		err := client.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsMethodNotSupported(err) {
			return false, fmt.Errorf("delete %s in %s: %w", gvr.Resource, name, err)
		}
		list, err := client.List(ctx, metav1.ListOptions{Limit: 1})
		if err != nil && !apierrors.IsNotFound(err) {
			return false, fmt.Errorf("list %s in %s: %w", gvr.Resource, name, err)
		}
		if list != nil {
			remaining += len(list.Items)
		}
	}
	if remaining > 0 {
		return false, nil
	}
	ns.Spec.Finalizers = slices.DeleteFunc(ns.Spec.Finalizers, func(f corev1.FinalizerName) bool {
		return f == corev1.FinalizerKubernetes
	})
	if _, err := c.client.CoreV1().Namespaces().Finalize(ctx, ns, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("finalize %s: %w", name, err)
	}
	c.log.Info("namespace finalized", "namespace", name)
	return true, nil
}

// namespacedResources lists every namespaced resource that can be listed
// and deleted, in every served group version.
func (c *Controller) namespacedResources() ([]schema.GroupVersionResource, error) {
	lists, err := c.discovery.ServerPreferredNamespacedResources()
	if err != nil && len(lists) == 0 {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	var out []schema.GroupVersionResource
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if slices.Contains(r.Verbs, "list") && slices.Contains(r.Verbs, "deletecollection") {
				out = append(out, gv.WithResource(r.Name))
			}
		}
	}
	return out, nil
}
