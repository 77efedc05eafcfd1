package registry

import (
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/portal-dev/portal/internal/api/defaults"
)

// invalid is kube's 422 for a Service: `Service "x" is invalid: …`.
func invalid(svc *corev1.Service, errs field.ErrorList) error {
	return apierrors.NewInvalid(schema.GroupKind{Kind: "Service"}, svc.Name, errs)
}

func isHeadless(svc *corev1.Service) bool {
	return len(svc.Spec.ClusterIPs) > 0 && svc.Spec.ClusterIPs[0] == corev1.ClusterIPNone
}

func needsClusterIP(svc *corev1.Service) bool {
	return svc.Spec.Type != corev1.ServiceTypeExternalName
}

func needsNodePorts(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer
}

// allocatesNodePorts reports whether ports without a node port get one:
// always for NodePort, for LoadBalancer unless allocateLoadBalancerNodePorts
// is false.
func allocatesNodePorts(svc *corev1.Service) bool {
	switch svc.Spec.Type {
	case corev1.ServiceTypeNodePort:
		return true
	case corev1.ServiceTypeLoadBalancer:
		return svc.Spec.AllocateLoadBalancerNodePorts == nil || *svc.Spec.AllocateLoadBalancerNodePorts
	}
	return false
}

// needsHealthCheckNodePort is kube's NeedsHealthCheck: a LoadBalancer with
// externalTrafficPolicy Local (a NodePort Service never gets one).
func needsHealthCheckNodePort(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer &&
		svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}

// heldClusterIPs are the cluster IPs a Service holds an allocation for.
func heldClusterIPs(svc *corev1.Service) []netip.Addr {
	if !needsClusterIP(svc) || isHeadless(svc) {
		return nil
	}
	var out []netip.Addr
	for _, s := range svc.Spec.ClusterIPs {
		if ip, err := netip.ParseAddr(s); err == nil {
			out = append(out, ip)
		}
	}
	return out
}

// heldNodePorts are the node ports of a Service's ports, when its type has
// node ports (the health check node port aside).
func heldNodePorts(svc *corev1.Service) []int {
	if !needsNodePorts(svc) {
		return nil
	}
	var out []int
	for _, p := range svc.Spec.Ports {
		if p.NodePort != 0 && !slices.Contains(out, int(p.NodePort)) {
			out = append(out, int(p.NodePort))
		}
	}
	return out
}

// allNodePorts is every node port a Service names, the health check node
// port included, whatever its type: what a release must never take from a
// stored object.
func allNodePorts(svc *corev1.Service) []int {
	var out []int
	for _, p := range svc.Spec.Ports {
		if p.NodePort != 0 {
			out = append(out, int(p.NodePort))
		}
	}
	if svc.Spec.HealthCheckNodePort != 0 {
		out = append(out, int(svc.Spec.HealthCheckNodePort))
	}
	return out
}

// patchAllocatedValues keeps, on update, the values allocated on the
// client's behalf that it did not send back (a re-applied manifest without
// clusterIP or nodePort), as kube does for idempotent updates.
func patchAllocatedValues(svc, old *corev1.Service) {
	if needsClusterIP(old) && needsClusterIP(svc) {
		if svc.Spec.ClusterIP == "" {
			svc.Spec.ClusterIP = old.Spec.ClusterIP
		}
		if len(svc.Spec.ClusterIPs) == 0 && len(old.Spec.ClusterIPs) > 0 {
			svc.Spec.ClusterIPs = old.Spec.ClusterIPs
		}
	}
	if needsNodePorts(old) && needsNodePorts(svc) {
		// Ports named alike keep their node port, unless another port of
		// the new object uses it.
		inUse := map[int32]bool{}
		for _, p := range svc.Spec.Ports {
			if p.NodePort != 0 && slices.ContainsFunc(old.Spec.Ports, func(o corev1.ServicePort) bool { return o.NodePort == p.NodePort }) {
				inUse[p.NodePort] = true
			}
		}
		byName := map[string]int32{}
		for _, p := range old.Spec.Ports {
			byName[p.Name] = p.NodePort
		}
		for i := range svc.Spec.Ports {
			p := &svc.Spec.Ports[i]
			if p.NodePort == 0 && !inUse[byName[p.Name]] {
				p.NodePort = byName[p.Name]
			}
		}
	}
	if needsHealthCheckNodePort(old) && needsHealthCheckNodePort(svc) && svc.Spec.HealthCheckNodePort == 0 {
		svc.Spec.HealthCheckNodePort = old.Spec.HealthCheckNodePort
	}
}

