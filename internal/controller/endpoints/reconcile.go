package endpoints

import (
	"context"
	"fmt"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
	esreconciler "k8s.io/endpointslice"
	esutil "k8s.io/endpointslice/util"
	utilnet "k8s.io/utils/net"
)

// OverCapacityTruncated is the endpoints.kubernetes.io/over-capacity value
// of a truncated Endpoints object.
const OverCapacityTruncated = "truncated"

// sync brings the Endpoints object of the Service named by key in line
// with its pods. It writes only when subsets, labels or the over-capacity
// annotation differ from what is stored.
func (c *Controller) sync(ctx context.Context, key string) (err error) {
	start := time.Now()
	defer func() { c.metrics.Observe(start, err) }()
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil // a malformed key is never retried
	}
	svc, err := c.services.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.triggers.DeleteService(ns, name)
		c.metrics.SetEndpoints(key, -1)
		err := c.client.CoreV1().Endpoints(ns).Delete(ctx, name, metav1.DeleteOptions{})
		if err == nil {
			c.log.Info("endpoints deleted", "service", key)
		}
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	if err != nil {
		return err
	}
	// ExternalName and selectorless Services get no Endpoints from here;
	// the latter's are the user's.
	if svc.Spec.Type == corev1.ServiceTypeExternalName || len(svc.Spec.Selector) == 0 {
		return nil
	}
	pods, err := c.pods.Pods(ns).List(labels.Set(svc.Spec.Selector).AsSelectorPreValidated())
	if err != nil {
		return err
	}
	// Computed before the no-op check so the tracker's state follows
	// every sync, written or not.
	trigger := c.triggers.ComputeEndpointLastChangeTriggerTime(ns, svc, pods)
	subsets := Repack(desiredSubsets(svc, pods))
	// Truncated before comparing, so an over-capacity Service is not
	// rewritten on every sync (kube's controller compares untruncated).
	truncated := truncate(subsets, MaxAddresses)
	ready, notReady := Count(subsets)
	c.metrics.SetEndpoints(key, ready+notReady)

	current, err := c.endpoints.Endpoints(ns).Get(name)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	create := current == nil
	if create {
		current = &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}
	wantLabels := endpointsLabels(svc)
	_, annotated := current.Annotations[corev1.EndpointsOverCapacity]
	if !create && subsetsEqual(current.Subsets, subsets) &&
		equality.Semantic.DeepEqual(current.Labels, wantLabels) && annotated == truncated {
		return nil
	}

	ep := current.DeepCopy()
	ep.Subsets = subsets
	ep.Labels = wantLabels
	if ep.Annotations == nil {
		ep.Annotations = map[string]string{}
	}
	if trigger.IsZero() {
		delete(ep.Annotations, corev1.EndpointsLastChangeTriggerTime)
	} else {
		ep.Annotations[corev1.EndpointsLastChangeTriggerTime] = trigger.UTC().Format(time.RFC3339Nano)
	}
	if truncated {
		ep.Annotations[corev1.EndpointsOverCapacity] = OverCapacityTruncated
	} else {
		delete(ep.Annotations, corev1.EndpointsOverCapacity)
	}
	if create {
		_, err = c.client.CoreV1().Endpoints(ns).Create(ctx, ep, metav1.CreateOptions{})
		if err != nil && apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			return nil // creates keep failing until the namespace is gone
		}
	} else {
		_, err = c.client.CoreV1().Endpoints(ns).Update(ctx, ep, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("write Endpoints %s: %w", key, err)
	}
	c.log.Debug("endpoints written", "service", key, "ready", ready, "notReady", notReady, "created", create)
	return nil
}

