package endpointslice

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
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
	slices, err := c.managedSlices(ns, name)
	if err != nil {
		return err
	}
	// Slices already being deleted are not to be reused.
	live := slices[:0:0]
	for _, s := range slices {
		if s.DeletionTimestamp == nil {
			live = append(live, s)
		}
	}
	if c.tracker.StaleSlices(svc, live) {
		return fmt.Errorf("slices of %s: %w", key, ctrlutil.ErrStale)
	}
	found, trigger, err := c.readPods(key, svc)
	if found != nil {
		defer c.scratch.put(key, found)
	}
	if err != nil {
		return err
	}
	svc = withIPFamilies(svc, found)
	if err := c.reconcile(ctx, svc, found, live, trigger); err != nil {
		return err
	}
	n := found.eligible
	c.metrics.SetEndpoints(key, n)
	c.log.Debug("service synced", "service", key, "pods", len(found.members), "endpoints", n, "took", time.Since(start))
	return nil
}

// readPods returns the Service's scan and the trigger time of this sync.
// It updates the previous sync's scan with the pods that changed since,
// when that scan was made for this very Service object and node zones;
// otherwise it lists and scans every selected pod. The scan is to be put
// back in the scratch pool, even with an error.
func (c *Controller) readPods(key string, svc *corev1.Service) (*scan, time.Time, error) {
	prev := c.scratch.take(key)
	zoneGen := c.zoneGen.Load()
	names, watched := c.dirty.take(key)
	zone := zoneOfNode(c.nodes)
	if prev != nil && watched && prev.svc == svc && prev.zoneGen == zoneGen &&
		c.triggers.known(key) && len(names) <= len(prev.members)/4+64 {
		sweep := c.triggers.begin(key)
		sel := labels.Set(svc.Spec.Selector).AsSelectorPreValidated()
		for _, name := range names {
			pod, err := c.pods.Pods(svc.Namespace).Get(name)
			if err != nil || !sel.Matches(labels.Set(pod.Labels)) {
				pod = nil // gone (the cache only ever answers NotFound)
			}
			prev.update(name, pod, zone, sweep)
		}
		return prev, sweep.endChanged(svc), nil
	}
	if prev != nil {
		prev.svc = nil // not to be updated unless refilled below
	}
	// Collect changes from before the list on, so none is missed.
	c.dirty.watch(key)
	pods, err := c.pods.Pods(svc.Namespace).List(labels.Set(svc.Spec.Selector).AsSelectorPreValidated())
	if err != nil {
		return prev, time.Time{}, err
	}
	sweep := c.triggers.begin(key)
	found := scanPods(svc, pods, zone, sweep.observe, prev)
	found.zoneGen = zoneGen
	return found, sweep.end(svc), nil
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
	c.triggers.forget(ns + "/" + name)
	c.scratch.take(ns + "/" + name)
	c.dirty.forget(ns + "/" + name)
	c.metrics.SetEndpoints(ns+"/"+name, -1)
	return nil
}

// withIPFamilies returns svc, or for a Service that has neither
// spec.ipFamilies nor a cluster IP, a shallow copy whose ipFamilies are
// those its endpoints have (IPv4 first; IPv4 alone when there are none).
// kube's reconciler would treat such a Service as dual-stack and keep an
// empty slice for the family no pod has.
func withIPFamilies(svc *corev1.Service, found *scan) *corev1.Service {
	if len(svc.Spec.IPFamilies) > 0 || (svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != corev1.ClusterIPNone) {
		return svc
	}
	v4, v6 := len(found.v4.wants) > 0, len(found.v6.wants) > 0
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

// addressTypes returns the families a Service's slices are of, as kube
// reads them: its ipFamilies; else its cluster IP's family; else both.
func addressTypes(svc *corev1.Service) []discoveryv1.AddressType {
	var out []discoveryv1.AddressType
	for _, f := range svc.Spec.IPFamilies {
		t := discoveryv1.AddressTypeIPv4
		if f == corev1.IPv6Protocol {
			t = discoveryv1.AddressTypeIPv6
		} else if f != corev1.IPv4Protocol {
			continue
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	switch {
	case len(out) > 0:
		return out
	case svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != corev1.ClusterIPNone:
		if utilnet.IsIPv6String(svc.Spec.ClusterIP) {
			return []discoveryv1.AddressType{discoveryv1.AddressTypeIPv6}
		}
		return []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4}
	}
	return []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6}
}

// reconcile brings the Service's live slices in line with its endpoint
// pods: per family of the Service, plan the writes (see planFamily) and
// apply them; then delete the slices of families the Service no longer
// has. Errors of one family do not stop the others.
func (c *Controller) reconcile(ctx context.Context, svc *corev1.Service, found *scan, live []*discoveryv1.EndpointSlice, trigger time.Time) error {
	families := addressTypes(svc)
	byFamily := map[discoveryv1.AddressType][]*discoveryv1.EndpointSlice{}
	var stray []*discoveryv1.EndpointSlice
	for _, s := range live {
		if slices.Contains(families, s.AddressType) {
			byFamily[s.AddressType] = append(byFamily[s.AddressType], s)
		} else {
			stray = append(stray, s)
		}
	}
	meta := newSliceMeta(svc, c.maxPerSlice)
	var errs []error
	for _, f := range families {
		p := planFamily(meta, found.family(f), byFamily[f])
		if p.empty() {
			continue
		}
		c.log.Debug("endpointslice writes", "service", svc.Namespace+"/"+svc.Name, "family", f,
			"create", len(p.create), "update", len(p.update), "delete", len(p.delete))
		if err := c.apply(ctx, svc, p, trigger); err != nil {
			errs = append(errs, err)
		}
	}
	for _, s := range stray {
		if err := c.deleteSlice(ctx, s); err != nil {
			errs = append(errs, err)
		}
	}
	return utilerrors.NewAggregate(errs)
}

// zoneOfNode returns a function giving the zone of a Node by name,
// reading the Node cache once per name. A Node that does not exist has no
// zone (kube would leave its pods out; see doc.go).
func zoneOfNode(nodes corelisters.NodeLister) func(string) string {
	zones := map[string]string{}
	return func(name string) string {
		z, ok := zones[name]
		if !ok {
			if n, err := nodes.Get(name); err == nil {
				z = n.Labels[corev1.LabelTopologyZone]
			}
			zones[name] = z
		}
		return z
	}
}