// normalizeClusterIPs keeps clusterIP and clusterIPs in step on update for
// clients that only know the singular field (kube's NormalizeClusterIPs).
func normalizeClusterIPs(svc, old *corev1.Service) {
	if len(old.Spec.ClusterIPs) > 0 && len(svc.Spec.ClusterIPs) == 0 && old.Spec.ClusterIP == svc.Spec.ClusterIP {
		svc.Spec.ClusterIPs = old.Spec.ClusterIPs
	}
	if old.Spec.ClusterIP == svc.Spec.ClusterIP || !sameStrings(old.Spec.ClusterIPs, svc.Spec.ClusterIPs) {
		return
	}
	if svc.Spec.ClusterIP == "" {
		svc.Spec.ClusterIPs = nil // cleared on the client's behalf
	} else {
		svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
	}
}

// dropTypeDependentFields clears, on a type change, the allocated fields the
// new type has no use for, if the client left them as they were (kube's
// strategy does this in PrepareForUpdate; the values are released once the
// update is stored).
func dropTypeDependentFields(svc, old *corev1.Service) {
	if needsClusterIP(old) && !needsClusterIP(svc) {
		if old.Spec.ClusterIP == svc.Spec.ClusterIP && sameStrings(old.Spec.ClusterIPs, svc.Spec.ClusterIPs) {
			svc.Spec.ClusterIP, svc.Spec.ClusterIPs = "", nil
		}
		if slices.Equal(old.Spec.IPFamilies, svc.Spec.IPFamilies) {
			svc.Spec.IPFamilies = nil
		}
		if ptrEqual(old.Spec.IPFamilyPolicy, svc.Spec.IPFamilyPolicy) {
			svc.Spec.IPFamilyPolicy = nil
		}
	}
	if needsNodePorts(old) && !needsNodePorts(svc) && sameNodePorts(old, svc) {
		for i := range svc.Spec.Ports {
			svc.Spec.Ports[i].NodePort = 0
		}
	}
	if needsHealthCheckNodePort(old) && !needsHealthCheckNodePort(svc) && old.Spec.HealthCheckNodePort == svc.Spec.HealthCheckNodePort {
		svc.Spec.HealthCheckNodePort = 0
	}
	if old.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.Type != corev1.ServiceTypeLoadBalancer &&
		old.Spec.AllocateLoadBalancerNodePorts != nil && svc.Spec.AllocateLoadBalancerNodePorts != nil &&
		*old.Spec.AllocateLoadBalancerNodePorts == *svc.Spec.AllocateLoadBalancerNodePorts {
		svc.Spec.AllocateLoadBalancerNodePorts = nil
	}
	if old.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.Type != corev1.ServiceTypeLoadBalancer &&
		ptrEqual(old.Spec.LoadBalancerClass, svc.Spec.LoadBalancerClass) {
		svc.Spec.LoadBalancerClass = nil
	}
	if externallyAccessible(old) && !externallyAccessible(svc) && old.Spec.ExternalTrafficPolicy == svc.Spec.ExternalTrafficPolicy {
		svc.Spec.ExternalTrafficPolicy = ""
	}
	// kube hides internalTrafficPolicy on ExternalName Services when it
	// reads them; portal drops it when the type changes.
	if needsClusterIP(old) && !needsClusterIP(svc) && ptrEqual(old.Spec.InternalTrafficPolicy, svc.Spec.InternalTrafficPolicy) {
		svc.Spec.InternalTrafficPolicy = nil
	}
}

// externallyAccessible reports whether externalTrafficPolicy applies.
func externallyAccessible(svc *corev1.Service) bool {
	return needsNodePorts(svc) || (svc.Spec.Type == corev1.ServiceTypeClusterIP && len(svc.Spec.ExternalIPs) > 0)
}

func ptrEqual[T comparable](a, b *T) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func sameStrings(a, b []string) bool { return slices.Equal(a, b) }

