package validation

import (
	"fmt"
	"math/big"
	"net"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// This file holds checks kube makes in its Service REST layer and allocators
// rather than in validation. kube runs them before ValidateService (allocation
// happens in the create/update hook that precedes strategy validation), and
// returns on the first failing step, so the REST layer should call them in
// this order and stop at the first non-empty list:
//
//	ValidateServiceIPFamilies -> ValidateClusterIPInRange -> ValidateNodePortRange -> ValidateService

// ValidateNodePortRange reports the first requested nodePort that falls outside
// the cluster's node port range [base, base+size), with the message kube's
// port allocator gives, e.g.
//
//	spec.ports[0].nodePort: Invalid value: 18000: provided port is not in the valid range. The range of valid ports is 30000-32767
//
// Only NodePort and LoadBalancer Services get node ports; other types are
// ignored (ValidateService forbids nodePort on ClusterIP). Like kube, a port
// that shares its port number with an earlier entry is checked against the
// node port requested by the first entry with that number, and the error is
// reported at the index being allocated. At most one error is returned.
func ValidateNodePortRange(svc *corev1.Service, base, size int) field.ErrorList {
	if svc.Spec.Type != corev1.ServiceTypeNodePort && svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return nil
	}
	inRange := func(p int) bool { return p >= base && p < base+size }
	detail := fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %s", portRangeString(base, size))
	portsPath := field.NewPath("spec", "ports")

	// requested maps a service port number to the node port it was given.
	requested := map[int32]int32{}
	for i, sp := range svc.Spec.Ports {
		prev := requested[sp.Port]
		if prev == 0 {
			np := firstRequestedNodePort(sp.Port, svc.Spec.Ports)
			if np == 0 {
				continue // would be allocated from the range
			}
			if !inRange(int(np)) {
				return field.ErrorList{field.Invalid(portsPath.Index(i).Child("nodePort"), int(np), detail)}
			}
			requested[sp.Port] = np
		} else if sp.NodePort != 0 && sp.NodePort != prev && !inRange(int(sp.NodePort)) {
			return field.ErrorList{field.Invalid(portsPath.Index(i).Child("nodePort"), sp.NodePort, detail)}
		}
	}
	return nil
}

func firstRequestedNodePort(port int32, ports []corev1.ServicePort) int32 {
	for _, sp := range ports {
		if sp.Port == port && sp.NodePort != 0 {
			return sp.NodePort
		}
	}
	return 0
}

// portRangeString renders a range the way kube's net.PortRange does.
func portRangeString(base, size int) string {
	if size == 0 {
		return ""
	}
	return fmt.Sprintf("%d-%d", base, base+size-1)
}

// ValidateClusterIPInRange reports a requested clusterIP of serviceCIDR's
// family that kube's IP allocator would refuse because it lies outside the
// CIDR (or is its network address, or for IPv4 its broadcast address). The
// error is the one kube returns from allocation, on the list field:
//
//	spec.clusterIPs: Invalid value: ["1.2.3.4"]: failed to allocate IP 1.2.3.4: the provided IP (1.2.3.4) is not in the valid range. The range of valid IPs is 10.96.0.0/12
//
// ExternalName and headless Services, empty entries and IPs of the other
// family are skipped. At most one error is returned. The range rule follows
// kube's bitmap allocator, which also caps an IPv6 range at 65536 addresses.
func ValidateClusterIPInRange(svc *corev1.Service, serviceCIDR *net.IPNet) field.ErrorList {
	if svc.Spec.Type == corev1.ServiceTypeExternalName || isHeadlessService(svc) || serviceCIDR == nil {
		return nil
	}
	cidrIsV6 := netutils.IsIPv6CIDR(serviceCIDR)
	for _, s := range svc.Spec.ClusterIPs {
		if s == "" || s == corev1.ClusterIPNone {
			continue
		}
		ip := netutils.ParseIPSloppy(s)
		if ip == nil || netutils.IsIPv6(ip) != cidrIsV6 {
			continue
		}
		if !ipInAllocatorRange(serviceCIDR, ip) {
			detail := fmt.Sprintf("failed to allocate IP %v: the provided IP (%v) is not in the valid range. The range of valid IPs is %s", s, ip, serviceCIDR.String())
			return field.ErrorList{field.Invalid(field.NewPath("spec", "clusterIPs"), svc.Spec.ClusterIPs, detail)}
		}
	}
	return nil
}

// ipInAllocatorRange mirrors the bitmap allocator: usable offsets start one
// past the network address and stop before the IPv4 broadcast address.
func ipInAllocatorRange(cidr *net.IPNet, ip net.IP) bool {
	if !cidr.Contains(ip) {
		return false
	}
	size := big.NewInt(netutils.RangeSize(cidr))
	if netutils.IsIPv6CIDR(cidr) {
		if size.Cmp(big.NewInt(65536)) > 0 {
			size = big.NewInt(65536)
		}
	} else {
		size.Sub(size, big.NewInt(1)) // broadcast
	}
	size.Sub(size, big.NewInt(1)) // network address
	base := new(big.Int).Add(netutils.BigForIP(cidr.IP), big.NewInt(1))
	offset := new(big.Int).Sub(netutils.BigForIP(ip), base)
	return offset.Sign() >= 0 && offset.Cmp(size) < 0
}

