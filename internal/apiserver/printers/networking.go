package printers

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	discoveryv1beta1 "k8s.io/api/discovery/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
)

// Printers for discovery.k8s.io EndpointSlices and networking.k8s.io
// Ingresses, IngressClasses and ServiceCIDRs. Column descriptions come from
// the same API versions kube-apiserver takes them from.

func endpointSlicePrinter() resourcePrinter {
	doc := discoveryv1beta1.EndpointSlice{}.SwaggerDoc()
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		column("AddressType", "string", doc["addressType"]),
		column("Ports", "string", doc["ports"]),
		column("Endpoints", "string", doc["endpoints"]),
		ageColumn(),
	}
	return newPrinter(columns,
		func(l *discoveryv1.EndpointSliceList) []discoveryv1.EndpointSlice { return l.Items },
		func(es *discoveryv1.EndpointSlice, now time.Time) metav1.TableRow {
			return metav1.TableRow{Cells: []any{
				es.Name, string(es.AddressType), endpointSlicePorts(es.Ports),
				endpointSliceAddresses(es.Endpoints), since(es.CreationTimestamp, now),
			}}
		})
}

// endpointSlicePorts lists each port's number, its name when it has no
// number, or "*" for neither; at most three, <unset> when there are none.
func endpointSlicePorts(ports []discoveryv1.EndpointPort) string {
	shown := make([]string, 0, maxListed)
	for _, p := range ports[:min(len(ports), maxListed)] {
		switch {
		case p.Port != nil:
			shown = append(shown, strconv.Itoa(int(*p.Port)))
		case p.Name != nil:
			shown = append(shown, *p.Name)
		default:
			shown = append(shown, "*")
		}
	}
	return truncatedList(shown, len(ports), unset)
}

// endpointSliceAddresses lists the endpoints' addresses whatever their
// conditions; at most three, <unset> when there are none.
func endpointSliceAddresses(endpoints []discoveryv1.Endpoint) string {
	shown := make([]string, 0, maxListed)
	total := 0
	for _, ep := range endpoints {
		for _, a := range ep.Addresses {
			if len(shown) < maxListed {
				shown = append(shown, a)
			}
			total++
		}
	}
	return truncatedList(shown, total, unset)
}

func ingressPrinter() resourcePrinter {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Class", "string", "The name of the IngressClass resource that should be used for additional configuration"),
		column("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
		column("Address", "string", "Address is a list containing ingress points for the load-balancer"),
		column("Ports", "string", "Ports of TLS configurations that open"),
		ageColumn(),
	}
	return newPrinter(columns,
		func(l *networkingv1.IngressList) []networkingv1.Ingress { return l.Items },
		func(ing *networkingv1.Ingress, now time.Time) metav1.TableRow {
			class := none
			if ing.Spec.IngressClassName != nil {
				class = *ing.Spec.IngressClassName
			}
			ports := "80"
			if len(ing.Spec.TLS) > 0 {
				ports = "80, 443"
			}
			return metav1.TableRow{Cells: []any{
				ing.Name, class, ingressHosts(ing.Spec.Rules), ingressAddress(ing.Status.LoadBalancer.Ingress),
				ports, since(ing.CreationTimestamp, now),
			}}
		})
}

// ingressHosts lists the rules' hosts, "*" when none names one. Once three
// hosts are listed and further rules follow, it ends with " + N more..."
// where N counts the remaining rules, hosted or not, as kube does.
func ingressHosts(rules []networkingv1.IngressRule) string {
	var hosts []string
	for _, r := range rules {
		if len(hosts) == maxListed {
			return fmt.Sprintf("%s + %d more...", strings.Join(hosts, ","), len(rules)-maxListed)
		}
		if r.Host != "" {
			hosts = append(hosts, r.Host)
		}
	}
	if len(hosts) == 0 {
		return "*"
	}
	return strings.Join(hosts, ",")
}

// ingressAddress lists each load-balancer ingress point's IP, or its
// hostname when it has no IP, sorted, without duplicates and unclipped
// (kube-apiserver prints wide).
func ingressAddress(ingress []networkingv1.IngressLoadBalancerIngress) string {
	addrs := sets.New[string]()
	for _, in := range ingress {
		switch {
		case in.IP != "":
			addrs.Insert(in.IP)
		case in.Hostname != "":
			addrs.Insert(in.Hostname)
		}
	}
	return strings.Join(sets.List(addrs), ",")
}

func ingressClassPrinter() resourcePrinter {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Controller", "string", "Controller that is responsible for handling this class"),
		column("Parameters", "string", "A reference to a resource with additional parameters"),
		ageColumn(),
	}
	return newPrinter(columns,
		func(l *networkingv1.IngressClassList) []networkingv1.IngressClass { return l.Items },
		func(ic *networkingv1.IngressClass, now time.Time) metav1.TableRow {
			params := none
			if p := ic.Spec.Parameters; p != nil {
				params = p.Kind
				if p.APIGroup != nil {
					params += "." + *p.APIGroup
				}
				params += "/" + p.Name
			}
			return metav1.TableRow{Cells: []any{ic.Name, ic.Spec.Controller, params, since(ic.CreationTimestamp, now)}}
		})
}

func serviceCIDRPrinter() resourcePrinter {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		column("CIDRs", "string", networkingv1beta1.ServiceCIDRSpec{}.SwaggerDoc()["cidrs"]),
		ageColumn(),
	}
	return newPrinter(columns,
		func(l *networkingv1.ServiceCIDRList) []networkingv1.ServiceCIDR { return l.Items },
		func(sc *networkingv1.ServiceCIDR, now time.Time) metav1.TableRow {
			return metav1.TableRow{Cells: []any{sc.Name, strings.Join(sc.Spec.CIDRs, ","), since(sc.CreationTimestamp, now)}}
		})
}
