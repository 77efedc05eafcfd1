package validation

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	pathvalidation "k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

const (
	annotationIngressClass       = "kubernetes.io/ingress.class"
	maxLenIngressClassController = 250
)

var (
	supportedPathTypes = []networkingv1.PathType{
		networkingv1.PathTypeExact, networkingv1.PathTypeImplementationSpecific, networkingv1.PathTypePrefix,
	}
	invalidPathSequences   = []string{"//", "/./", "/../", "%2f", "%2F"}
	invalidPathSuffixes    = []string{"/..", "/."}
	supportedParamsScopes  = []string{networkingv1.IngressClassParametersReferenceScopeCluster, networkingv1.IngressClassParametersReferenceScopeNamespace}
	defaultIngressValidity = ingressOptions{}
)

// ingressOptions are kube's ratcheting switches for Ingress updates: values
// that were already invalid in the stored object stay accepted.
type ingressOptions struct {
	allowInvalidSecretName       bool
	allowInvalidWildcardHostRule bool
}

// ValidateIngress checks a networking.k8s.io/v1 Ingress on create: rules or
// a default backend present, hosts are DNS subdomains (a "*." wildcard
// prefix allowed, IPs not), paths are absolute and clean for Exact/Prefix,
// pathType is set and known, each backend names exactly one of service or
// resource and a service port by name or number, TLS hosts and secret names
// are valid, and the ingress-class annotation agrees with ingressClassName.
func ValidateIngress(ing *networkingv1.Ingress) field.ErrorList {
	allErrs := validateIngress(ing, defaultIngressValidity)
	if val, ok := ing.Annotations[annotationIngressClass]; ok && ing.Spec.IngressClassName != nil && val != *ing.Spec.IngressClassName {
		// kube's path here has no "metadata." prefix.
		allErrs = append(allErrs, field.Invalid(field.NewPath("annotations").Child(annotationIngressClass), val, "must match `ingressClassName` when both are specified"))
	}
	return allErrs
}

// ValidateIngressUpdate checks an Ingress update: metadata rules, then the
// spec rules, tolerating invalid TLS secret names and invalid wildcard-host
// rules when the old object already had them.
func ValidateIngressUpdate(ing, old *networkingv1.Ingress) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&ing.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	opts := ingressOptions{}
	for _, tls := range old.Spec.TLS {
		if len(validateTLSSecretName(tls.SecretName)) > 0 {
			opts.allowInvalidSecretName = true
		}
	}
	for _, rule := range old.Spec.Rules {
		if strings.Contains(rule.Host, "*") && len(validateIngressRuleValue(&rule.IngressRuleValue, nil)) > 0 {
			opts.allowInvalidWildcardHostRule = true
		}
	}
	return append(allErrs, validateIngress(ing, opts)...)
}

func validateIngress(ing *networkingv1.Ingress, opts ingressOptions) field.ErrorList {
	allErrs := ValidateObjectMeta(&ing.ObjectMeta, true, nameIsDNSSubdomain, field.NewPath("metadata"))
	spec := &ing.Spec
	fldPath := field.NewPath("spec")
	if len(spec.Rules) == 0 && spec.DefaultBackend == nil {
		allErrs = append(allErrs, field.Invalid(fldPath, spec.Rules, "either `defaultBackend` or `rules` must be specified"))
	}
	if spec.DefaultBackend != nil {
		allErrs = append(allErrs, validateIngressBackend(spec.DefaultBackend, fldPath.Child("defaultBackend"))...)
	}
	rulesPath := fldPath.Child("rules")
	for i := range spec.Rules {
		rule := &spec.Rules[i]
		wildcard := false
		if rule.Host != "" {
			hostPath := rulesPath.Index(i).Child("host")
			if netutils.ParseIPSloppy(rule.Host) != nil {
				allErrs = append(allErrs, field.Invalid(hostPath, rule.Host, "must be a DNS name, not an IP address"))
			}
			if strings.Contains(rule.Host, "*") {
				for _, msg := range validation.IsWildcardDNS1123Subdomain(rule.Host) {
					allErrs = append(allErrs, field.Invalid(hostPath, rule.Host, msg))
				}
				wildcard = true
			} else {
				allErrs = append(allErrs, validateDNS1123Subdomain(rule.Host, hostPath)...)
			}
		}
		if !wildcard || !opts.allowInvalidWildcardHostRule {
			allErrs = append(allErrs, validateIngressRuleValue(&rule.IngressRuleValue, rulesPath.Index(i))...)
		}
	}
	tlsPath := fldPath.Child("tls")
	for i, tls := range spec.TLS {
		for j, host := range tls.Hosts {
			hostPath := tlsPath.Index(i).Child("hosts").Index(j)
			check := validation.IsDNS1123Subdomain
			if strings.Contains(host, "*") {
				check = validation.IsWildcardDNS1123Subdomain
			}
			for _, msg := range check(host) {
				allErrs = append(allErrs, field.Invalid(hostPath, host, msg))
			}
		}
		if !opts.allowInvalidSecretName {
			for _, msg := range validateTLSSecretName(tls.SecretName) {
				allErrs = append(allErrs, field.Invalid(tlsPath.Index(i).Child("secretName"), tls.SecretName, msg))
			}
		}
	}
	if spec.IngressClassName != nil {
		allErrs = append(allErrs, validateName(nameIsDNSSubdomain, *spec.IngressClassName, fldPath.Child("ingressClassName"))...)
	}
	return allErrs
}

