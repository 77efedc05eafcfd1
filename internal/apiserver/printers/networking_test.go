package printers

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

func TestEndpointSliceRow(t *testing.T) {
	endpoint := func(ready bool, addrs ...string) discoveryv1.Endpoint {
		return discoveryv1.Endpoint{Addresses: addrs, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}
	}
	port := func(name string, p int32) discoveryv1.EndpointPort {
		return discoveryv1.EndpointPort{Name: &name, Port: &p, Protocol: ptr(corev1.ProtocolTCP)}
	}

	tests := []struct {
		name  string
		slice discoveryv1.EndpointSlice
		want  []any
	}{
		{
			name: "ports and endpoints, not-ready ones included",
			slice: discoveryv1.EndpointSlice{
				AddressType: discoveryv1.AddressTypeIPv4,
				Ports:       []discoveryv1.EndpointPort{port("http", 8080), port("metrics", 9090)},
				Endpoints:   []discoveryv1.Endpoint{endpoint(true, "10.244.1.5"), endpoint(false, "10.244.2.7")},
			},
			want: []any{"web-abc12", "IPv4", "8080,9090", "10.244.1.5,10.244.2.7", "15m"},
		},
		{
			name: "five endpoints and four ports",
			slice: discoveryv1.EndpointSlice{
				AddressType: discoveryv1.AddressTypeIPv6,
				Ports:       []discoveryv1.EndpointPort{port("a", 1), port("b", 2), port("c", 3), port("d", 4)},
				Endpoints: []discoveryv1.Endpoint{
					endpoint(true, "fd00::1"), endpoint(true, "fd00::2"), endpoint(true, "fd00::3", "fd00::33"), endpoint(true, "fd00::4"),
				},
			},
			want: []any{"web-abc12", "IPv6", "1,2,3 + 1 more...", "fd00::1,fd00::2,fd00::3 + 2 more...", "15m"},
		},
		{
			name: "port without number shows its name, neither shows *",
			slice: discoveryv1.EndpointSlice{
				AddressType: discoveryv1.AddressTypeFQDN,
				Ports:       []discoveryv1.EndpointPort{{Name: ptr("dns")}, {}},
				Endpoints:   []discoveryv1.Endpoint{endpoint(true, "db.example.com")},
			},
			want: []any{"web-abc12", "FQDN", "dns,*", "db.example.com", "15m"},
		},
		{
			name:  "empty",
			slice: discoveryv1.EndpointSlice{AddressType: discoveryv1.AddressTypeIPv4},
			want:  []any{"web-abc12", "IPv4", "<unset>", "<unset>", "15m"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.slice.ObjectMeta = objectMeta("web-abc12", 15*time.Minute)
			assertCells(t, row(t, grEndpointSlices, &tt.slice), tt.want)
		})
	}
}

func TestIngressRow(t *testing.T) {
	rule := func(host string) networkingv1.IngressRule { return networkingv1.IngressRule{Host: host} }
	lb := func(in ...networkingv1.IngressLoadBalancerIngress) networkingv1.IngressStatus {
		return networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{Ingress: in}}
	}

	tests := []struct {
		name string
		ing  networkingv1.Ingress
		want []any
	}{
		{
			name: "TLS with class and address",
			ing: networkingv1.Ingress{
				Spec: networkingv1.IngressSpec{
					IngressClassName: ptr("nginx"),
					Rules:            []networkingv1.IngressRule{rule("shop.example.com"), rule("api.example.com")},
					TLS:              []networkingv1.IngressTLS{{Hosts: []string{"shop.example.com"}, SecretName: "shop-tls"}},
				},
				Status: lb(networkingv1.IngressLoadBalancerIngress{IP: "203.0.113.50"}),
			},
			want: []any{"shop", "nginx", "shop.example.com,api.example.com", "203.0.113.50", "80, 443", "4h"},
		},
		{
			name: "no class, no host, no address",
			ing: networkingv1.Ingress{Spec: networkingv1.IngressSpec{
				DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web"}},
			}},
			want: []any{"shop", "<none>", "*", "", "80", "4h"},
		},
		{
			name: "only hostless rules",
			ing:  networkingv1.Ingress{Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{rule(""), rule("")}}},
			want: []any{"shop", "<none>", "*", "", "80", "4h"},
		},
		{
			name: "more than three hosts count the remaining rules",
			ing: networkingv1.Ingress{Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{
				rule("a.example.com"), rule(""), rule("b.example.com"), rule("c.example.com"), rule("d.example.com"), rule(""),
			}}},
			want: []any{"shop", "<none>", "a.example.com,b.example.com,c.example.com + 3 more...", "", "80", "4h"},
		},
		{
			name: "four rules with a hostless one stay under the limit",
			ing: networkingv1.Ingress{Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{
				rule("a.example.com"), rule(""), rule(""), rule("b.example.com"),
			}}},
			want: []any{"shop", "<none>", "a.example.com,b.example.com", "", "80", "4h"},
		},
		{
			name: "addresses sorted and unclipped, hostname when no IP",
			ing: networkingv1.Ingress{Status: lb(
				networkingv1.IngressLoadBalancerIngress{Hostname: "k8s-ingress-1234567890.elb.example.com"},
				networkingv1.IngressLoadBalancerIngress{IP: "203.0.113.9"},
				networkingv1.IngressLoadBalancerIngress{IP: "198.51.100.200", Hostname: "x"},
			)},
			want: []any{"shop", "<none>", "*", "198.51.100.200,203.0.113.9,k8s-ingress-1234567890.elb.example.com", "80", "4h"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ing.ObjectMeta = objectMeta("shop", 4*time.Hour)
			assertCells(t, row(t, grIngresses, &tt.ing), tt.want)
		})
	}
}

func TestIngressClassRow(t *testing.T) {
	tests := []struct {
		name   string
		params *networkingv1.IngressClassParametersReference
		want   string
	}{
		{name: "no parameters", want: "<none>"},
		{
			name:   "with API group",
			params: &networkingv1.IngressClassParametersReference{APIGroup: ptr("k8s.example.com"), Kind: "IngressParameters", Name: "external-lb"},
			want:   "IngressParameters.k8s.example.com/external-lb",
		},
		{
			name:   "core kind",
			params: &networkingv1.IngressClassParametersReference{Kind: "ConfigMap", Name: "nginx-params", Scope: ptr("Namespace"), Namespace: ptr("ingress")},
			want:   "ConfigMap/nginx-params",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ic := &networkingv1.IngressClass{
				ObjectMeta: objectMeta("nginx", 8*24*time.Hour),
				Spec:       networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx", Parameters: tt.params},
			}
			assertCells(t, row(t, grIngressClasses, ic), []any{"nginx", "k8s.io/ingress-nginx", tt.want, "8d"})
		})
	}
}

func TestServiceCIDRRow(t *testing.T) {
	tests := []struct {
		name  string
		cidrs []string
		want  string
	}{
		{name: "dual stack", cidrs: []string{"10.96.0.0/16", "fd00:10:96::/112"}, want: "10.96.0.0/16,fd00:10:96::/112"},
		{name: "single", cidrs: []string{"10.100.0.0/24"}, want: "10.100.0.0/24"},
		{name: "none", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := &networkingv1.ServiceCIDR{
				ObjectMeta: objectMeta("kubernetes", 3*24*time.Hour),
				Spec:       networkingv1.ServiceCIDRSpec{CIDRs: tt.cidrs},
			}
			assertCells(t, row(t, grServiceCIDRs, sc), []any{"kubernetes", tt.want, "3d"})
		})
	}
}
