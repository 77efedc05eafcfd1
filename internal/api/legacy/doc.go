// Package legacy accepts the API versions that tutorials still use but
// current Kubernetes has removed, and converts them to portal's current
// (hub) types on the way in and back on the way out:
//
//   - extensions/v1beta1 and networking.k8s.io/v1beta1 Ingress
//     (serviceName/servicePort backends, spec.backend);
//   - extensions/v1beta1, apps/v1beta1 and apps/v1beta2 Deployment (and the
//     ReplicaSet and StatefulSet of those groups);
//   - discovery.k8s.io/v1beta1 EndpointSlice (topology);
//   - batch/v1beta1 and batch/v2alpha1 CronJob.
//
// Objects are stored once, in the hub version, so every version sees the
// same object. The package owns the version registrations, the conversion
// functions, and the list of which legacy resource maps to which hub
// resource; it must not hold defaulting (internal/api/defaults) or serve
// anything itself (internal/registry builds the storage).
package legacy
