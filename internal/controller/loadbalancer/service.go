package loadbalancer

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/portal-dev/portal/internal/ipam/lb"
)

// Class is the spec.loadBalancerClass portal serves. Services with no class
// are served too; any other class belongs to another implementation.
const Class = "portal.dev/lb"

// Annotation names, without prefix. Each is read under the prefixes in
// annotationPrefixes, first match wins.
const (
	AnnotationLoadBalancerIPs = "loadBalancerIPs"
	AnnotationAddressPool     = "address-pool"
	AnnotationAllowSharedIP   = "allow-shared-ip"
)

// annotationPrefixes are portal's own, then MetalLB's current and
// deprecated ones, so MetalLB manifests work unchanged.
var annotationPrefixes = []string{"portal.dev/", "metallb.io/", "metallb.universe.tf/"}

func annotation(svc *corev1.Service, name string) (string, bool) {
	for _, p := range annotationPrefixes {
		if v, ok := svc.Annotations[p+name]; ok {
			return v, true
		}
	}
	return "", false
}

// ours reports whether svc is a LoadBalancer this controller serves.
func ours(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer &&
		(svc.Spec.LoadBalancerClass == nil || *svc.Spec.LoadBalancerClass == Class)
}

// request is what a Service asks of the allocator.
type request struct {
	ip   netip.Addr // a specific address, or the zero Addr for any
	pool string     // a pool name, or "" for any auto-assigning pool
	use  lb.Use
}

// requestFor reads svc's request. The use is filled in even when the rest
// of the request is invalid, so a Service can keep the address it has.
func requestFor(svc *corev1.Service) (request, error) {
	r := request{use: useOf(svc)}
	r.pool, _ = annotation(svc, AnnotationAddressPool)
	r.pool = strings.TrimSpace(r.pool)
	ips, fromAnnotation := annotation(svc, AnnotationLoadBalancerIPs)
	what := "annotation " + AnnotationLoadBalancerIPs
	switch {
	case fromAnnotation && svc.Spec.LoadBalancerIP != "":
		return r, fmt.Errorf("service can not have both the %s annotation and spec.loadBalancerIP", AnnotationLoadBalancerIPs)
	case !fromAnnotation && svc.Spec.LoadBalancerIP == "":
		return r, nil
	case !fromAnnotation:
		ips, what = svc.Spec.LoadBalancerIP, "spec.loadBalancerIP"
	}
	var list []netip.Addr
	for _, s := range strings.Split(ips, ",") {
		ip, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return r, fmt.Errorf("invalid %s %q", what, ips)
		}
		if !ip.Is4() {
			return r, fmt.Errorf("%s %q: %s is not IPv4, and portal's address pools are IPv4 only", what, ips, ip)
		}
		list = append(list, ip)
	}
	if len(list) > 1 {
		return r, fmt.Errorf("%s %q asks for %d IPv4 addresses; a service gets one", what, ips, len(list))
	}
	r.ip = list[0]
	return r, nil
}

// useOf returns svc's ports and sharing keys.
func useOf(svc *corev1.Service) lb.Use {
	u := lb.Use{}
	u.SharingKey, _ = annotation(svc, AnnotationAllowSharedIP)
	for _, p := range svc.Spec.Ports {
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		u.Ports = append(u.Ports, lb.Port{Protocol: string(proto), Port: p.Port})
	}
	// As MetalLB: services that keep traffic on the node that receives it
	// can only share an address if they send it to the same pods.
	if svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal {
		u.BackendKey = labels.Set(svc.Spec.Selector).String()
	}
	return u
}

// statusIP is the IPv4 address svc's status shows, if any.
func statusIP(svc *corev1.Service) netip.Addr {
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		if ip, err := netip.ParseAddr(ing.IP); err == nil && ip.Is4() {
			return ip
		}
	}
	return netip.Addr{}
}

// statusFor is the load balancer status for ip (empty for the zero Addr).
func statusFor(ip netip.Addr) corev1.LoadBalancerStatus {
	if !ip.IsValid() {
		return corev1.LoadBalancerStatus{}
	}
	vip := corev1.LoadBalancerIPModeVIP
	return corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: ip.String(), IPMode: &vip}}}
}

// statusIs reports whether svc's status already says ip and nothing else.
// The ipMode is not compared: API servers default it.
func statusIs(svc *corev1.Service, ip netip.Addr) bool {
	ing := svc.Status.LoadBalancer.Ingress
	if !ip.IsValid() {
		return len(ing) == 0
	}
	return len(ing) == 1 && ing[0].IP == ip.String() && ing[0].Hostname == "" && len(ing[0].Ports) == 0
}
