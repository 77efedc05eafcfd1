package endpointslicemirroring

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/cache"
	netutils "k8s.io/utils/net"

	"github.com/portal-dev/portal/internal/controller/endpoints"
	"github.com/portal-dev/portal/internal/controller/internal/ctrlutil"
)

// sync mirrors the Endpoints object named by key, or deletes its mirrored
// slices when it should not be mirrored (any more).
func (c *Controller) sync(ctx context.Context, key string) (err error) {
	start := time.Now()
	defer func() { c.metrics.Observe(start, err) }()
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil // a malformed key is never retried
	}
	ep, err := c.endpoints.Endpoints(ns).Get(name)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	var svc *corev1.Service
	if ep != nil && shouldMirror(ep) {
		svc, err = c.services.Services(ns).Get(name)
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	if svc == nil || len(svc.Spec.Selector) > 0 {
		return c.deleteMirrored(ctx, ns, name)
	}
	existing, err := c.mirrored(ns, name)
	if err != nil {
		return err
	}
	if c.tracker.StaleSlices(svc, existing) {
		return fmt.Errorf("mirrored slices of %s: %w", key, ctrlutil.ErrStale)
	}
	return c.reconcile(ctx, ep, existing)
}

// mirrored lists, from the cache, this controller's live slices for ns/name.
func (c *Controller) mirrored(ns, name string) ([]*discoveryv1.EndpointSlice, error) {
	list, err := c.slices.EndpointSlices(ns).List(labels.Set{
		discoveryv1.LabelServiceName: name,
		discoveryv1.LabelManagedBy:   ControllerName,
	}.AsSelectorPreValidated())
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(s *discoveryv1.EndpointSlice) bool { return s.DeletionTimestamp != nil }), nil
}

func (c *Controller) deleteMirrored(ctx context.Context, ns, name string) error {
	list, err := c.mirrored(ns, name)
	if err != nil {
		return err
	}
	for _, s := range list {
		if err := c.client.DiscoveryV1().EndpointSlices(ns).Delete(ctx, s.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete mirrored EndpointSlice %s/%s: %w", ns, s.Name, err)
		}
		c.log.Info("mirrored endpointslice deleted", "endpoints", ns+"/"+name, "slice", s.Name)
	}
	c.tracker.DeleteService(ns, name)
	c.metrics.SetEndpoints(ns+"/"+name, -1)
	return nil
}

// group is one desired slice: endpoints of one address type and port set.
type group struct {
	addressType discoveryv1.AddressType
	ports       []discoveryv1.EndpointPort
	endpoints   []discoveryv1.Endpoint
}

