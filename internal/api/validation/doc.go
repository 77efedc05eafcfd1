// Package validation checks the objects portal serves and reports problems the
// way kube-apiserver does: as a field.ErrorList whose paths, error types, bad
// values and detail strings match Kubernetes, so that
//
//	apierrors.NewInvalid(schema.GroupKind{Kind: "Service"}, name, errs).Error()
//
// renders the same 422 message a kube-apiserver would give for the same
// manifest.
//
// Contracts shared by every function here:
//
//   - Objects are the versioned k8s.io/api types (corev1.Service, appsv1.Deployment,
//     ...) and are expected to have been defaulted the way the Kubernetes v1
//     defaulters do (Service type, protocol, targetPort, sessionAffinity,
//     traffic policies, Deployment strategy, Pod dnsPolicy and so on). A field
//     left empty that Kubernetes would have defaulted is reported as
//     "Required value", exactly as kube would report an undefaulted object.
//   - The functions never mutate their arguments and hold no state.
//   - Validate<Kind>(obj) is the create-time check; Validate<Kind>Update(new, old)
//     is the update-time check and always includes the create-time rules kube
//     applies on update. Metadata update rules need metadata.resourceVersion set
//     on the new object, as kube's do.
//   - Error order follows kube's, because an error list with several entries
//     renders as "[a, b, c]" and the order is visible to clients.
//
// Some checks kube performs outside its validation package, in the REST layer
// and the IP / port allocators, are exported here as separate helpers so the
// REST layer can run them at the same point kube does (before validation):
// ValidateNodePortRange, ValidateClusterIPInRange and ValidateServiceIPFamilies.
package validation