func sameNodePorts(a, b *corev1.Service) bool {
	set := func(svc *corev1.Service) []int32 {
		var out []int32
		for _, p := range svc.Spec.Ports {
			if p.NodePort != 0 {
				out = append(out, p.NodePort)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(set(a), set(b))
}

// clusterIPChangeErrors refuses changes to allocated cluster IPs, worded as
// kube's validateUpgradeDowngradeClusterIPs words them. Changes to or from
// ExternalName, and between headless forms, are allowed.
func clusterIPChangeErrors(svc, old *corev1.Service) field.ErrorList {
	if !needsClusterIP(svc) || !needsClusterIP(old) || (isHeadless(svc) && isHeadless(old)) {
		return nil
	}
	ips := field.NewPath("spec", "clusterIPs")
	nw, od := svc.Spec.ClusterIPs, old.Spec.ClusterIPs
	var errs field.ErrorList
	switch {
	case len(od) == len(nw):
		for i := range od {
			if od[i] != nw[i] {
				errs = append(errs, field.Invalid(ips.Index(i), nw, "may not change once set"))
			}
		}
	case len(od) > len(nw):
		if len(nw) == 0 {
			errs = append(errs, field.Invalid(ips.Index(0), nw, "primary clusterIP can not be unset"))
		} else if nw[0] != od[0] {
			errs = append(errs, field.Invalid(ips.Index(0), nw, "may not change once set"))
		}
		if len(nw) == 1 && (svc.Spec.IPFamilyPolicy == nil || *svc.Spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack) {
			errs = append(errs, field.Invalid(field.NewPath("spec", "ipFamilyPolicy"), svc.Spec.IPFamilyPolicy,
				"must be set to 'SingleStack' when releasing the secondary clusterIP"))
		}
	default:
		if len(od) > 0 && nw[0] != od[0] {
			errs = append(errs, field.Invalid(ips.Index(0), nw, "may not change once set"))
		}
	}
	return errs
}

// initIPFamilies checks the IP-family fields against this single-stack
// cluster and fills them (ipFamilyPolicy kept from old on update, then
// defaults.ServiceIPFamilies), with kube's initIPFamilyFields wording for
// what it refuses.
func (a *ServiceAllocation) initIPFamilies(svc, old *corev1.Service) error {
	if !needsClusterIP(svc) {
		return nil
	}
	if svc.Spec.IPFamilyPolicy == nil && old != nil && old.Spec.IPFamilyPolicy != nil {
		p := *old.Spec.IPFamilyPolicy
		svc.Spec.IPFamilyPolicy = &p
	}
	if errs := clusterIPFieldErrors(svc); len(errs) > 0 {
		return invalid(svc, errs)
	}
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if policyOf(svc) == corev1.IPFamilyPolicySingleStack {
		if len(svc.Spec.ClusterIPs) == 2 {
			errs = append(errs, field.Invalid(spec.Child("ipFamilyPolicy"), svc.Spec.IPFamilyPolicy,
				"must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"))
		}
		if len(svc.Spec.IPFamilies) == 2 {
			errs = append(errs, field.Invalid(spec.Child("ipFamilyPolicy"), svc.Spec.IPFamilyPolicy,
				"must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"))
		}
	}
	for i, s := range svc.Spec.ClusterIPs {
		if s == corev1.ClusterIPNone {
			break
		}
		if fam := familyOf(s); i >= len(svc.Spec.IPFamilies) && fam != a.Family {
			errs = append(errs, field.Invalid(spec.Child("clusterIPs").Index(i), svc.Spec.ClusterIPs,
				fmt.Sprintf("%s is not configured on this cluster", fam)))
		}
	}
	if len(errs) > 0 {
		return invalid(svc, errs)
	}
	defaults.ServiceIPFamilies(svc, a.Family)
	if svc.Spec.ClusterIP == corev1.ClusterIPNone && len(svc.Spec.Selector) == 0 {
		return nil // headless without selector may list both families
	}
	if policyOf(svc) == corev1.IPFamilyPolicyRequireDualStack {
		errs = append(errs, field.Invalid(spec.Child("ipFamilyPolicy"), svc.Spec.IPFamilyPolicy,
			"this cluster is not configured for dual-stack services"))
	}
	for i, f := range svc.Spec.IPFamilies {
		if f != a.Family {
			errs = append(errs, field.Invalid(spec.Child("ipFamilies").Index(i), f, "not configured on this cluster"))
		}
	}
	if len(errs) > 0 {
		return invalid(svc, errs)
	}
	return nil
}

func policyOf(svc *corev1.Service) corev1.IPFamilyPolicy {
	if svc.Spec.IPFamilyPolicy == nil {
		return ""
	}
	return *svc.Spec.IPFamilyPolicy
}

func familyOf(ip string) corev1.IPFamily {
	addr, err := netip.ParseAddr(ip)
	switch {
	case err != nil:
		return corev1.IPFamilyUnknown
	case addr.Unmap().Is4():
		return corev1.IPv4Protocol
	}
	return corev1.IPv6Protocol
}

var (
	supportedFamilies = []string{string(corev1.IPv4Protocol), string(corev1.IPv6Protocol)}
	supportedPolicies = []string{string(corev1.IPFamilyPolicyPreferDualStack), string(corev1.IPFamilyPolicyRequireDualStack), string(corev1.IPFamilyPolicySingleStack)}
)

// clusterIPFieldErrors is the loose pre-validation kube runs before
// allocating (ValidateServiceClusterIPsRelatedFields): clusterIP and
// clusterIPs agree, the IPs are IPs, None stands alone, the family and
// policy values exist.
func clusterIPFieldErrors(svc *corev1.Service) field.ErrorList {
	spec := svc.Spec
	ips := field.NewPath("spec", "clusterIPs")
	var errs field.ErrorList
	if spec.ClusterIP != "" {
		if len(spec.ClusterIPs) == 0 {
			errs = append(errs, field.Required(ips, ""))
		} else if spec.ClusterIPs[0] != spec.ClusterIP {
			errs = append(errs, field.Invalid(ips, spec.ClusterIPs, "first value must match `clusterIP`"))
		}
	} else if len(spec.ClusterIPs) != 0 {
		errs = append(errs, field.Invalid(ips, spec.ClusterIPs, "must be empty when `clusterIP` is not specified"))
	}
	seen := map[corev1.IPFamily]bool{}
	for i, f := range spec.IPFamilies {
		p := field.NewPath("spec", "ipFamilies").Index(i)
		if !slices.Contains(supportedFamilies, string(f)) {
			errs = append(errs, field.NotSupported(p, f, supportedFamilies))
		}
		if seen[f] {
			errs = append(errs, field.Duplicate(p, f))
		}
		seen[f] = true
	}
	if spec.IPFamilyPolicy != nil && !slices.Contains(supportedPolicies, string(*spec.IPFamilyPolicy)) {
		errs = append(errs, field.NotSupported(field.NewPath("spec", "ipFamilyPolicy"), spec.IPFamilyPolicy, supportedPolicies))
	}
	badIP := false
	for i, ip := range spec.ClusterIPs {
		if i == 0 && ip == corev1.ClusterIPNone {
			if len(spec.ClusterIPs) > 1 {
				badIP = true
				errs = append(errs, field.Invalid(ips, spec.ClusterIPs, "'None' must be the first and only value"))
			}
			continue
		}
		if e := validation.IsValidIP(ips.Index(i), ip); len(e) > 0 {
			badIP = true
			errs = append(errs, e...)
		}
	}
	if len(spec.ClusterIPs) > 2 {
		errs = append(errs, field.Invalid(ips, spec.ClusterIPs, "may only hold up to 2 values"))
	}
	if badIP {
		return errs
	}
	if len(spec.ClusterIPs) == 2 && familyOf(spec.ClusterIPs[0]) == familyOf(spec.ClusterIPs[1]) {
		errs = append(errs, field.Invalid(ips, spec.ClusterIPs, "may specify no more than one IP for each IP family"))
	}
	if !isHeadless(svc) {
		for i, ip := range spec.ClusterIPs {
			if i >= len(spec.IPFamilies) {
				break
			}
			if want := spec.IPFamilies[i]; (want == corev1.IPv4Protocol || want == corev1.IPv6Protocol) && familyOf(ip) != want {
				errs = append(errs, field.Invalid(ips.Index(i), ip, fmt.Sprintf("expected an %s value as indicated by `ipFamilies[%v]`", want, i)))
			}
		}
	}
	return errs
}
