package printers

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"
)

// Service and Endpoints printers.

func servicePrinter() resourcePrinter {
	doc := corev1.ServiceSpec{}.SwaggerDoc()
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Type", "string", doc["type"]),
		column("Cluster-IP", "string", doc["clusterIP"]),
		column("External-IP", "string", doc["externalIPs"]),
		column("Port(s)", "string", doc["ports"]),
		ageColumn(),
		wideColumn("Selector", "string", doc["selector"]),
	}
	return newPrinter(columns,
		func(l *corev1.ServiceList) []corev1.Service { return l.Items },
		func(svc *corev1.Service, now time.Time) metav1.TableRow {
			ports := servicePorts(svc.Spec.Ports)
			if ports == "" {
				ports = none
			}
			return metav1.TableRow{Cells: []any{
				svc.Name, string(svc.Spec.Type), serviceClusterIP(svc), serviceExternalIP(svc), ports,
				since(svc.CreationTimestamp, now), labels.FormatLabels(svc.Spec.Selector),
			}}
		})
}

// serviceClusterIP is the primary cluster IP ("None" for headless services)
// or <none>. Like kube's v1 conversion, spec.clusterIP wins over
// spec.clusterIPs[0].
func serviceClusterIP(svc *corev1.Service) string {
	switch {
	case svc.Spec.ClusterIP != "":
		return svc.Spec.ClusterIP
	case len(svc.Spec.ClusterIPs) > 0:
		return svc.Spec.ClusterIPs[0]
	default:
		return none
	}
}

// serviceExternalIP is the EXTERNAL-IP cell. kube-apiserver prints tables
// wide, so the load-balancer list is never clipped.
func serviceExternalIP(svc *corev1.Service) string {
	switch svc.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort:
		if len(svc.Spec.ExternalIPs) > 0 {
			return strings.Join(svc.Spec.ExternalIPs, ",")
		}
		return none
	case corev1.ServiceTypeLoadBalancer:
		ips := loadBalancerAddresses(svc.Status.LoadBalancer.Ingress)
		if len(svc.Spec.ExternalIPs) > 0 {
			return strings.Join(append(ips, svc.Spec.ExternalIPs...), ",")
		}
		if len(ips) > 0 {
			return strings.Join(ips, ",")
		}
		return "<pending>"
	case corev1.ServiceTypeExternalName:
		return svc.Spec.ExternalName
	default:
		return unknown
	}
}

// loadBalancerAddresses lists each ingress point's IP, or its hostname when
// it has no IP, sorted and without duplicates.
func loadBalancerAddresses(ingress []corev1.LoadBalancerIngress) []string {
	addrs := sets.New[string]()
	for _, in := range ingress {
		switch {
		case in.IP != "":
			addrs.Insert(in.IP)
		case in.Hostname != "":
			addrs.Insert(in.Hostname)
		}
	}
	return sets.List(addrs)
}

// servicePorts prints each port as port/protocol, or port:nodePort/protocol
// when a node port is allocated, joined with ",". An unset protocol reads
// TCP, its API default.
func servicePorts(ports []corev1.ServicePort) string {
	out := make([]string, len(ports))
	for i, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		if p.NodePort > 0 {
			out[i] = fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, proto)
		} else {
			out[i] = fmt.Sprintf("%d/%s", p.Port, proto)
		}
	}
	return strings.Join(out, ",")
}

func endpointsPrinter() resourcePrinter {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Endpoints", "string", corev1.Endpoints{}.SwaggerDoc()["subsets"]),
		ageColumn(),
	}
	return newPrinter(columns,
		func(l *corev1.EndpointsList) []corev1.Endpoints { return l.Items },
		func(ep *corev1.Endpoints, now time.Time) metav1.TableRow {
			return metav1.TableRow{Cells: []any{ep.Name, endpointsCell(ep.Subsets), since(ep.CreationTimestamp, now)}}
		})
}

// endpointsCell lists ready addresses as ip:port for every port of their
// subset (bare IPs for a subset without ports), at most three then
// " + N more...". Not-ready addresses are left out. Without subsets the cell
// is <none>; with subsets but no ready address it is empty, as in kube.
func endpointsCell(subsets []corev1.EndpointSubset) string {
	if len(subsets) == 0 {
		return none
	}
	var shown []string
	total := 0
	add := func(s string) {
		total++
		if len(shown) < maxListed {
			shown = append(shown, s)
		}
	}
	for _, ss := range subsets {
		if len(ss.Ports) == 0 {
			for _, a := range ss.Addresses {
				add(a.IP)
			}
			continue
		}
		for _, p := range ss.Ports {
			for _, a := range ss.Addresses {
				add(net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
			}
		}
	}
	return truncatedList(shown, total, "")
}
