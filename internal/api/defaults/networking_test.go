package defaults

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	discoveryv1beta1 "k8s.io/api/discovery/v1beta1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestEndpointSlice(t *testing.T) {
	tests := []struct {
		name string
		in   []discoveryv1.EndpointPort
		want []discoveryv1.EndpointPort
	}{
		{
			name: "unnamed port",
			in:   []discoveryv1.EndpointPort{{Port: ptr.To[int32](80)}},
			want: []discoveryv1.EndpointPort{{Name: ptr.To(""), Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To[int32](80)}},
		},
		{
			name: "named UDP port kept",
			in:   []discoveryv1.EndpointPort{{Name: ptr.To("dns"), Protocol: ptr.To(corev1.ProtocolUDP), Port: ptr.To[int32](53)}},
			want: []discoveryv1.EndpointPort{{Name: ptr.To("dns"), Protocol: ptr.To(corev1.ProtocolUDP), Port: ptr.To[int32](53)}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			es := &discoveryv1.EndpointSlice{AddressType: discoveryv1.AddressTypeIPv4, Ports: tc.in}
			EndpointSlice(es)
			mustEqual(t, es.Ports, tc.want)
		})
	}

	t.Run("v1beta1", func(t *testing.T) {
		es := &discoveryv1beta1.EndpointSlice{Ports: []discoveryv1beta1.EndpointPort{{Port: ptr.To[int32](80)}}}
		DiscoveryV1beta1EndpointSlice(es)
		mustEqual(t, es.Ports, []discoveryv1beta1.EndpointPort{{Name: ptr.To(""), Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To[int32](80)}})
	})
}

func TestLegacyIngressPathType(t *testing.T) {
	exact := networkingv1beta1.PathTypeExact
	t.Run("networking/v1beta1", func(t *testing.T) {
		ing := &networkingv1beta1.Ingress{Spec: networkingv1beta1.IngressSpec{Rules: []networkingv1beta1.IngressRule{
			{Host: "foo.example.com", IngressRuleValue: networkingv1beta1.IngressRuleValue{HTTP: &networkingv1beta1.HTTPIngressRuleValue{
				Paths: []networkingv1beta1.HTTPIngressPath{{Path: "/"}, {Path: "/api", PathType: &exact}},
			}}},
			{Host: "no-http.example.com"},
		}}}
		NetworkingV1beta1Ingress(ing)
		paths := ing.Spec.Rules[0].HTTP.Paths
		mustEqual(t, paths[0].PathType, ptr.To(networkingv1beta1.PathTypeImplementationSpecific))
		mustEqual(t, paths[1].PathType, ptr.To(networkingv1beta1.PathTypeExact))
	})
	t.Run("extensions/v1beta1", func(t *testing.T) {
		ing := &extensionsv1beta1.Ingress{Spec: extensionsv1beta1.IngressSpec{Rules: []extensionsv1beta1.IngressRule{
			{IngressRuleValue: extensionsv1beta1.IngressRuleValue{HTTP: &extensionsv1beta1.HTTPIngressRuleValue{
				Paths: []extensionsv1beta1.HTTPIngressPath{{Path: "/", Backend: extensionsv1beta1.IngressBackend{
					ServiceName: "web", ServicePort: intstr.FromInt32(80)}}},
			}}},
		}}}
		ExtensionsV1beta1Ingress(ing)
		mustEqual(t, ing.Spec.Rules[0].HTTP.Paths[0].PathType, ptr.To(extensionsv1beta1.PathTypeImplementationSpecific))
	})
}

func TestIngressClass(t *testing.T) {
	ic := &networkingv1.IngressClass{Spec: networkingv1.IngressClassSpec{
		Controller: "example.com/ingress-controller",
		Parameters: &networkingv1.IngressClassParametersReference{Kind: "IngressParameters", Name: "external-lb"},
	}}
	IngressClass(ic)
	mustEqual(t, ic.Spec.Parameters.Scope, ptr.To("Cluster"))

	bare := &networkingv1.IngressClass{Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"}}
	IngressClass(bare)
	if bare.Spec.Parameters != nil {
		t.Error("parameters were invented")
	}
}

func TestNetworkPolicy(t *testing.T) {
	tests := []struct {
		name      string
		in        networkingv1.NetworkPolicySpec
		wantTypes []networkingv1.PolicyType
	}{
		{
			name: "ingress only",
			in: networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{
				Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(6379))}}}}},
			wantTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		},
		{
			name: "egress rules add Egress",
			in: networkingv1.NetworkPolicySpec{Egress: []networkingv1.NetworkPolicyEgressRule{{
				Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(5978))}}}}},
			wantTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		},
		{
			name:      "explicit types kept",
			in:        networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}},
			wantTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			np := &networkingv1.NetworkPolicy{Spec: *tc.in.DeepCopy()}
			NetworkPolicy(np)
			mustEqual(t, np.Spec.PolicyTypes, tc.wantTypes)
			for _, r := range np.Spec.Ingress {
				for _, p := range r.Ports {
					mustEqual(t, p.Protocol, ptr.To(corev1.ProtocolTCP))
				}
			}
			for _, r := range np.Spec.Egress {
				for _, p := range r.Ports {
					mustEqual(t, p.Protocol, ptr.To(corev1.ProtocolTCP))
				}
			}
		})
	}
}
