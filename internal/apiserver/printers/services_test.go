package printers

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func TestServiceRow(t *testing.T) {
	http := corev1.ServicePort{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}
	https := corev1.ServicePort{Name: "https", Port: 443, Protocol: corev1.ProtocolTCP}
	selector := map[string]string{"app": "web", "tier": "frontend"}
	age := 5 * time.Hour

	tests := []struct {
		name string
		svc  corev1.Service
		want []any
	}{
		{
			name: "cluster IP",
			svc: corev1.Service{Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.96.0.10", ClusterIPs: []string{"10.96.0.10"},
				Ports: []corev1.ServicePort{
					{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
					{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP},
					{Name: "metrics", Port: 9153, Protocol: corev1.ProtocolTCP},
				},
				Selector: map[string]string{"k8s-app": "kube-dns"},
			}},
			want: []any{"svc", "ClusterIP", "10.96.0.10", "<none>", "53/UDP,53/TCP,9153/TCP", "5h", "k8s-app=kube-dns"},
		},
		{
			name: "cluster IP with external IPs, dual stack",
			svc: corev1.Service{Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.96.0.20", ClusterIPs: []string{"10.96.0.20", "fd00:10:96::20"},
				ExternalIPs: []string{"198.51.100.7", "198.51.100.8"},
				Ports:       []corev1.ServicePort{http}, Selector: selector,
			}},
			want: []any{"svc", "ClusterIP", "10.96.0.20", "198.51.100.7,198.51.100.8", "80/TCP", "5h", "app=web,tier=frontend"},
		},
		{
			name: "headless without selector or ports",
			svc: corev1.Service{Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, ClusterIP: corev1.ClusterIPNone, ClusterIPs: []string{corev1.ClusterIPNone},
			}},
			want: []any{"svc", "ClusterIP", "None", "<none>", "<none>", "5h", "<none>"},
		},
		{
			name: "node port",
			svc: corev1.Service{Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeNodePort, ClusterIP: "10.96.14.2",
				Ports: []corev1.ServicePort{
					{Name: "http", Port: 80, NodePort: 30080, Protocol: corev1.ProtocolTCP},
					{Name: "quic", Port: 443, NodePort: 30443, Protocol: corev1.ProtocolUDP},
				},
				Selector: selector,
			}},
			want: []any{"svc", "NodePort", "10.96.14.2", "<none>", "80:30080/TCP,443:30443/UDP", "5h", "app=web,tier=frontend"},
		},
		{
			name: "load balancer pending",
			svc: corev1.Service{Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.96.30.1",
				Ports: []corev1.ServicePort{{Port: 80, NodePort: 31380, Protocol: corev1.ProtocolTCP}}, Selector: selector,
			}},
			want: []any{"svc", "LoadBalancer", "10.96.30.1", "<pending>", "80:31380/TCP", "5h", "app=web,tier=frontend"},
		},
		{
			name: "load balancer with IPs and hostname, sorted, deduplicated, unclipped",
			svc: corev1.Service{
				Spec: corev1.ServiceSpec{
					Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.96.30.2",
					Ports: []corev1.ServicePort{{Port: 443, NodePort: 31443, Protocol: corev1.ProtocolTCP}}, Selector: selector,
				},
				Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{
					{IP: "203.0.113.20"},
					{Hostname: "a1b2c3.elb.example.com"},
					{IP: "203.0.113.10", Hostname: "ignored.example.com"},
					{IP: "203.0.113.20"},
					{},
				}}},
			},
			want: []any{"svc", "LoadBalancer", "10.96.30.2", "203.0.113.10,203.0.113.20,a1b2c3.elb.example.com", "443:31443/TCP", "5h", "app=web,tier=frontend"},
		},
		{
			name: "load balancer status first, then external IPs",
			svc: corev1.Service{
				Spec: corev1.ServiceSpec{
					Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.96.30.3", ExternalIPs: []string{"198.51.100.1"},
					Ports: []corev1.ServicePort{http, https},
				},
				Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "203.0.113.30"}}}},
			},
			want: []any{"svc", "LoadBalancer", "10.96.30.3", "203.0.113.30,198.51.100.1", "80/TCP,443/TCP", "5h", "<none>"},
		},
		{
			name: "load balancer pending with external IPs shows just those",
			svc: corev1.Service{Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.96.30.4", ExternalIPs: []string{"198.51.100.2"},
			}},
			want: []any{"svc", "LoadBalancer", "10.96.30.4", "198.51.100.2", "<none>", "5h", "<none>"},
		},
		{
			name: "external name",
			svc: corev1.Service{Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com",
			}},
			want: []any{"svc", "ExternalName", "<none>", "db.example.com", "<none>", "5h", "<none>"},
		},
		{
			name: "clusterIPs without clusterIP, unset protocol",
			svc: corev1.Service{Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, ClusterIPs: []string{"10.96.0.99"},
				Ports: []corev1.ServicePort{{Port: 8080}},
			}},
			want: []any{"svc", "ClusterIP", "10.96.0.99", "<none>", "8080/TCP", "5h", "<none>"},
		},
		{
			name: "unset type",
			svc:  corev1.Service{},
			want: []any{"svc", "", "<none>", "<unknown>", "<none>", "5h", "<none>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.svc.ObjectMeta = objectMeta("svc", age)
			assertCells(t, row(t, grServices, &tt.svc), tt.want)
		})
	}
}