func validateTLSSecretName(name string) []string {
	if name == "" {
		return nil
	}
	return nameIsDNSSubdomain(name, false)
}

func validateIngressRuleValue(rule *networkingv1.IngressRuleValue, fldPath *field.Path) field.ErrorList {
	if rule.HTTP == nil {
		return nil
	}
	var allErrs field.ErrorList
	httpPath := fldPath.Child("http")
	if len(rule.HTTP.Paths) == 0 {
		allErrs = append(allErrs, field.Required(httpPath.Child("paths"), ""))
	}
	for i := range rule.HTTP.Paths {
		allErrs = append(allErrs, validateHTTPIngressPath(&rule.HTTP.Paths[i], httpPath.Child("paths").Index(i))...)
	}
	return allErrs
}

func validateHTTPIngressPath(p *networkingv1.HTTPIngressPath, fldPath *field.Path) field.ErrorList {
	if p.PathType == nil {
		return field.ErrorList{field.Required(fldPath.Child("pathType"), "pathType must be specified")}
	}
	var allErrs field.ErrorList
	pathPath := fldPath.Child("path")
	switch *p.PathType {
	case networkingv1.PathTypeExact, networkingv1.PathTypePrefix:
		if !strings.HasPrefix(p.Path, "/") {
			allErrs = append(allErrs, field.Invalid(pathPath, p.Path, "must be an absolute path"))
		}
		for _, seq := range invalidPathSequences {
			if strings.Contains(p.Path, seq) {
				allErrs = append(allErrs, field.Invalid(pathPath, p.Path, fmt.Sprintf("must not contain '%s'", seq)))
			}
		}
		for _, suffix := range invalidPathSuffixes {
			if strings.HasSuffix(p.Path, suffix) {
				allErrs = append(allErrs, field.Invalid(pathPath, p.Path, fmt.Sprintf("cannot end with '%s'", suffix)))
			}
		}
	case networkingv1.PathTypeImplementationSpecific:
		if p.Path != "" && !strings.HasPrefix(p.Path, "/") {
			allErrs = append(allErrs, field.Invalid(pathPath, p.Path, "must be an absolute path"))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("pathType"), *p.PathType, supportedPathTypes))
	}
	return append(allErrs, validateIngressBackend(&p.Backend, fldPath.Child("backend"))...)
}

