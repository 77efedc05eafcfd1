package validation

import (
	"net"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestValidateNodePortRange(t *testing.T) {
	const defaultRange = "provided port is not in the valid range. The range of valid ports is 30000-32767"
	cases := []struct {
		name       string
		svc        *corev1.Service
		base, size int
		expect     string
	}{
		{"below range", svc("web", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.Ports[0].NodePort = 18000
		}), 30000, 2768, `Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 18000: ` + defaultRange},
		{"above range on LoadBalancer", svc("web", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.Ports[0].NodePort = 32768
		}), 30000, 2768, `Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 32768: ` + defaultRange},
		{"custom range", svc("web", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.Ports[0].NodePort = 31536
		}), 20000, 2768, `Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 31536: provided port is not in the valid range. The range of valid ports is 20000-22767`},
		{"second port", svc("web", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.Ports = namedPorts(corev1.ServicePort{Name: "a", Port: 80, NodePort: 30080}, corev1.ServicePort{Name: "b", Port: 81, NodePort: 40000})
		}), 30000, 2768, `Service "web" is invalid: spec.ports[1].nodePort: Invalid value: 40000: ` + defaultRange},
		{"shared port number reports the first entry", svc("dns", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.Ports = namedPorts(corev1.ServicePort{Name: "tcp", Port: 53}, corev1.ServicePort{Name: "udp", Port: 53, Protocol: corev1.ProtocolUDP, NodePort: 18000})
		}), 30000, 2768, `Service "dns" is invalid: spec.ports[0].nodePort: Invalid value: 18000: ` + defaultRange},
		{"in range", svc("web", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.Ports[0].NodePort = 32767
		}), 30000, 2768, ""},
		{"unset nodePort", svc("web", func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort }), 30000, 2768, ""},
		{"ClusterIP is not allocated", svc("web", func(s *corev1.Service) { s.Spec.Ports[0].NodePort = 80 }), 30000, 2768, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "", "Service", tc.svc.Name, ValidateNodePortRange(tc.svc, tc.base, tc.size), tc.expect)
		})
	}
}

func TestValidateClusterIPInRange(t *testing.T) {
	_, cidr, err := net.ParseCIDR("10.96.0.0/12")
	if err != nil {
		t.Fatal(err)
	}
	withIP := func(ip string) *corev1.Service {
		return svc("web", func(s *corev1.Service) { s.Spec.ClusterIP = ip })
	}
	notInRange := func(ip string) string {
		return `Service "web" is invalid: spec.clusterIPs: Invalid value: ["` + ip + `"]: failed to allocate IP ` + ip +
			`: the provided IP (` + ip + `) is not in the valid range. The range of valid IPs is 10.96.0.0/12`
	}
	cases := []struct {
		name   string
		svc    *corev1.Service
		expect string
	}{
		{"outside", withIP("1.2.3.4"), notInRange("1.2.3.4")},
		{"network address", withIP("10.96.0.0"), notInRange("10.96.0.0")},
		{"broadcast address", withIP("10.111.255.255"), notInRange("10.111.255.255")},
		{"first usable", withIP("10.96.0.1"), ""},
		{"last usable", withIP("10.111.255.254"), ""},
		{"not requested", withIP(""), ""},
		{"headless", withIP(corev1.ClusterIPNone), ""},
		{"other family", withIP("fd00::1"), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "", "Service", tc.svc.Name, ValidateClusterIPInRange(tc.svc, cidr), tc.expect)
		})
	}
}

func TestValidateServiceIPFamilies(t *testing.T) {
	v4Only := []corev1.IPFamily{corev1.IPv4Protocol}
	dual := []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
	cases := []struct {
		name     string
		svc, old *corev1.Service
		families []corev1.IPFamily
		expect   string
	}{
		{"defaults", svc("web", nil), nil, v4Only, ""},
		{"RequireDualStack on single stack", svc("web", func(s *corev1.Service) {
			s.Spec.IPFamilyPolicy = ptr(corev1.IPFamilyPolicyRequireDualStack)
		}), nil, v4Only, `Service "web" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services`},
		{"RequireDualStack on dual stack", svc("web", func(s *corev1.Service) {
			s.Spec.IPFamilyPolicy = ptr(corev1.IPFamilyPolicyRequireDualStack)
		}), nil, dual, ""},
		{"PreferDualStack on single stack", svc("web", func(s *corev1.Service) {
			s.Spec.IPFamilyPolicy = ptr(corev1.IPFamilyPolicyPreferDualStack)
		}), nil, v4Only, ""},
		{"IPv6 family", svc("web", func(s *corev1.Service) { s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol} }), nil, v4Only,
			`Service "web" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster`},
		{"IPv6 clusterIP", svc("web", func(s *corev1.Service) { s.Spec.ClusterIP = "fd00::10" }), nil, v4Only,
			`Service "web" is invalid: spec.clusterIPs[0]: Invalid value: ["fd00::10"]: IPv6 is not configured on this cluster`},
		{"SingleStack with two families", svc("web", func(s *corev1.Service) {
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
		}), nil, dual, `Service "web" is invalid: spec.ipFamilyPolicy: Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified`},
		{"headless selectorless may ask for any family", svc("web", func(s *corev1.Service) {
			s.Spec.ClusterIP = corev1.ClusterIPNone
			s.Spec.Selector = nil
		}), nil, v4Only, ""},
		{"malformed fields stop first", svc("web", func(s *corev1.Service) {
			s.Spec.ClusterIP = "bad"
			s.Spec.IPFamilyPolicy = ptr(corev1.IPFamilyPolicyRequireDualStack)
		}), nil, v4Only, `Service "web" is invalid: spec.clusterIPs[0]: Invalid value: "bad": ` + badIP},
		{"release secondary without SingleStack", svc("web", func(s *corev1.Service) {
			s.Spec.ClusterIP = "10.96.0.2"
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
			s.Spec.IPFamilyPolicy = ptr(corev1.IPFamilyPolicyRequireDualStack)
		}), svc("web", func(s *corev1.Service) {
			s.Spec.ClusterIP = "10.96.0.2"
			s.Spec.ClusterIPs = []string{"10.96.0.2", "fd00::2"}
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
			s.Spec.IPFamilyPolicy = ptr(corev1.IPFamilyPolicyRequireDualStack)
		}), dual, `Service "web" is invalid: [spec.ipFamilyPolicy: Invalid value: "RequireDualStack": must be 'SingleStack' to release the secondary cluster IP, spec.ipFamilyPolicy: Invalid value: "RequireDualStack": must be 'SingleStack' to release the secondary IP family]`},
		{"ExternalName", svc("db", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeExternalName
			s.Spec.ExternalName = "db.example.com"
			s.Spec.IPFamilyPolicy = ptr(corev1.IPFamilyPolicyRequireDualStack)
		}), nil, v4Only, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "", "Service", tc.svc.Name, ValidateServiceIPFamilies(tc.svc, tc.old, tc.families), tc.expect)
		})
	}
}
