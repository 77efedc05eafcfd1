package validation

import (
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// EndpointSlice limits, as kube enforces them.
const (
	maxSliceTopologyLabels = 16
	maxSliceAddresses      = 100
	maxSlicePorts          = 20000
	maxSliceEndpoints      = 1000
	maxSliceZoneHints      = 8
)

var supportedAddressTypes = []discoveryv1.AddressType{discoveryv1.AddressTypeFQDN, discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6}

// ValidateEndpointSlice checks a discovery.k8s.io/v1 EndpointSlice on create:
// addressType is known, each endpoint has 1-100 addresses valid for that type
// (IPs also non-special), nodeName/hostname/hints are valid, and ports have
// unique valid names and a protocol.
func ValidateEndpointSlice(es *discoveryv1.EndpointSlice) field.ErrorList {
	allErrs := ValidateObjectMeta(&es.ObjectMeta, true, nameIsDNSSubdomain, field.NewPath("metadata"))
	typePath := field.NewPath("addressType")
	if es.AddressType == "" {
		allErrs = append(allErrs, field.Required(typePath, ""))
	} else if !contains(supportedAddressTypes, es.AddressType) {
		allErrs = append(allErrs, field.NotSupported(typePath, es.AddressType, supportedAddressTypes))
	}
	allErrs = append(allErrs, validateSliceEndpoints(es.Endpoints, es.AddressType, field.NewPath("endpoints"))...)
	return append(allErrs, validateSlicePorts(es.Ports, field.NewPath("ports"))...)
}

// ValidateEndpointSliceUpdate checks an EndpointSlice update: the create
// rules on the new object and an immutable addressType.
func ValidateEndpointSliceUpdate(es, old *discoveryv1.EndpointSlice) field.ErrorList {
	allErrs := ValidateEndpointSlice(es)
	return append(allErrs, validateImmutable(es.AddressType, old.AddressType, field.NewPath("addressType"))...)
}

func validateSliceEndpoints(endpoints []discoveryv1.Endpoint, addrType discoveryv1.AddressType, fldPath *field.Path) field.ErrorList {
	if len(endpoints) > maxSliceEndpoints {
		return field.ErrorList{field.TooMany(fldPath, len(endpoints), maxSliceEndpoints)}
	}
	var allErrs field.ErrorList
	for i := range endpoints {
		ep := &endpoints[i]
		idxPath := fldPath.Index(i)
		addrPath := idxPath.Child("addresses")
		if len(ep.Addresses) == 0 {
			allErrs = append(allErrs, field.Required(addrPath, "must contain at least 1 address"))
		} else if len(ep.Addresses) > maxSliceAddresses {
			allErrs = append(allErrs, field.TooMany(addrPath, len(ep.Addresses), maxSliceAddresses))
		}
		for j, addr := range ep.Addresses {
			allErrs = append(allErrs, validateSliceAddress(addr, addrType, addrPath.Index(j))...)
		}
		if ep.NodeName != nil {
			allErrs = append(allErrs, validateName(nameIsDNSSubdomain, *ep.NodeName, idxPath.Child("nodeName"))...)
		}
		topoPath := idxPath.Child("deprecatedTopology")
		if len(ep.DeprecatedTopology) > maxSliceTopologyLabels {
			allErrs = append(allErrs, field.TooMany(topoPath, len(ep.DeprecatedTopology), maxSliceTopologyLabels))
		}
		allErrs = append(allErrs, metav1validation.ValidateLabels(ep.DeprecatedTopology, topoPath)...)
		if ep.Hostname != nil {
			allErrs = append(allErrs, validateDNS1123Label(*ep.Hostname, idxPath.Child("hostname"))...)
		}
		if ep.Hints != nil {
			allErrs = append(allErrs, validateSliceHints(ep.Hints, idxPath.Child("hints"))...)
		}
	}
	return allErrs
}

// validateSliceAddress validates by address type; unknown types are left
// alone (addressType itself is reported).
func validateSliceAddress(addr string, addrType discoveryv1.AddressType, fldPath *field.Path) field.ErrorList {
	switch addrType {
	case discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6:
		if errs := validateIP(fldPath, addr); len(errs) != 0 {
			return errs
		}
		if addrType == discoveryv1.AddressTypeIPv4 && !netutils.IsIPv4String(addr) {
			return field.ErrorList{field.Invalid(fldPath, addr, "must be an IPv4 address")}
		}
		if addrType == discoveryv1.AddressTypeIPv6 && !netutils.IsIPv6String(addr) {
			return field.ErrorList{field.Invalid(fldPath, addr, "must be an IPv6 address")}
		}
		return validateEndpointIP(addr, fldPath)
	case discoveryv1.AddressTypeFQDN:
		return validation.IsFullyQualifiedDomainName(fldPath, addr)
	}
	return nil
}

func validateSliceHints(hints *discoveryv1.EndpointHints, fldPath *field.Path) field.ErrorList {
	zonesPath := fldPath.Child("forZones")
	if len(hints.ForZones) > maxSliceZoneHints {
		return field.ErrorList{field.TooMany(zonesPath, len(hints.ForZones), maxSliceZoneHints)}
	}
	var allErrs field.ErrorList
	seen := map[string]bool{}
	for i, zone := range hints.ForZones {
		namePath := zonesPath.Index(i).Child("name")
		if seen[zone.Name] {
			allErrs = append(allErrs, field.Duplicate(namePath, zone.Name))
		}
		seen[zone.Name] = true
		for _, msg := range validation.IsValidLabelValue(zone.Name) {
			allErrs = append(allErrs, field.Invalid(namePath, zone.Name, msg))
		}
	}
	return allErrs
}

func validateSlicePorts(ports []discoveryv1.EndpointPort, fldPath *field.Path) field.ErrorList {
	if len(ports) > maxSlicePorts {
		return field.ErrorList{field.TooMany(fldPath, len(ports), maxSlicePorts)}
	}
	var allErrs field.ErrorList
	names := map[string]bool{}
	for i, port := range ports {
		idxPath := fldPath.Index(i)
		name := ""
		if port.Name != nil {
			name = *port.Name
		}
		if name != "" {
			allErrs = append(allErrs, validateDNS1123Label(name, idxPath.Child("name"))...)
		}
		// Unnamed ports count too: at most one port may be unnamed.
		if names[name] {
			allErrs = append(allErrs, field.Duplicate(idxPath.Child("name"), name))
		}
		names[name] = true
		if port.Protocol == nil {
			allErrs = append(allErrs, field.Required(idxPath.Child("protocol"), ""))
		} else if !contains(supportedPortProtocols, *port.Protocol) {
			allErrs = append(allErrs, field.NotSupported(idxPath.Child("protocol"), *port.Protocol, supportedPortProtocols))
		}
		if port.AppProtocol != nil {
			allErrs = append(allErrs, validateQualifiedName(*port.AppProtocol, idxPath.Child("appProtocol"))...)
		}
	}
	return allErrs
}