func validateIngressBackend(b *networkingv1.IngressBackend, fldPath *field.Path) field.ErrorList {
	switch {
	case b.Resource != nil && b.Service != nil:
		return field.ErrorList{field.Invalid(fldPath, "", "cannot set both resource and service backends")}
	case b.Resource != nil:
		return validateTypedLocalObjectReference(b.Resource, fldPath.Child("resource"))
	case b.Service == nil:
		return field.ErrorList{field.Invalid(fldPath, "", "resource or service backend is required")}
	}
	var allErrs field.ErrorList
	svc := b.Service
	if svc.Name == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("service", "name"), ""))
	} else {
		allErrs = append(allErrs, validateName(nameIsDNS1035Label, svc.Name, fldPath.Child("service", "name"))...)
	}
	hasName, hasNumber := svc.Port.Name != "", svc.Port.Number != 0
	switch {
	case hasName && hasNumber:
		allErrs = append(allErrs, field.Invalid(fldPath, "", "cannot set both port name & port number"))
	case hasName:
		for _, msg := range validation.IsValidPortName(svc.Port.Name) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("service", "port", "name"), svc.Port.Name, msg))
		}
	case hasNumber:
		allErrs = append(allErrs, validatePortNum(svc.Port.Number, fldPath.Child("service", "port", "number"))...)
	default:
		allErrs = append(allErrs, field.Required(fldPath, "port name or number is required"))
	}
	return allErrs
}

func validateTypedLocalObjectReference(ref *corev1.TypedLocalObjectReference, fldPath *field.Path) field.ErrorList {
	return validateObjectReferenceParts(ref.APIGroup, ref.Kind, ref.Name, fldPath)
}

func validateObjectReferenceParts(apiGroup *string, kind, name string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if apiGroup != nil {
		allErrs = append(allErrs, validateDNS1123Subdomain(*apiGroup, fldPath.Child("apiGroup"))...)
	}
	if kind == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("kind"), "kind is required"))
	} else {
		allErrs = append(allErrs, validateName(pathvalidation.ValidatePathSegmentName, kind, fldPath.Child("kind"))...)
	}
	if name == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), "name is required"))
	} else {
		allErrs = append(allErrs, validateName(pathvalidation.ValidatePathSegmentName, name, fldPath.Child("name"))...)
	}
	return allErrs
}

// ValidateIngressClass checks an IngressClass on create: cluster-scoped,
// controller is a domain-prefixed path of at most 250 characters, and the
// parameters reference (if any) is complete with a valid scope.
func ValidateIngressClass(ic *networkingv1.IngressClass) field.ErrorList {
	allErrs := ValidateObjectMeta(&ic.ObjectMeta, false, nameIsDNSSubdomain, field.NewPath("metadata"))
	specPath := field.NewPath("spec")
	if len(ic.Spec.Controller) > maxLenIngressClassController {
		allErrs = append(allErrs, field.TooLong(specPath.Child("controller"), "", maxLenIngressClassController))
	}
	allErrs = append(allErrs, validation.IsDomainPrefixedPath(specPath.Child("controller"), ic.Spec.Controller)...)
	if p := ic.Spec.Parameters; p != nil {
		pPath := specPath.Child("parameters")
		allErrs = append(allErrs, validateObjectReferenceParts(p.APIGroup, p.Kind, p.Name, pPath)...)
		switch {
		case p.Scope == nil:
			allErrs = append(allErrs, field.Required(pPath.Child("scope"), ""))
		case !contains(supportedParamsScopes, *p.Scope):
			allErrs = append(allErrs, field.NotSupported(pPath.Child("scope"), *p.Scope, supportedParamsScopes))
		case *p.Scope == networkingv1.IngressClassParametersReferenceScopeNamespace:
			if p.Namespace == nil {
				allErrs = append(allErrs, field.Required(pPath.Child("namespace"), "`parameters.scope` is set to 'Namespace'"))
			} else {
				allErrs = append(allErrs, validateName(nameIsDNSLabel, *p.Namespace, pPath.Child("namespace"))...)
			}
		case *p.Scope == networkingv1.IngressClassParametersReferenceScopeCluster && p.Namespace != nil:
			allErrs = append(allErrs, field.Forbidden(pPath.Child("namespace"), "`parameters.scope` is set to 'Cluster'"))
		}
	}
	return allErrs
}

// ValidateIngressClassUpdate checks an IngressClass update: controller is
// immutable, then the create rules.
func ValidateIngressClassUpdate(ic, old *networkingv1.IngressClass) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&ic.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateImmutable(ic.Spec.Controller, old.Spec.Controller, field.NewPath("spec").Child("controller"))...)
	return append(allErrs, ValidateIngressClass(ic)...)
}