// desiredSubsets returns one subset per (pod, service port), not yet
// repacked. A pod that should not be an endpoint, has no IP of the
// Service's family, or lacks a named targetPort (for that port) is left
// out.
func desiredSubsets(svc *corev1.Service, pods []*corev1.Pod) []corev1.EndpointSubset {
	var out []corev1.EndpointSubset
	publish := svc.Spec.PublishNotReadyAddresses
	for _, pod := range pods {
		if !esutil.ShouldPodBeInEndpoints(pod, publish) {
			continue
		}
		addr, ok := podAddress(svc, pod)
		if !ok {
			continue
		}
		subset := func(ports []corev1.EndpointPort) corev1.EndpointSubset {
			if publish || esutil.IsPodReady(pod) {
				return corev1.EndpointSubset{Addresses: []corev1.EndpointAddress{addr}, Ports: ports}
			}
			return corev1.EndpointSubset{NotReadyAddresses: []corev1.EndpointAddress{addr}, Ports: ports}
		}
		// A headless Service may have no ports: its addresses stand alone.
		if len(svc.Spec.Ports) == 0 {
			if svc.Spec.ClusterIP == corev1.ClusterIPNone {
				out = append(out, subset(nil))
			}
			continue
		}
		for i := range svc.Spec.Ports {
			sp := &svc.Spec.Ports[i]
			port, err := esreconciler.FindPort(pod, sp)
			if err != nil {
				continue
			}
			out = append(out, subset([]corev1.EndpointPort{{
				Name: sp.Name, Port: int32(port), Protocol: sp.Protocol, AppProtocol: sp.AppProtocol,
			}}))
		}
	}
	return out
}

// podAddress is pod's address for svc: the pod IP of the Service's family
// (its first ipFamily; else its cluster IP's; else the family of the pod's
// primary IP), with nodeName, targetRef and, for the Service its subdomain
// names, its hostname.
func podAddress(svc *corev1.Service, pod *corev1.Pod) (corev1.EndpointAddress, bool) {
	ips := podIPs(pod)
	if len(ips) == 0 {
		return corev1.EndpointAddress{}, false
	}
	var v6 bool
	switch {
	case len(svc.Spec.IPFamilies) > 0:
		v6 = svc.Spec.IPFamilies[0] == corev1.IPv6Protocol
	case !isHeadless(svc):
		v6 = utilnet.IsIPv6String(svc.Spec.ClusterIP)
	default:
		v6 = utilnet.IsIPv6String(ips[0])
	}
	for _, ip := range ips {
		if utilnet.IsIPv6String(ip) != v6 {
			continue
		}
		a := corev1.EndpointAddress{
			IP:       ip,
			NodeName: &pod.Spec.NodeName,
			TargetRef: &corev1.ObjectReference{
				Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
			},
		}
		if pod.Spec.NodeName == "" {
			a.NodeName = nil
		}
		if esutil.ShouldSetHostname(pod, svc) {
			a.Hostname = pod.Spec.Hostname
		}
		return a, true
	}
	return corev1.EndpointAddress{}, false
}

// podIPs is status.podIPs, or [status.podIP] when only that is set (kube's
// API server fills podIPs on conversion; portal's stores what it got).
func podIPs(pod *corev1.Pod) []string {
	var out []string
	for _, ip := range pod.Status.PodIPs {
		out = append(out, ip.IP)
	}
	if len(out) == 0 && pod.Status.PodIP != "" {
		out = append(out, pod.Status.PodIP)
	}
	return out
}

// endpointsLabels is the Service's labels plus the headless label for a
// Service without a cluster IP.
func endpointsLabels(svc *corev1.Service) map[string]string {
	out := maps.Clone(svc.Labels)
	if out == nil {
		out = map[string]string{}
	}
	if isHeadless(svc) {
		out[corev1.IsHeadlessService] = ""
	} else {
		delete(out, corev1.IsHeadlessService)
	}
	return out
}

// subsetsEqual compares subsets, ignoring the resourceVersion in target
// references (a pod update that changes nothing else is no change).
func subsetsEqual(a, b []corev1.EndpointSubset) bool {
	return equality.Semantic.DeepEqual(withoutRefVersions(a), withoutRefVersions(b))
}

func withoutRefVersions(subsets []corev1.EndpointSubset) []corev1.EndpointSubset {
	dirty := false
	for _, s := range subsets {
		for _, l := range [][]corev1.EndpointAddress{s.Addresses, s.NotReadyAddresses} {
			for _, a := range l {
				dirty = dirty || (a.TargetRef != nil && a.TargetRef.ResourceVersion != "")
			}
		}
	}
	if !dirty {
		return subsets
	}
	out := make([]corev1.EndpointSubset, len(subsets))
	for i := range subsets {
		out[i] = *subsets[i].DeepCopy()
		for _, l := range [][]corev1.EndpointAddress{out[i].Addresses, out[i].NotReadyAddresses} {
			for j := range l {
				if l[j].TargetRef != nil {
					l[j].TargetRef.ResourceVersion = ""
				}
			}
		}
	}
	return out
}
