// Package endpointslicemirroring mirrors hand-made Endpoints objects into
// EndpointSlices, as kube-controller-manager's endpointslicemirroring
// controller does, so consumers that read only EndpointSlices (kube-proxy,
// portal's own data plane) see Services whose endpoints the user manages.
//
// An Endpoints object is mirrored when a Service of the same name exists
// and has no selector, and the Endpoints object is not labelled
// endpointslice.kubernetes.io/skip-mirror: "true" (nor is a leader-election
// record). Its subsets are repacked (endpoints.Repack); each group of
// addresses with the same ports and address type becomes one slice of at
// most MaxEndpointsPerSubset endpoints (1000; more are skipped, with a
// warning), with ready from the address list it came from, nodeName,
// hostname and targetRef copied. Slices carry the Endpoints object's labels
// plus kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by:
// endpointslicemirroring-controller.k8s.io, its annotations except the
// last-change-trigger-time and kubectl's last-applied-configuration, and an
// ownerReference to it.
//
// The mirrored slices are deleted when the Endpoints object or the Service
// goes away, when the Service gets a selector, or when the Endpoints object
// is labelled skip-mirror.
package endpointslicemirroring