// ValidateServiceIPFamilies makes the checks kube's allocator makes on a
// Service's IP family fields against the families the cluster serves
// (clusterFamilies, primary first; a single-stack IPv4 cluster passes
// []corev1.IPFamily{corev1.IPv4Protocol}). oldSvc is nil on create.
//
// It runs, in kube's order and stopping where kube stops:
// ValidateServiceClusterIPsRelatedFields; on update, releasing a secondary
// IP or family without ipFamilyPolicy SingleStack; SingleStack with two IPs or
// families; a clusterIP whose family is not configured; then (except for
// headless Services without selector, which may ask for any family)
// RequireDualStack on a single-stack cluster and ipFamilies entries not
// configured. An unset ipFamilyPolicy is read as kube defaults it: the old
// Service's policy on update, RequireDualStack for headless selectorless
// Services, SingleStack otherwise. It does not default anything itself.
func ValidateServiceIPFamilies(svc, oldSvc *corev1.Service, clusterFamilies []corev1.IPFamily) field.ErrorList {
	if svc.Spec.Type == corev1.ServiceTypeExternalName || unchangedPreferDualStack(svc, oldSvc) {
		return nil
	}
	headlessSelectorless := svc.Spec.ClusterIP == corev1.ClusterIPNone && len(svc.Spec.Selector) == 0
	policy := corev1.IPFamilyPolicySingleStack
	switch {
	case svc.Spec.IPFamilyPolicy != nil:
		policy = *svc.Spec.IPFamilyPolicy
	case oldSvc != nil && oldSvc.Spec.IPFamilyPolicy != nil:
		policy = *oldSvc.Spec.IPFamilyPolicy
	case headlessSelectorless:
		policy = corev1.IPFamilyPolicyRequireDualStack
	}
	// The bad value kube reports is the (defaulted) policy pointer.
	policyValue := &policy

	if errs := ValidateServiceClusterIPsRelatedFields(svc); len(errs) != 0 {
		return errs
	}

	var allErrs field.ErrorList
	policyPath := field.NewPath("spec", "ipFamilyPolicy")
	clusterIPs, ipFamilies := svc.Spec.ClusterIPs, svc.Spec.IPFamilies
	if oldSvc != nil {
		if policy == corev1.IPFamilyPolicySingleStack {
			// kube reads an unchanged dual-stack list plus SingleStack as a
			// downgrade and keeps only the primary entry.
			if len(clusterIPs) > 1 && equalSlices(clusterIPs, oldSvc.Spec.ClusterIPs) {
				clusterIPs = clusterIPs[:1]
			}
			if len(ipFamilies) > 1 && equalSlices(ipFamilies, oldSvc.Spec.IPFamilies) {
				ipFamilies = ipFamilies[:1]
			}
		} else {
			if len(clusterIPs) != 0 && len(clusterIPs) < len(oldSvc.Spec.ClusterIPs) {
				allErrs = append(allErrs, field.Invalid(policyPath, policyValue, "must be 'SingleStack' to release the secondary cluster IP"))
			}
			if len(ipFamilies) != 0 && len(ipFamilies) < len(oldSvc.Spec.IPFamilies) {
				allErrs = append(allErrs, field.Invalid(policyPath, policyValue, "must be 'SingleStack' to release the secondary IP family"))
			}
		}
	}
	if policy == corev1.IPFamilyPolicySingleStack {
		if len(clusterIPs) == 2 {
			allErrs = append(allErrs, field.Invalid(policyPath, policyValue, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"))
		}
		if len(ipFamilies) == 2 {
			allErrs = append(allErrs, field.Invalid(policyPath, policyValue, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"))
		}
	}

	configured := func(f corev1.IPFamily) bool { return contains(clusterFamilies, f) }
	families := append([]corev1.IPFamily(nil), ipFamilies...)
	for i, ip := range clusterIPs {
		if ip == corev1.ClusterIPNone {
			break
		}
		if i < len(families) {
			continue
		}
		fam := corev1.IPv4Protocol
		if netutils.IsIPv6String(ip) {
			fam = corev1.IPv6Protocol
		}
		if !configured(fam) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "clusterIPs").Index(i), svc.Spec.ClusterIPs, fmt.Sprintf("%s is not configured on this cluster", fam)))
		} else {
			families = append(families, fam)
		}
	}
	if len(allErrs) != 0 || headlessSelectorless {
		return allErrs
	}

	if policy == corev1.IPFamilyPolicyRequireDualStack && len(clusterFamilies) < 2 {
		allErrs = append(allErrs, field.Invalid(policyPath, policyValue, "this cluster is not configured for dual-stack services"))
	}
	for i, fam := range families {
		if !configured(fam) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "ipFamilies").Index(i), fam, "not configured on this cluster"))
		}
	}
	return allErrs
}

// unchangedPreferDualStack is kube's early exit: an update that keeps the
// clusterIPs and ipFamilies of a PreferDualStack Service that gets IPs is not
// re-checked, so such Services survive cluster changes of dual-stackness.
func unchangedPreferDualStack(svc, oldSvc *corev1.Service) bool {
	if oldSvc == nil {
		return false
	}
	getsIPs := func(t corev1.ServiceType) bool {
		return t == corev1.ServiceTypeClusterIP || t == corev1.ServiceTypeNodePort || t == corev1.ServiceTypeLoadBalancer
	}
	prefer := func(p *corev1.IPFamilyPolicy) bool { return p != nil && *p == corev1.IPFamilyPolicyPreferDualStack }
	return equalSlices(svc.Spec.ClusterIPs, oldSvc.Spec.ClusterIPs) &&
		equalSlices(svc.Spec.IPFamilies, oldSvc.Spec.IPFamilies) &&
		getsIPs(svc.Spec.Type) && getsIPs(oldSvc.Spec.Type) &&
		prefer(svc.Spec.IPFamilyPolicy) && prefer(oldSvc.Spec.IPFamilyPolicy)
}

func equalSlices[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
