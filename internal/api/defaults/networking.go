package defaults

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	discoveryv1beta1 "k8s.io/api/discovery/v1beta1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	"k8s.io/utils/ptr"
)

// EndpointSlice fills each port's name "" and protocol TCP when unset (both
// are pointers in discovery.k8s.io, so the defaults show as name: "" and
// protocol: TCP).
func EndpointSlice(es *discoveryv1.EndpointSlice) {
	for i := range es.Ports {
		endpointPort(&es.Ports[i].Name, &es.Ports[i].Protocol)
	}
}

// DiscoveryV1beta1EndpointSlice fills the discovery.k8s.io/v1beta1
// EndpointSlice defaults, the same as v1's (see EndpointSlice).
func DiscoveryV1beta1EndpointSlice(es *discoveryv1beta1.EndpointSlice) {
	for i := range es.Ports {
		endpointPort(&es.Ports[i].Name, &es.Ports[i].Protocol)
	}
}

func endpointPort(name **string, protocol **corev1.Protocol) {
	if *name == nil {
		*name = ptr.To("")
	}
	if *protocol == nil {
		*protocol = ptr.To(corev1.ProtocolTCP)
	}
}

// NetworkingV1beta1Ingress fills pathType ImplementationSpecific on every
// HTTP path that has none, as networking.k8s.io/v1beta1 did.
func NetworkingV1beta1Ingress(ing *networkingv1beta1.Ingress) {
	for i := range ing.Spec.Rules {
		if http := ing.Spec.Rules[i].HTTP; http != nil {
			for j := range http.Paths {
				if http.Paths[j].PathType == nil {
					http.Paths[j].PathType = ptr.To(networkingv1beta1.PathTypeImplementationSpecific)
				}
			}
		}
	}
}

// ExtensionsV1beta1Ingress fills pathType ImplementationSpecific on every
// HTTP path that has none, as extensions/v1beta1 did.
func ExtensionsV1beta1Ingress(ing *extensionsv1beta1.Ingress) {
	for i := range ing.Spec.Rules {
		if http := ing.Spec.Rules[i].HTTP; http != nil {
			for j := range http.Paths {
				if http.Paths[j].PathType == nil {
					http.Paths[j].PathType = ptr.To(extensionsv1beta1.PathTypeImplementationSpecific)
				}
			}
		}
	}
}

// IngressClass fills parameters.scope Cluster when parameters are given
// without a scope.
func IngressClass(ic *networkingv1.IngressClass) {
	if p := ic.Spec.Parameters; p != nil && p.Scope == nil {
		p.Scope = ptr.To(networkingv1.IngressClassParametersReferenceScopeCluster)
	}
}

// NetworkPolicy fills protocol TCP on every ingress and egress port, and,
// when policyTypes is empty, policyTypes [Ingress], plus Egress when the
// policy has egress rules.
func NetworkPolicy(np *networkingv1.NetworkPolicy) {
	for i := range np.Spec.Ingress {
		networkPolicyPorts(np.Spec.Ingress[i].Ports)
	}
	for i := range np.Spec.Egress {
		networkPolicyPorts(np.Spec.Egress[i].Ports)
	}
	if len(np.Spec.PolicyTypes) == 0 {
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(np.Spec.Egress) != 0 {
			np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
	}
}

func networkPolicyPorts(ports []networkingv1.NetworkPolicyPort) {
	for i := range ports {
		if ports[i].Protocol == nil {
			ports[i].Protocol = ptr.To(corev1.ProtocolTCP)
		}
	}
}
