package validation

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Messages below are kube-apiserver's, assembled from the detail strings in
// kube's pkg/apis/core/validation and apimachinery's field/validation
// packages (bad values render as JSON since apimachinery v0.3x).
const (
	dns1035Msg   = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
	dns1123Label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
	dns1123Sub   = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
	labelValue   = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
	portRange    = "must be between 1 and 65535, inclusive"
	badIP        = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
	badCIDR      = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
)

// svc builds an undefaulted ClusterIP Service with one port; mutate edits it
// before the v1 defaults are applied, as a decoded manifest would be.
func svc(name string, mutate func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"},
			Ports:    []corev1.ServicePort{{Port: 80}},
		},
	}
	if mutate != nil {
		mutate(s)
	}
	return defaultService(s)
}

func namedPorts(ports ...corev1.ServicePort) []corev1.ServicePort { return ports }

func TestValidateServiceInvalid(t *testing.T) {
	cases := []struct {
		name   string
		svc    *corev1.Service
		expect string
	}{
		{"no ports", svc("x", func(s *corev1.Service) { s.Spec.Ports = nil }),
			`Service "x" is invalid: spec.ports: Required value`},
		{"uppercase name", svc("Web", nil),
			`Service "Web" is invalid: metadata.name: Invalid value: "Web": ` + dns1035Msg},
		{"name starts with digit", svc("1web", nil),
			`Service "1web" is invalid: metadata.name: Invalid value: "1web": ` + dns1035Msg},
		{"no namespace", svc("x", func(s *corev1.Service) { s.Namespace = "" }),
			`Service "x" is invalid: metadata.namespace: Required value`},
		{"unqualified finalizer", svc("x", func(s *corev1.Service) { s.Finalizers = []string{"foo"} }),
			`Service "x" is invalid: metadata.finalizers[0]: Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified`},
		{"multi-port without name", svc("x", func(s *corev1.Service) {
			s.Spec.Ports = namedPorts(corev1.ServicePort{Name: "http", Port: 80}, corev1.ServicePort{Port: 443})
		}), `Service "x" is invalid: spec.ports[1].name: Required value`},
		{"duplicate port name", svc("x", func(s *corev1.Service) {
			s.Spec.Ports = namedPorts(corev1.ServicePort{Name: "http", Port: 80}, corev1.ServicePort{Name: "http", Port: 443})
		}), `Service "x" is invalid: spec.ports[1].name: Duplicate value: "http"`},
		{"port name not a DNS label", svc("x", func(s *corev1.Service) { s.Spec.Ports[0].Name = "HTTP" }),
			`Service "x" is invalid: spec.ports[0].name: Invalid value: "HTTP": ` + dns1123Label},
		{"port zero", svc("x", func(s *corev1.Service) { s.Spec.Ports[0].Port = 0 }),
			`Service "x" is invalid: [spec.ports[0].port: Invalid value: 0: ` + portRange + `, spec.ports[0].targetPort: Invalid value: 0: ` + portRange + `]`},
		{"port too large", svc("x", func(s *corev1.Service) {
			s.Spec.Ports[0].Port = 70000
			s.Spec.Ports[0].TargetPort = intstr.FromInt32(8080)
		}), `Service "x" is invalid: spec.ports[0].port: Invalid value: 70000: ` + portRange},
		{"unsupported protocol", svc("x", func(s *corev1.Service) { s.Spec.Ports[0].Protocol = "FOO" }),
			`Service "x" is invalid: spec.ports[0].protocol: Unsupported value: "FOO": supported values: "SCTP", "TCP", "UDP"`},
		{"targetPort number out of range", svc("x", func(s *corev1.Service) { s.Spec.Ports[0].TargetPort = intstr.FromInt32(70000) }),
			`Service "x" is invalid: spec.ports[0].targetPort: Invalid value: 70000: ` + portRange},
		{"targetPort name charset", svc("x", func(s *corev1.Service) { s.Spec.Ports[0].TargetPort = intstr.FromString("http_web") }),
			`Service "x" is invalid: spec.ports[0].targetPort: Invalid value: "http_web": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`},
		{"targetPort name too long", svc("x", func(s *corev1.Service) { s.Spec.Ports[0].TargetPort = intstr.FromString("a-very-long-port-name") }),
			`Service "x" is invalid: spec.ports[0].targetPort: Invalid value: "a-very-long-port-name": must be no more than 15 characters`},
		{"duplicate port", svc("x", func(s *corev1.Service) {
			s.Spec.Ports = namedPorts(corev1.ServicePort{Name: "a", Port: 80}, corev1.ServicePort{Name: "b", Port: 80})
		}), `Service "x" is invalid: spec.ports[1]: Duplicate value: {"Name":"","Protocol":"TCP","AppProtocol":null,"Port":80,"TargetPort":0,"NodePort":0}`},
		{"invalid appProtocol", svc("x", func(s *corev1.Service) { s.Spec.Ports[0].AppProtocol = ptr("-h2c") }),
			`Service "x" is invalid: spec.ports[0].appProtocol: Invalid value: "-h2c": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`},
		{"unsupported type", svc("x", func(s *corev1.Service) { s.Spec.Type = "Foo" }),
			`Service "x" is invalid: spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`},
		{"externalName not a DNS subdomain", svc("x", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeExternalName
			s.Spec.ExternalName = "my_host"
		}), `Service "x" is invalid: spec.externalName: Invalid value: "my_host": ` + dns1123Sub},
		{"externalName missing", svc("x", func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeExternalName }),
			`Service "x" is invalid: spec.externalName: Required value`},
		{"externalName with clusterIP", svc("x", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeExternalName
			s.Spec.ExternalName = "db.example.com"
			s.Spec.ClusterIP = "10.96.0.10"
		}), `Service "x" is invalid: spec.clusterIPs: Forbidden: may not be set for ExternalName services`},
		{"clusterIP not an IP", svc("x", func(s *corev1.Service) { s.Spec.ClusterIP = "bad" }),
			`Service "x" is invalid: spec.clusterIPs[0]: Invalid value: "bad": ` + badIP},
		{"clusterIP with leading zeros", svc("x", func(s *corev1.Service) { s.Spec.ClusterIP = "10.096.0.1" }),
			`Service "x" is invalid: spec.clusterIPs[0]: Invalid value: "10.096.0.1": must not have leading 0s`},
		{"clusterIPs[0] differs from clusterIP", svc("x", func(s *corev1.Service) {
			s.Spec.ClusterIP = "10.96.0.1"
			s.Spec.ClusterIPs = []string{"10.96.0.2"}
		}), `Service "x" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.2"]: first value must match ` + "`clusterIP`"},
		{"two IPv4 clusterIPs", svc("x", func(s *corev1.Service) {
			s.Spec.ClusterIP = "10.96.0.1"
			s.Spec.ClusterIPs = []string{"10.96.0.1", "10.96.0.2"}
		}), `Service "x" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.1","10.96.0.2"]: may specify no more than one IP for each IP family`},
		{"clusterIP family mismatch", svc("x", func(s *corev1.Service) {
			s.Spec.ClusterIP = "10.96.0.1"
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol}
		}), `Service "x" is invalid: spec.clusterIPs[0]: Invalid value: "10.96.0.1": expected an IPv6 value as indicated by ` + "`ipFamilies[0]`"},
		{"unsupported ipFamily", svc("x", func(s *corev1.Service) { s.Spec.IPFamilies = []corev1.IPFamily{"IPv5"} }),
			`Service "x" is invalid: spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"`},
		{"unsupported ipFamilyPolicy", svc("x", func(s *corev1.Service) { s.Spec.IPFamilyPolicy = ptr(corev1.IPFamilyPolicy("Triple")) }),
			`Service "x" is invalid: spec.ipFamilyPolicy: Unsupported value: "Triple": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"`},
		{"headless LoadBalancer", svc("x", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.ClusterIP = corev1.ClusterIPNone
		}), `Service "x" is invalid: spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for LoadBalancer services`},
		{"headless NodePort", svc("x", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.ClusterIP = corev1.ClusterIPNone
		}), `Service "x" is invalid: spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`},
		{"nodePort on ClusterIP", svc("x", func(s *corev1.Service) { s.Spec.Ports[0].NodePort = 30080 }),
			"Service \"x\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"},
		{"duplicate nodePort", svc("x", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.Ports = namedPorts(corev1.ServicePort{Name: "a", Port: 80, NodePort: 30080}, corev1.ServicePort{Name: "b", Port: 81, NodePort: 30080})
		}), `Service "x" is invalid: spec.ports[1].nodePort: Duplicate value: 30080`},
		{"unsupported sessionAffinity", svc("x", func(s *corev1.Service) { s.Spec.SessionAffinity = "Sticky" }),
			`Service "x" is invalid: spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"`},
		{"affinity timeout zero", svc("x", func(s *corev1.Service) {
			s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
			s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr(int32(0))}}
		}), `Service "x" is invalid: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400`},
		{"affinity timeout too long", svc("x", func(s *corev1.Service) {
			s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
			s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr(int32(86401))}}
		}), `Service "x" is invalid: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400`},
		{"externalTrafficPolicy on ClusterIP", svc("x", func(s *corev1.Service) { s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal }),
			`Service "x" is invalid: spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services`},
		{"unsupported externalTrafficPolicy", svc("x", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.ExternalTrafficPolicy = "Global"
		}), `Service "x" is invalid: spec.externalTrafficPolicy: Unsupported value: "Global": supported values: "Cluster", "Local"`},
		{"healthCheckNodePort without Local LB", svc("x", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.HealthCheckNodePort = 30000
		}), "Service \"x\" is invalid: spec.healthCheckNodePort: Invalid value: 30000: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"},
		{"unsupported internalTrafficPolicy", svc("x", func(s *corev1.Service) {
			s.Spec.InternalTrafficPolicy = ptr(corev1.ServiceInternalTrafficPolicy("Node"))
		}), `Service "x" is invalid: spec.internalTrafficPolicy: Unsupported value: "Node": supported values: "Cluster", "Local"`},
		{"externalIP not an IP", svc("x", func(s *corev1.Service) { s.Spec.ExternalIPs = []string{"1.2.3"} }),
			`Service "x" is invalid: spec.externalIPs[0]: Invalid value: "1.2.3": ` + badIP},
		{"externalIP loopback", svc("x", func(s *corev1.Service) { s.Spec.ExternalIPs = []string{"127.0.0.1"} }),
			`Service "x" is invalid: spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)`},
		{"loadBalancerSourceRanges bad CIDR", svc("x", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8", "10.0.0.0/33"}
		}), `Service "x" is invalid: spec.LoadBalancerSourceRanges[1]: Invalid value: "10.0.0.0/33": ` + badCIDR},
		{"loadBalancerSourceRanges on ClusterIP", svc("x", func(s *corev1.Service) { s.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"} }),
			"Service \"x\" is invalid: spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"},
		{"source-ranges annotation bad CIDR", svc("x", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Annotations = map[string]string{corev1.AnnotationLoadBalancerSourceRangesKey: "10.0.0.0/8, nope"}
		}), `Service "x" is invalid: metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: Invalid value: "nope": ` + badCIDR},
		{"loadBalancerClass on ClusterIP", svc("x", func(s *corev1.Service) { s.Spec.LoadBalancerClass = ptr("example.com/lb") }),
			"Service \"x\" is invalid: spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'"},
		{"allocateLoadBalancerNodePorts on NodePort", svc("x", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.AllocateLoadBalancerNodePorts = ptr(false)
		}), "Service \"x\" is invalid: spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'"},
		{"selector label value", svc("x", func(s *corev1.Service) { s.Spec.Selector = map[string]string{"app": "not valid!"} }),
			`Service "x" is invalid: spec.selector: Invalid value: "not valid!": ` + labelValue},
		{"unsupported trafficDistribution", svc("x", func(s *corev1.Service) { s.Spec.TrafficDistribution = ptr("Nearest") }),
			`Service "x" is invalid: spec.trafficDistribution: Unsupported value: "Nearest": supported values: "PreferClose", "PreferSameNode", "PreferSameZone"`},
		{"topology annotations disagree", svc("x", func(s *corev1.Service) {
			s.Annotations = map[string]string{corev1.DeprecatedAnnotationTopologyAwareHints: "Auto", corev1.AnnotationTopologyMode: "Disabled"}
		}), `Service "x" is invalid: metadata.annotations[service.kubernetes.io/topology-mode]: Invalid value: "Disabled": must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified`},
	}
	if len(cases) < 30 {
		t.Fatalf("want at least 30 invalid Services, have %d", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "", "Service", tc.svc.Name, ValidateService(tc.svc), tc.expect)
		})
	}
}