func TestEndpointsRow(t *testing.T) {
	addrs := func(ips ...string) []corev1.EndpointAddress {
		out := make([]corev1.EndpointAddress, len(ips))
		for i, ip := range ips {
			out[i] = corev1.EndpointAddress{IP: ip}
		}
		return out
	}
	port := func(p int32) corev1.EndpointPort { return corev1.EndpointPort{Port: p, Protocol: corev1.ProtocolTCP} }

	tests := []struct {
		name    string
		subsets []corev1.EndpointSubset
		want    string
	}{
		{
			name: "no subsets",
			want: "<none>",
		},
		{
			name:    "two addresses",
			subsets: []corev1.EndpointSubset{{Addresses: addrs("10.244.1.5", "10.244.2.7"), Ports: []corev1.EndpointPort{port(8080)}}},
			want:    "10.244.1.5:8080,10.244.2.7:8080",
		},
		{
			name:    "exactly three",
			subsets: []corev1.EndpointSubset{{Addresses: addrs("10.0.0.1", "10.0.0.2", "10.0.0.3"), Ports: []corev1.EndpointPort{port(80)}}},
			want:    "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80",
		},
		{
			name:    "five addresses",
			subsets: []corev1.EndpointSubset{{Addresses: addrs("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"), Ports: []corev1.EndpointPort{port(80)}}},
			want:    "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...",
		},
		{
			name: "each port pairs with each address, over subsets",
			subsets: []corev1.EndpointSubset{
				{Addresses: addrs("10.0.0.1", "10.0.0.2"), Ports: []corev1.EndpointPort{port(80), port(443)}},
				{Addresses: addrs("10.0.1.1"), Ports: []corev1.EndpointPort{port(9090)}},
			},
			want: "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...",
		},
		{
			name: "not-ready addresses are not listed",
			subsets: []corev1.EndpointSubset{{
				Addresses:         addrs("10.0.0.1"),
				NotReadyAddresses: addrs("10.0.0.9", "10.0.0.8", "10.0.0.7"),
				Ports:             []corev1.EndpointPort{port(80)},
			}},
			want: "10.0.0.1:80",
		},
		{
			name: "only not-ready addresses print empty",
			subsets: []corev1.EndpointSubset{{
				NotReadyAddresses: addrs("10.0.0.9"),
				Ports:             []corev1.EndpointPort{port(80)},
			}},
			want: "",
		},
		{
			name:    "headless without ports lists bare IPs",
			subsets: []corev1.EndpointSubset{{Addresses: addrs("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4")}},
			want:    "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...",
		},
		{
			name:    "IPv6",
			subsets: []corev1.EndpointSubset{{Addresses: addrs("fd00::1"), Ports: []corev1.EndpointPort{port(53)}}},
			want:    "[fd00::1]:53",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := &corev1.Endpoints{ObjectMeta: objectMeta("web", 10*time.Minute), Subsets: tt.subsets}
			assertCells(t, row(t, grEndpoints, ep), []any{"web", tt.want, "10m"})
		})
	}
}
