package defaults

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Service fills the defaults kube-apiserver gives a core/v1 Service on
// decode:
//   - type ClusterIP and sessionAffinity None; a None affinity drops
//     sessionAffinityConfig, a ClientIP affinity without a timeout gets
//     sessionAffinityConfig.clientIP.timeoutSeconds 10800;
//   - each port: protocol TCP, and targetPort = port when targetPort is
//     unset (0 or "");
//   - externalTrafficPolicy Cluster when the Service is reachable from
//     outside (NodePort, LoadBalancer, or ClusterIP with externalIPs);
//   - internalTrafficPolicy Cluster for ClusterIP, NodePort and
//     LoadBalancer (not ExternalName);
//   - for LoadBalancer: allocateLoadBalancerNodePorts true, and ipMode VIP
//     on each status.loadBalancer.ingress entry that has an IP.
//
// clusterIP(s), ipFamilies and ipFamilyPolicy are NOT defaulted here: in
// kube the Service REST storage fills them on create, after defaulting and
// around IP allocation, from the cluster's configured families. Callers
// doing that job use ServiceIPFamilies; nodePorts and healthCheckNodePort
// are allocations too and belong to the same layer.
func Service(svc *corev1.Service) {
	spec := &svc.Spec
	if spec.SessionAffinity == "" {
		spec.SessionAffinity = corev1.ServiceAffinityNone
	}
	switch spec.SessionAffinity {
	case corev1.ServiceAffinityNone:
		spec.SessionAffinityConfig = nil
	case corev1.ServiceAffinityClientIP:
		cfg := spec.SessionAffinityConfig
		if cfg == nil || cfg.ClientIP == nil || cfg.ClientIP.TimeoutSeconds == nil {
			spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{
				ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To(corev1.DefaultClientIPServiceAffinitySeconds)},
			}
		}
	}
	if spec.Type == "" {
		spec.Type = corev1.ServiceTypeClusterIP
	}
	for i := range spec.Ports {
		p := &spec.Ports[i]
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if p.TargetPort == intstr.FromInt32(0) || p.TargetPort == intstr.FromString("") {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
	if externallyAccessible(svc) && spec.ExternalTrafficPolicy == "" {
		spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	}
	if spec.InternalTrafficPolicy == nil {
		switch spec.Type {
		case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
			spec.InternalTrafficPolicy = ptr.To(corev1.ServiceInternalTrafficPolicyCluster)
		}
	}
	if spec.Type == corev1.ServiceTypeLoadBalancer {
		if spec.AllocateLoadBalancerNodePorts == nil {
			spec.AllocateLoadBalancerNodePorts = ptr.To(true)
		}
		for i := range svc.Status.LoadBalancer.Ingress {
			ing := &svc.Status.LoadBalancer.Ingress[i]
			if ing.IP != "" && ing.IPMode == nil {
				ing.IPMode = ptr.To(corev1.LoadBalancerIPModeVIP)
			}
		}
	}
}

// externallyAccessible reports whether traffic from outside the cluster can
// reach the Service, which is when externalTrafficPolicy applies.
func externallyAccessible(svc *corev1.Service) bool {
	switch svc.Spec.Type {
	case corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort:
		return true
	case corev1.ServiceTypeClusterIP:
		return len(svc.Spec.ExternalIPs) > 0
	}
	return false
}

// ServiceIPFamilies fills the IP-family fields of a Service being created in
// a single-stack cluster whose only service IP family is family, the way
// kube-apiserver's Service REST storage does before allocating cluster IPs:
//   - ExternalName Services are left alone;
//   - clusterIPs is initialised to [clusterIP] when only clusterIP is given
//     (kube's create-time normalisation of the two fields);
//   - ipFamilyPolicy, when unset, becomes SingleStack, except for a
//     headless Service (clusterIP None) without selector, which gets
//     RequireDualStack;
//   - ipFamilies is inferred from any given cluster IPs, then defaults to
//     [family]; a selectorless headless Service whose policy is not
//     SingleStack also gets the other family appended, so it lists both
//     (headless Services need no allocation, and kube allows this even on a
//     single-stack cluster).
//
// It neither allocates nor validates: a policy of RequireDualStack on a
// normal Service, or a family the cluster does not have, is left for
// validation to reject. Call it after Service and before allocation.
func ServiceIPFamilies(svc *corev1.Service, family corev1.IPFamily) {
	spec := &svc.Spec
	if spec.Type == corev1.ServiceTypeExternalName {
		return
	}
	if spec.ClusterIP != "" && len(spec.ClusterIPs) == 0 {
		spec.ClusterIPs = []string{spec.ClusterIP}
	}
	headlessSelectorless := spec.ClusterIP == corev1.ClusterIPNone && len(spec.Selector) == 0
	if spec.IPFamilyPolicy == nil {
		if headlessSelectorless {
			spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyRequireDualStack)
		} else {
			spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicySingleStack)
		}
	}
	for i, ip := range spec.ClusterIPs {
		if ip == corev1.ClusterIPNone {
			break
		}
		if i < len(spec.IPFamilies) {
			continue
		}
		if fam, ok := familyOf(ip); ok {
			spec.IPFamilies = append(spec.IPFamilies, fam)
		}
	}
	if len(spec.IPFamilies) == 0 {
		spec.IPFamilies = []corev1.IPFamily{family}
	}
	if headlessSelectorless && len(spec.IPFamilies) == 1 && *spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack {
		spec.IPFamilies = append(spec.IPFamilies, otherFamily(spec.IPFamilies[0]))
	}
}

func familyOf(ip string) (corev1.IPFamily, bool) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return "", false
	}
	if addr.Is4() || addr.Is4In6() {
		return corev1.IPv4Protocol, true
	}
	return corev1.IPv6Protocol, true
}

func otherFamily(f corev1.IPFamily) corev1.IPFamily {
	if f == corev1.IPv4Protocol {
		return corev1.IPv6Protocol
	}
	return corev1.IPv4Protocol
}
