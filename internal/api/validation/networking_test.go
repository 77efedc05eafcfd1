package validation

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func ingress(mutate func(*networkingv1.Ingress)) *networkingv1.Ingress {
	prefix := networkingv1.PathTypePrefix
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: networkingv1.IngressSpec{
			Rules: []networkingv1.IngressRule{{
				Host: "example.com",
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{{
						Path:     "/",
						PathType: &prefix,
						Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
							Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80},
						}},
					}},
				}},
			}},
		},
	}
	if mutate != nil {
		mutate(ing)
	}
	return ing
}

func firstPath(ing *networkingv1.Ingress) *networkingv1.HTTPIngressPath {
	return &ing.Spec.Rules[0].HTTP.Paths[0]
}

func TestValidateIngress(t *testing.T) {
	const pfx = `Ingress.networking.k8s.io "web" is invalid: `
	const backend = "spec.rules[0].http.paths[0].backend"
	cases := []struct {
		name   string
		ing    *networkingv1.Ingress
		expect string
	}{
		{"valid", ingress(nil), ""},
		{"wildcard host", ingress(func(i *networkingv1.Ingress) { i.Spec.Rules[0].Host = "*.example.com" }), ""},
		{"default backend only", ingress(func(i *networkingv1.Ingress) {
			i.Spec.DefaultBackend = &firstPath(i).Backend
			i.Spec.Rules = nil
		}), ""},
		{"resource backend", ingress(func(i *networkingv1.Ingress) {
			firstPath(i).Backend = networkingv1.IngressBackend{Resource: &corev1.TypedLocalObjectReference{APIGroup: ptr("k8s.example.com"), Kind: "StorageBucket", Name: "static"}}
		}), ""},
		{"named port", ingress(func(i *networkingv1.Ingress) {
			firstPath(i).Backend.Service.Port = networkingv1.ServiceBackendPort{Name: "http"}
		}), ""},
		{"nothing to route", ingress(func(i *networkingv1.Ingress) { i.Spec.Rules = nil }),
			pfx + "spec: Invalid value: null: either `defaultBackend` or `rules` must be specified"},
		{"host not a DNS subdomain", ingress(func(i *networkingv1.Ingress) { i.Spec.Rules[0].Host = "Example.com" }),
			pfx + `spec.rules[0].host: Invalid value: "Example.com": ` + dns1123Sub},
		{"host is an IP", ingress(func(i *networkingv1.Ingress) { i.Spec.Rules[0].Host = "10.0.0.1" }),
			pfx + `spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address`},
		{"bad wildcard", ingress(func(i *networkingv1.Ingress) { i.Spec.Rules[0].Host = "*.*.example.com" }),
			pfx + `spec.rules[0].host: Invalid value: "*.*.example.com": a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
		{"relative path", ingress(func(i *networkingv1.Ingress) { firstPath(i).Path = "api" }),
			pfx + `spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path`},
		{"double slash", ingress(func(i *networkingv1.Ingress) { firstPath(i).Path = "/a//b" }),
			pfx + `spec.rules[0].http.paths[0].path: Invalid value: "/a//b": must not contain '//'`},
		{"pathType missing", ingress(func(i *networkingv1.Ingress) { firstPath(i).PathType = nil }),
			pfx + `spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified`},
		{"pathType unknown", ingress(func(i *networkingv1.Ingress) { firstPath(i).PathType = ptr(networkingv1.PathType("Regex")) }),
			pfx + `spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"`},
		{"no paths", ingress(func(i *networkingv1.Ingress) { i.Spec.Rules[0].HTTP.Paths = nil }),
			pfx + `spec.rules[0].http.paths: Required value`},
		{"both backends", ingress(func(i *networkingv1.Ingress) {
			firstPath(i).Backend.Resource = &corev1.TypedLocalObjectReference{Kind: "Bucket", Name: "b"}
		}), pfx + backend + `: Invalid value: "": cannot set both resource and service backends`},
		{"no backend", ingress(func(i *networkingv1.Ingress) { firstPath(i).Backend = networkingv1.IngressBackend{} }),
			pfx + backend + `: Invalid value: "": resource or service backend is required`},
		{"port name and number", ingress(func(i *networkingv1.Ingress) { firstPath(i).Backend.Service.Port.Name = "http" }),
			pfx + backend + `: Invalid value: "": cannot set both port name & port number`},
		{"no port", ingress(func(i *networkingv1.Ingress) { firstPath(i).Backend.Service.Port = networkingv1.ServiceBackendPort{} }),
			pfx + backend + `: Required value: port name or number is required`},
		{"service name", ingress(func(i *networkingv1.Ingress) { firstPath(i).Backend.Service.Name = "1web" }),
			pfx + backend + `.service.name: Invalid value: "1web": ` + dns1035Msg},
		{"port number", ingress(func(i *networkingv1.Ingress) { firstPath(i).Backend.Service.Port.Number = 70000 }),
			pfx + backend + `.service.port.number: Invalid value: 70000: ` + portRange},
		{"tls secret name", ingress(func(i *networkingv1.Ingress) {
			i.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{"example.com"}, SecretName: "web_tls"}}
		}), pfx + `spec.tls[0].secretName: Invalid value: "web_tls": ` + dns1123Sub},
		{"class annotation disagrees", ingress(func(i *networkingv1.Ingress) {
			i.Annotations = map[string]string{"kubernetes.io/ingress.class": "nginx"}
			i.Spec.IngressClassName = ptr("traefik")
		}), pfx + "annotations.kubernetes.io/ingress.class: Invalid value: \"nginx\": must match `ingressClassName` when both are specified"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "networking.k8s.io", "Ingress", tc.ing.Name, ValidateIngress(tc.ing), tc.expect)
		})
	}

	// An invalid secret name already stored is tolerated on update.
	withBadSecret := func(rv string) *networkingv1.Ingress {
		return ingress(func(i *networkingv1.Ingress) {
			i.ResourceVersion = rv
			i.Spec.TLS = []networkingv1.IngressTLS{{SecretName: "web_tls"}}
		})
	}
	checkMessage(t, "networking.k8s.io", "Ingress", "web", ValidateIngressUpdate(withBadSecret("2"), withBadSecret("2")), "")
	checkMessage(t, "networking.k8s.io", "Ingress", "web", ValidateIngressUpdate(withBadSecret("2"), ingress(func(i *networkingv1.Ingress) { i.ResourceVersion = "2" })),
		`Ingress.networking.k8s.io "web" is invalid: spec.tls[0].secretName: Invalid value: "web_tls": `+dns1123Sub)
}

