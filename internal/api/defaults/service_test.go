package defaults

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestService(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "my-service", Namespace: "default"}
	selector := map[string]string{"app.kubernetes.io/name": "MyApp"}
	cluster := ptr.To(corev1.ServiceInternalTrafficPolicyCluster)

	tests := []struct {
		name string
		in   corev1.Service
		want corev1.Service
	}{
		{
			name: "plain service with targetPort",
			in: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Selector: selector,
				Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(9376)}},
			}},
			want: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Selector:              selector,
				Ports:                 []corev1.ServicePort{{Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(9376)}},
				Type:                  corev1.ServiceTypeClusterIP,
				SessionAffinity:       corev1.ServiceAffinityNone,
				InternalTrafficPolicy: cluster,
			}},
		},
		{
			name: "unset targetPort becomes port, named targetPort kept, UDP kept",
			in: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Selector: selector,
				Ports: []corev1.ServicePort{
					{Name: "http", Port: 80},
					{Name: "web", Port: 8080, TargetPort: intstr.FromString("http-web-svc")},
					{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("")},
				},
			}},
			want: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Selector: selector,
				Ports: []corev1.ServicePort{
					{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(80)},
					{Name: "web", Protocol: corev1.ProtocolTCP, Port: 8080, TargetPort: intstr.FromString("http-web-svc")},
					{Name: "dns", Protocol: corev1.ProtocolUDP, Port: 53, TargetPort: intstr.FromInt32(53)},
				},
				Type:                  corev1.ServiceTypeClusterIP,
				SessionAffinity:       corev1.ServiceAffinityNone,
				InternalTrafficPolicy: cluster,
			}},
		},
		{
			name: "NodePort",
			in: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Type:     corev1.ServiceTypeNodePort,
				Selector: selector,
				Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(80), NodePort: 30007}},
			}},
			want: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Type:                  corev1.ServiceTypeNodePort,
				Selector:              selector,
				Ports:                 []corev1.ServicePort{{Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(80), NodePort: 30007}},
				SessionAffinity:       corev1.ServiceAffinityNone,
				ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster,
				InternalTrafficPolicy: cluster,
			}},
		},
		{
			name: "LoadBalancer with ingress status",
			in: corev1.Service{ObjectMeta: meta,
				Spec: corev1.ServiceSpec{
					Type:     corev1.ServiceTypeLoadBalancer,
					Selector: selector,
					Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(9376)}},
				},
				Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{
					{IP: "192.0.2.127"},
					{Hostname: "lb.example.com"},
					{IP: "192.0.2.128", IPMode: ptr.To(corev1.LoadBalancerIPModeProxy)},
				}}},
			},
			want: corev1.Service{ObjectMeta: meta,
				Spec: corev1.ServiceSpec{
					Type:                          corev1.ServiceTypeLoadBalancer,
					Selector:                      selector,
					Ports:                         []corev1.ServicePort{{Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(9376)}},
					SessionAffinity:               corev1.ServiceAffinityNone,
					ExternalTrafficPolicy:         corev1.ServiceExternalTrafficPolicyCluster,
					InternalTrafficPolicy:         cluster,
					AllocateLoadBalancerNodePorts: ptr.To(true),
				},
				Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{
					{IP: "192.0.2.127", IPMode: ptr.To(corev1.LoadBalancerIPModeVIP)},
					{Hostname: "lb.example.com"},
					{IP: "192.0.2.128", IPMode: ptr.To(corev1.LoadBalancerIPModeProxy)},
				}}},
			},
		},
		{
			name: "LoadBalancer keeps explicit Local policy and node-port opt-out",
			in: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Type:                          corev1.ServiceTypeLoadBalancer,
				Selector:                      selector,
				Ports:                         []corev1.ServicePort{{Port: 443, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8443)}},
				ExternalTrafficPolicy:         corev1.ServiceExternalTrafficPolicyLocal,
				InternalTrafficPolicy:         ptr.To(corev1.ServiceInternalTrafficPolicyLocal),
				AllocateLoadBalancerNodePorts: ptr.To(false),
			}},
			want: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Type:                          corev1.ServiceTypeLoadBalancer,
				Selector:                      selector,
				Ports:                         []corev1.ServicePort{{Port: 443, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8443)}},
				SessionAffinity:               corev1.ServiceAffinityNone,
				ExternalTrafficPolicy:         corev1.ServiceExternalTrafficPolicyLocal,
				InternalTrafficPolicy:         ptr.To(corev1.ServiceInternalTrafficPolicyLocal),
				AllocateLoadBalancerNodePorts: ptr.To(false),
			}},
		},
		{
			name: "ClientIP affinity gets the 3h timeout",
			in: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Selector:        selector,
				SessionAffinity: corev1.ServiceAffinityClientIP,
				Ports:           []corev1.ServicePort{{Port: 80}},
			}},
			want: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Selector:        selector,
				SessionAffinity: corev1.ServiceAffinityClientIP,
				SessionAffinityConfig: &corev1.SessionAffinityConfig{
					ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](10800)},
				},
				Ports:                 []corev1.ServicePort{{Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(80)}},
				Type:                  corev1.ServiceTypeClusterIP,
				InternalTrafficPolicy: cluster,
			}},
		},
		{
			name: "ClientIP affinity keeps its timeout",
			in: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Selector:        selector,
				SessionAffinity: corev1.ServiceAffinityClientIP,
				SessionAffinityConfig: &corev1.SessionAffinityConfig{
					ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](60)},
				},
			}},
			want: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Selector:        selector,
				SessionAffinity: corev1.ServiceAffinityClientIP,
				SessionAffinityConfig: &corev1.SessionAffinityConfig{
					ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](60)},
				},
				Type:                  corev1.ServiceTypeClusterIP,
				InternalTrafficPolicy: cluster,
			}},
		},
		{
			name: "no affinity drops an affinity config",
			in: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Selector:              selector,
				SessionAffinityConfig: &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{}},
			}},
			want: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Selector:              selector,
				SessionAffinity:       corev1.ServiceAffinityNone,
				Type:                  corev1.ServiceTypeClusterIP,
				InternalTrafficPolicy: cluster,
			}},
		},
		{
			name: "ExternalName gets no traffic policies",
			in: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Type:         corev1.ServiceTypeExternalName,
				ExternalName: "my.database.example.com",
			}},
			want: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Type:            corev1.ServiceTypeExternalName,
				ExternalName:    "my.database.example.com",
				SessionAffinity: corev1.ServiceAffinityNone,
			}},
		},
		{
			name: "headless",
			in: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				ClusterIP: corev1.ClusterIPNone,
				Selector:  selector,
				Ports:     []corev1.ServicePort{{Name: "web", Port: 80}},
			}},
			want: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				ClusterIP:             corev1.ClusterIPNone,
				Selector:              selector,
				Ports:                 []corev1.ServicePort{{Name: "web", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(80)}},
				Type:                  corev1.ServiceTypeClusterIP,
				SessionAffinity:       corev1.ServiceAffinityNone,
				InternalTrafficPolicy: cluster,
			}},
		},
		{
			name: "ClusterIP with externalIPs is externally accessible",
			in: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Selector:    selector,
				ExternalIPs: []string{"198.51.100.32"},
				Ports:       []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(49152)}},
			}},
			want: corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Selector:              selector,
				ExternalIPs:           []string{"198.51.100.32"},
				Ports:                 []corev1.ServicePort{{Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(49152)}},
				Type:                  corev1.ServiceTypeClusterIP,
				SessionAffinity:       corev1.ServiceAffinityNone,
				ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster,
				InternalTrafficPolicy: cluster,
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.DeepCopy()
			Service(got)
			mustEqual(t, *got, tc.want)
		})
	}
}