func TestValidateServiceValid(t *testing.T) {
	cases := map[string]*corev1.Service{
		"ClusterIP": svc("web", nil),
		"allocated IPs": svc("web", func(s *corev1.Service) {
			s.Spec.ClusterIP = "10.96.0.10"
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
			s.Spec.IPFamilyPolicy = ptr(corev1.IPFamilyPolicySingleStack)
		}),
		"NodePort": svc("web", func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort; s.Spec.Ports[0].NodePort = 30080 }),
		"LoadBalancer": svc("web", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.LoadBalancerSourceRanges = []string{" 10.0.0.0/8"}
		}),
		"Local LB": svc("web", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
			s.Spec.HealthCheckNodePort = 31000
		}),
		"ExternalName": svc("db", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeExternalName
			s.Spec.ExternalName = "db.example.com."
			s.Spec.Ports = nil
		}),
		"headless": svc("web", func(s *corev1.Service) { s.Spec.ClusterIP = corev1.ClusterIPNone }),
		"headless no port": svc("web", func(s *corev1.Service) {
			s.Spec.ClusterIP = corev1.ClusterIPNone
			s.Spec.Ports = nil
			s.Spec.Selector = nil
		}),
		"multi-port named": svc("web", func(s *corev1.Service) {
			s.Spec.Ports = namedPorts(
				corev1.ServicePort{Name: "http", Port: 80, TargetPort: intstr.FromString("http")},
				corev1.ServicePort{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
				corev1.ServicePort{Name: "dns-tcp", Port: 53},
			)
		}),
		"ClientIP affinity": svc("web", func(s *corev1.Service) { s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP }),
		"externalIPs":       svc("web", func(s *corev1.Service) { s.Spec.ExternalIPs = []string{"192.0.2.10"} }),
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			checkMessage(t, "", "Service", s.Name, ValidateService(s), "")
		})
	}
}