func TestValidateIngressClass(t *testing.T) {
	ic := func(controller string, params *networkingv1.IngressClassParametersReference) *networkingv1.IngressClass {
		return &networkingv1.IngressClass{
			ObjectMeta: metav1.ObjectMeta{Name: "nginx", ResourceVersion: "1"},
			Spec:       networkingv1.IngressClassSpec{Controller: controller, Parameters: params},
		}
	}
	const pfx = `IngressClass.networking.k8s.io "nginx" is invalid: `
	checkMessage(t, "networking.k8s.io", "IngressClass", "nginx", ValidateIngressClass(ic("k8s.io/ingress-nginx", nil)), "")
	checkMessage(t, "networking.k8s.io", "IngressClass", "nginx", ValidateIngressClass(ic("", nil)), pfx+"spec.controller: Required value")
	checkMessage(t, "networking.k8s.io", "IngressClass", "nginx", ValidateIngressClass(ic("nginx", nil)),
		pfx+`spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")`)
	checkMessage(t, "networking.k8s.io", "IngressClass", "nginx", ValidateIngressClass(ic("k8s.io/ingress-nginx",
		&networkingv1.IngressClassParametersReference{Kind: "Config", Name: "c", Scope: ptr(networkingv1.IngressClassParametersReferenceScopeNamespace)})),
		pfx+"spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'")
	checkMessage(t, "networking.k8s.io", "IngressClass", "nginx", ValidateIngressClassUpdate(ic("example.com/b", nil), ic("example.com/a", nil)),
		pfx+`spec.controller: Invalid value: "example.com/b": field is immutable`)
}

func TestValidateEndpointSlice(t *testing.T) {
	slice := func(mutate func(*discoveryv1.EndpointSlice)) *discoveryv1.EndpointSlice {
		es := &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: "web-abc", Namespace: "default"},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.244.1.5"}}},
			Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(corev1.ProtocolTCP)}},
		}
		if mutate != nil {
			mutate(es)
		}
		return es
	}
	const pfx = `EndpointSlice.discovery.k8s.io "web-abc" is invalid: `
	cases := []struct {
		name   string
		es     *discoveryv1.EndpointSlice
		expect string
	}{
		{"valid", slice(nil), ""},
		{"unknown addressType", slice(func(es *discoveryv1.EndpointSlice) { es.AddressType = "IPv5" }),
			pfx + `addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"`},
		{"wrong family", slice(func(es *discoveryv1.EndpointSlice) { es.Endpoints[0].Addresses = []string{"fd00::5"} }),
			pfx + `endpoints[0].addresses[0]: Invalid value: "fd00::5": must be an IPv4 address`},
		{"not an IP", slice(func(es *discoveryv1.EndpointSlice) { es.Endpoints[0].Addresses = []string{"web"} }),
			pfx + `endpoints[0].addresses[0]: Invalid value: "web": ` + badIP},
		{"no addresses", slice(func(es *discoveryv1.EndpointSlice) { es.Endpoints[0].Addresses = nil }),
			pfx + `endpoints[0].addresses: Required value: must contain at least 1 address`},
		{"duplicate port name", slice(func(es *discoveryv1.EndpointSlice) { es.Ports = append(es.Ports, es.Ports[0]) }),
			pfx + `ports[1].name: Duplicate value: "http"`},
		{"port name", slice(func(es *discoveryv1.EndpointSlice) { es.Ports[0].Name = ptr("HTTP") }),
			pfx + `ports[0].name: Invalid value: "HTTP": ` + dns1123Label},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "discovery.k8s.io", "EndpointSlice", tc.es.Name, ValidateEndpointSlice(tc.es), tc.expect)
		})
	}
	v6 := slice(func(es *discoveryv1.EndpointSlice) {
		es.AddressType = discoveryv1.AddressTypeIPv6
		es.Endpoints[0].Addresses = []string{"fd00::5"}
	})
	checkMessage(t, "discovery.k8s.io", "EndpointSlice", "web-abc", ValidateEndpointSliceUpdate(v6, slice(nil)),
		pfx+`addressType: Invalid value: "IPv6": field is immutable`)
}