func TestServiceIPFamilies(t *testing.T) {
	v4 := []corev1.IPFamily{corev1.IPv4Protocol}
	single := ptr.To(corev1.IPFamilyPolicySingleStack)
	selector := map[string]string{"app": "web"}

	tests := []struct {
		name   string
		family corev1.IPFamily
		in     corev1.ServiceSpec
		want   corev1.ServiceSpec
	}{
		{
			name:   "ClusterIP to be allocated",
			family: corev1.IPv4Protocol,
			in:     corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: selector},
			want:   corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: selector, IPFamilyPolicy: single, IPFamilies: v4},
		},
		{
			name:   "NodePort",
			family: corev1.IPv4Protocol,
			in:     corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: selector},
			want:   corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: selector, IPFamilyPolicy: single, IPFamilies: v4},
		},
		{
			name:   "LoadBalancer",
			family: corev1.IPv4Protocol,
			in:     corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: selector},
			want:   corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: selector, IPFamilyPolicy: single, IPFamilies: v4},
		},
		{
			name:   "requested clusterIP fills clusterIPs",
			family: corev1.IPv4Protocol,
			in:     corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: selector, ClusterIP: "10.96.0.10"},
			want: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: selector, ClusterIP: "10.96.0.10",
				ClusterIPs: []string{"10.96.0.10"}, IPFamilyPolicy: single, IPFamilies: v4},
		},
		{
			name:   "headless with selector is single-stack",
			family: corev1.IPv4Protocol,
			in:     corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: selector, ClusterIP: "None"},
			want: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: selector, ClusterIP: "None",
				ClusterIPs: []string{"None"}, IPFamilyPolicy: single, IPFamilies: v4},
		},
		{
			name:   "headless without selector requires dual-stack and lists both families",
			family: corev1.IPv4Protocol,
			in:     corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "None"},
			want: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "None", ClusterIPs: []string{"None"},
				IPFamilyPolicy: ptr.To(corev1.IPFamilyPolicyRequireDualStack),
				IPFamilies:     []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}},
		},
		{
			name:   "headless without selector keeps an explicit SingleStack",
			family: corev1.IPv4Protocol,
			in:     corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "None", IPFamilyPolicy: single},
			want: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "None", ClusterIPs: []string{"None"},
				IPFamilyPolicy: single, IPFamilies: v4},
		},
		{
			name:   "PreferDualStack on a single-stack cluster gets one family",
			family: corev1.IPv4Protocol,
			in:     corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: selector, IPFamilyPolicy: ptr.To(corev1.IPFamilyPolicyPreferDualStack)},
			want: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: selector,
				IPFamilyPolicy: ptr.To(corev1.IPFamilyPolicyPreferDualStack), IPFamilies: v4},
		},
		{
			name:   "family inferred from the requested clusterIP",
			family: corev1.IPv4Protocol,
			in:     corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: selector, ClusterIPs: []string{"fd00::10"}},
			want: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: selector, ClusterIPs: []string{"fd00::10"},
				IPFamilyPolicy: single, IPFamilies: []corev1.IPFamily{corev1.IPv6Protocol}},
		},
		{
			name:   "IPv6 single-stack cluster",
			family: corev1.IPv6Protocol,
			in:     corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: selector},
			want: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: selector,
				IPFamilyPolicy: single, IPFamilies: []corev1.IPFamily{corev1.IPv6Protocol}},
		},
		{
			name:   "ExternalName is left alone",
			family: corev1.IPv4Protocol,
			in:     corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com"},
			want:   corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := &corev1.Service{Spec: *tc.in.DeepCopy()}
			ServiceIPFamilies(got, tc.family)
			mustEqual(t, got.Spec, tc.want)
		})
	}
}
