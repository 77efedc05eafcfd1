package endpointslice

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	esutil "k8s.io/endpointslice/util"
	utilnet "k8s.io/utils/net"

	"github.com/portal-dev/portal/internal/controller/internal/ctrlutil"
)

// sync brings the slices of the Service named by key in line with its
// pods. It reads only informer caches and writes only what differs.
func (c *Controller) sync(ctx context.Context, key string) (err error) {
	start := time.Now()
	defer func() { c.metrics.Observe(start, err) }()
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil // a malformed key is never retried
	}
	svc, err := c.services.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return c.cleanup(ctx, ns, name)
	}
	if err != nil {
		return err
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName || len(svc.Spec.Selector) == 0 {
		return c.cleanup(ctx, ns, name)
	}
	pods, err := c.pods.Pods(ns).List(labels.Set(svc.Spec.Selector).AsSelectorPreValidated())
	if err != nil {
		return err
	}
	pods = withPodIPs(pods)
	slices, err := c.managedSlices(ns, name)
	if err != nil {
		return err
	}
	// Slices already being deleted are not the reconciler's to reuse.
	live := slices[:0:0]
	for _, s := range slices {
		if s.DeletionTimestamp == nil {
			live = append(live, s)
		}
	}
	if c.tracker.StaleSlices(svc, live) {
		return fmt.Errorf("slices of %s: %w", key, ctrlutil.ErrStale)
	}
	trigger := c.triggers.ComputeEndpointLastChangeTriggerTime(ns, svc, pods)
	svc = withIPFamilies(svc, pods)
	if err := c.reconciler.Reconcile(c.klog, svc, pods, live, trigger); err != nil {
		return err
	}
	n := 0
	for _, p := range pods {
		if esutil.ShouldPodBeInEndpoints(p, true) {
			n++
		}
	}
	c.metrics.SetEndpoints(key, n)
	c.log.Debug("service synced", "service", key, "pods", len(pods), "endpoints", n, "took", time.Since(start))
	return nil
}

// managedSlices lists, from the cache, the slices this controller manages
// for the Service ns/name.
func (c *Controller) managedSlices(ns, name string) ([]*discoveryv1.EndpointSlice, error) {
	sel := labels.Set{
		discoveryv1.LabelServiceName: name,
		discoveryv1.LabelManagedBy:   ControllerName,
	}.AsSelectorPreValidated()
	return c.slices.EndpointSlices(ns).List(sel)
}

// cleanup deletes the slices this controller manages for a Service that is
// gone or no longer selects pods, and forgets the Service. kube leaves the
// first to its garbage collector; portal has none.
func (c *Controller) cleanup(ctx context.Context, ns, name string) error {
	slices, err := c.managedSlices(ns, name)
	if err != nil {
		return err
	}
	for _, s := range slices {
		err := c.client.DiscoveryV1().EndpointSlices(ns).Delete(ctx, s.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete EndpointSlice %s/%s: %w", ns, s.Name, err)
		}
		c.log.Info("endpointslice deleted", "service", ns+"/"+name, "slice", s.Name)
	}
	c.tracker.DeleteService(ns, name)
	c.triggers.DeleteService(ns, name)
	c.reconciler.DeleteService(ns, name)
	c.metrics.SetEndpoints(ns+"/"+name, -1)
	return nil
}

// withPodIPs returns pods where every pod with status.podIP but no
// status.podIPs reads as podIPs [podIP], as kube-apiserver would have
// stored it. Pods are shallow-copied, never modified.
func withPodIPs(pods []*corev1.Pod) []*corev1.Pod {
	out, copied := pods, false
	for i, p := range pods {
		if len(p.Status.PodIPs) > 0 || p.Status.PodIP == "" {
			continue
		}
		if !copied {
			out, copied = append([]*corev1.Pod(nil), pods...), true
		}
		cp := *p
		cp.Status.PodIPs = []corev1.PodIP{{IP: p.Status.PodIP}}
		out[i] = &cp
	}
	return out
}

// withIPFamilies returns svc, or for a Service that has neither
// spec.ipFamilies nor a cluster IP, a shallow copy whose ipFamilies are
// those of its endpoint-worthy pods (IPv4 first; IPv4 alone when there are
// none). kube's reconciler would treat such a Service as dual-stack and
// keep an empty slice for the family no pod has.
func withIPFamilies(svc *corev1.Service, pods []*corev1.Pod) *corev1.Service {
	if len(svc.Spec.IPFamilies) > 0 || (svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != corev1.ClusterIPNone) {
		return svc
	}
	var v4, v6 bool
	for _, p := range pods {
		if !esutil.ShouldPodBeInEndpoints(p, true) {
			continue
		}
		for _, ip := range p.Status.PodIPs {
			if utilnet.IsIPv6String(ip.IP) {
				v6 = true
			} else {
				v4 = true
			}
		}
	}
	cp := *svc
	cp.Spec.IPFamilies = nil
	if v4 || !v6 {
		cp.Spec.IPFamilies = append(cp.Spec.IPFamilies, corev1.IPv4Protocol)
	}
	if v6 {
		cp.Spec.IPFamilies = append(cp.Spec.IPFamilies, corev1.IPv6Protocol)
	}
	return &cp
}

// anyNodeLister is the node lister the reconciler reads zones from. A pod
// whose Node is unknown gets an empty Node (no zone) instead of NotFound,
// which would make kube's reconciler leave the pod out.
type anyNodeLister struct{ corelisters.NodeLister }

func (l anyNodeLister) Get(name string) (*corev1.Node, error) {
	n, err := l.NodeLister.Get(name)
	if apierrors.IsNotFound(err) {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, nil
	}
	return n, err
}