// groupKey identifies a group by value.
func groupKey(t discoveryv1.AddressType, ports []discoveryv1.EndpointPort) string {
	var b strings.Builder
	b.WriteString(string(t))
	for _, p := range ports {
		fmt.Fprintf(&b, "|%s/%d/%s/%s", deref(p.Name), deref(p.Port), deref(p.Protocol), deref(p.AppProtocol))
	}
	return b.String()
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// desired computes the mirrored groups of ep by key.
func (c *Controller) desired(ep *corev1.Endpoints) map[string]*group {
	out := map[string]*group{}
	skipped, invalid := 0, 0
	for _, subset := range endpoints.Repack(ep.Subsets) {
		ports := make([]discoveryv1.EndpointPort, 0, len(subset.Ports))
		for _, p := range subset.Ports {
			ports = append(ports, discoveryv1.EndpointPort{
				Name: &p.Name, Port: &p.Port, Protocol: &p.Protocol, AppProtocol: p.AppProtocol,
			})
		}
		added := 0
		for _, list := range []struct {
			addrs []corev1.EndpointAddress
			ready bool
		}{{subset.Addresses, true}, {subset.NotReadyAddresses, false}} {
			for _, a := range list.addrs {
				if added >= c.max {
					skipped++
					continue
				}
				e, t, ok := toEndpoint(a, list.ready)
				if !ok {
					invalid++
					continue
				}
				k := groupKey(t, ports)
				g := out[k]
				if g == nil {
					g = &group{addressType: t, ports: ports}
					out[k] = g
				}
				g.endpoints = append(g.endpoints, e)
				added++
			}
		}
	}
	if invalid > 0 {
		c.log.Warn("addresses that are not IPs were not mirrored", "endpoints", ep.Namespace+"/"+ep.Name, "count", invalid)
	}
	if skipped > 0 {
		c.log.Warn("addresses over the per-subset limit were not mirrored", "endpoints", ep.Namespace+"/"+ep.Name,
			"count", skipped, "limit", c.max)
	}
	for _, g := range out {
		sortEndpoints(g.endpoints)
	}
	return out
}

// toEndpoint converts one Endpoints address; ok is false for a non-IP.
func toEndpoint(a corev1.EndpointAddress, ready bool) (discoveryv1.Endpoint, discoveryv1.AddressType, bool) {
	ip := netutils.ParseIPSloppy(a.IP)
	if ip == nil {
		return discoveryv1.Endpoint{}, "", false
	}
	t := discoveryv1.AddressTypeIPv4
	if ip.To4() == nil {
		t = discoveryv1.AddressTypeIPv6
	}
	e := discoveryv1.Endpoint{
		Addresses:  []string{ip.String()},
		Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		TargetRef:  a.TargetRef,
		NodeName:   a.NodeName,
	}
	if a.Hostname != "" {
		h := a.Hostname
		e.Hostname = &h
	}
	return e, t, true
}

func sortEndpoints(eps []discoveryv1.Endpoint) {
	slices.SortFunc(eps, func(a, b discoveryv1.Endpoint) int {
		if c := cmp.Compare(strings.Join(a.Addresses, ","), strings.Join(b.Addresses, ",")); c != 0 {
			return c
		}
		var ua, ub string
		if a.TargetRef != nil {
			ua = string(a.TargetRef.UID)
		}
		if b.TargetRef != nil {
			ub = string(b.TargetRef.UID)
		}
		return cmp.Compare(ua, ub)
	})
}

// reconcile writes the difference between ep's desired groups and the
// existing mirrored slices: per group, the first existing slice (by name)
// is kept and updated if it differs, others are deleted; a group without
// a slice gets one, recycled from a slice about to be deleted when one of
// the same address type exists.
func (c *Controller) reconcile(ctx context.Context, ep *corev1.Endpoints, existing []*discoveryv1.EndpointSlice) error {
	want := c.desired(ep)
	byKey := map[string][]*discoveryv1.EndpointSlice{}
	for _, s := range existing {
		k := groupKey(s.AddressType, s.Ports)
		byKey[k] = append(byKey[k], s)
	}
	var create, update, del []*discoveryv1.EndpointSlice
	for _, k := range slices.Sorted(maps.Keys(want)) {
		g := want[k]
		have := byKey[k]
		slices.SortFunc(have, func(a, b *discoveryv1.EndpointSlice) int { return cmp.Compare(a.Name, b.Name) })
		if len(have) == 0 {
			create = append(create, c.newSlice(ep, g, ""))
			continue
		}
		del = append(del, have[1:]...)
		next := c.newSlice(ep, g, have[0].Name)
		next.ResourceVersion = have[0].ResourceVersion
		if !sameSlice(have[0], next) {
			update = append(update, next)
		}
	}
	for k, have := range byKey {
		if _, ok := want[k]; !ok {
			del = append(del, have...)
		}
	}
	// Recycle: turn a create into an update of a slice to be deleted.
	for i := 0; i < len(create); i++ {
		j := slices.IndexFunc(del, func(s *discoveryv1.EndpointSlice) bool { return s.AddressType == create[i].AddressType })
		if j < 0 {
			continue
		}
		create[i].Name, create[i].GenerateName = del[j].Name, ""
		create[i].ResourceVersion = del[j].ResourceVersion
		update = append(update, create[i])
		create = slices.Delete(create, i, i+1)
		del = slices.Delete(del, j, j+1)
		i--
	}

	client := c.client.DiscoveryV1().EndpointSlices(ep.Namespace)
	key := ep.Namespace + "/" + ep.Name
	if ep.DeletionTimestamp == nil {
		for _, s := range create {
			got, err := client.Create(ctx, s, metav1.CreateOptions{})
			if err != nil {
				if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
					return nil
				}
				return fmt.Errorf("create mirrored EndpointSlice for %s: %w", key, err)
			}
			c.tracker.Update(got)
			c.log.Info("mirrored endpointslice created", "endpoints", key, "slice", got.Name, "endpointCount", len(got.Endpoints))
		}
	}
	for _, s := range update {
		got, err := client.Update(ctx, s, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("update mirrored EndpointSlice %s for %s: %w", s.Name, key, err)
		}
		c.tracker.Update(got)
		c.log.Debug("mirrored endpointslice updated", "endpoints", key, "slice", got.Name, "endpointCount", len(got.Endpoints))
	}
	for _, s := range del {
		if err := client.Delete(ctx, s.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete mirrored EndpointSlice %s for %s: %w", s.Name, key, err)
		}
		c.tracker.ExpectDeletion(s)
	}
	total := 0
	for _, g := range want {
		total += len(g.endpoints)
	}
	c.metrics.SetEndpoints(key, total)
	return nil
}

// newSlice is the mirrored slice for g: named name, or generateName
// "<endpoints>-" when name is empty.
func (c *Controller) newSlice(ep *corev1.Endpoints, g *group, name string) *discoveryv1.EndpointSlice {
	lbls := maps.Clone(ep.Labels)
	if lbls == nil {
		lbls = map[string]string{}
	}
	lbls[discoveryv1.LabelServiceName] = ep.Name
	lbls[discoveryv1.LabelManagedBy] = ControllerName
	ann := map[string]string{}
	for k, v := range ep.Annotations {
		if k != corev1.EndpointsLastChangeTriggerTime && k != corev1.LastAppliedConfigAnnotation {
			ann[k] = v
		}
	}
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:       ep.Namespace,
			Name:            name,
			Labels:          lbls,
			Annotations:     ann,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ep, corev1.SchemeGroupVersion.WithKind("Endpoints"))},
		},
		AddressType: g.addressType,
		Ports:       g.ports,
		Endpoints:   g.endpoints,
	}
	if name == "" {
		s.GenerateName = ep.Name + "-"
		if len(validation.IsDNS1123Subdomain(s.GenerateName+"xxxxx")) > 0 {
			s.GenerateName = ep.Name
		}
	}
	return s
}

// sameSlice reports whether existing already holds what next would write.
func sameSlice(existing, next *discoveryv1.EndpointSlice) bool {
	have := slices.Clone(existing.Endpoints)
	sortEndpoints(have)
	return equality.Semantic.DeepEqual(have, next.Endpoints) &&
		equality.Semantic.DeepEqual(existing.Labels, next.Labels) &&
		equality.Semantic.DeepEqual(existing.Annotations, next.Annotations) &&
		equality.Semantic.DeepEqual(existing.OwnerReferences, next.OwnerReferences)
}