func TestValidateServiceUpdate(t *testing.T) {
	allocated := func(mutate func(*corev1.Service)) *corev1.Service {
		return svc("web", func(s *corev1.Service) {
			s.ResourceVersion = "1"
			s.Spec.ClusterIP = "10.96.0.2"
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
			s.Spec.IPFamilyPolicy = ptr(corev1.IPFamilyPolicySingleStack)
			if mutate != nil {
				mutate(s)
			}
		})
	}
	old := allocated(nil)
	cases := []struct {
		name   string
		new    *corev1.Service
		old    *corev1.Service
		expect string
	}{
		{"unchanged", allocated(nil), old, ""},
		{"clusterIP changed", allocated(func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.0.3" }), old,
			`Service "web" is invalid: spec.clusterIPs[0]: Invalid value: ["10.96.0.3"]: may not change once set`},
		{"clusterIP cleared", allocated(func(s *corev1.Service) { s.Spec.ClusterIP = "" }), old,
			`Service "web" is invalid: spec.clusterIPs[0]: Invalid value: null: primary clusterIP can not be unset`},
		{"ipFamily changed", allocated(func(s *corev1.Service) { s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol} }), old,
			`Service "web" is invalid: [spec.ipFamilies[0]: Invalid value: ["IPv6"]: may not change once set, spec.clusterIPs[0]: Invalid value: "10.96.0.2": expected an IPv6 value as indicated by ` + "`ipFamilies[0]`]"},
		{"to ExternalName keeping IP fields", allocated(func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeExternalName
			s.Spec.ExternalName = "db.example.com"
		}), old, `Service "web" is invalid: [spec.clusterIPs: Forbidden: may not be set for ExternalName services, spec.ipFamilies: Forbidden: may not be set for ExternalName services, spec.ipFamilyPolicy: Forbidden: may not be set for ExternalName services]`},
		{"to ExternalName with IP fields cleared", svc("web", func(s *corev1.Service) {
			s.ResourceVersion = "1"
			s.Spec.Type = corev1.ServiceTypeExternalName
			s.Spec.ExternalName = "db.example.com"
		}), old, ""},
		{"from ExternalName gets an IP", allocated(nil), svc("web", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeExternalName
			s.Spec.ExternalName = "db.example.com"
		}), ""},
		{"loadBalancerClass changed", allocated(func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.LoadBalancerClass = ptr("b.example.com/lb")
		}), allocated(func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.LoadBalancerClass = ptr("a.example.com/lb")
		}), `Service "web" is invalid: spec.loadBalancerClass: Invalid value: "b.example.com/lb": may not change once set`},
		{"healthCheckNodePort changed", allocated(func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
			s.Spec.HealthCheckNodePort = 31001
		}), allocated(func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
			s.Spec.HealthCheckNodePort = 31000
		}), `Service "web" is invalid: spec.healthCheckNodePort: Forbidden: field is immutable`},
		{"missing resourceVersion", allocated(func(s *corev1.Service) { s.ResourceVersion = "" }), old,
			`Service "web" is invalid: metadata.resourceVersion: Invalid value: "": must be specified for an update`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "", "Service", tc.new.Name, ValidateServiceUpdate(tc.new, tc.old), tc.expect)
		})
	}
}
