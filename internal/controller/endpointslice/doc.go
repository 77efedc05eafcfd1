// Package endpointslice keeps the EndpointSlices of every Service that has a
// selector, as kube-controller-manager's endpointslice controller does.
//
// For each such Service (not ExternalName) the pods in its namespace that
// match the selector, have a pod IP and are not terminal (Succeeded or
// Failed) become endpoints: ready when the pod's Ready condition is true and
// it is not terminating (or always, with publishNotReadyAddresses), serving
// when Ready regardless of termination, terminating when the pod has a
// deletionTimestamp. Ports resolve the Service's targetPort by number or by
// container port name; a pod without a named port is left out of that port
// group. Endpoints carry nodeName, targetRef, the hostname when the pod's
// spec.subdomain names the Service, and the zone of the pod's Node.
//
// Packing follows kube's reconciler (k8s.io/endpointslice), reimplemented
// here so that a sync costs a few hundred nanoseconds an endpoint instead of
// a reflective deep hash of every endpoint: pods are grouped by the ports
// they resolve to ("port mappings"), at most MaxEndpointsPerSlice endpoints
// a slice (100 by default). Existing slices are updated in place: endpoints
// no longer desired go, changed ones are replaced where they are, the rest
// stay. New endpoints fill the slices being written anyway (fullest first),
// then the unchanged slice they leave closest to full, then new slices.
// Slices left empty are deleted, a Service with no endpoints keeps one
// placeholder slice (no ports, no endpoints), and nothing is written when
// nothing changed, so a readiness change rewrites the one slice holding the
// pod. An endpoint is identified as in kube by its addresses, hostname and
// pod; see pack.go and endpoint.go. Slices are labelled
// kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by:
// endpointslice-controller.k8s.io, carry the Service's labels (and
// service.kubernetes.io/headless for a Service without a cluster IP), are
// named generateName <service>- and owned by the Service.
//
// The controller keeps kube's protection against its own stale cache: it
// remembers the metadata.generation of every slice it wrote and skips
// (retries) a sync while the slice informer holds older ones.
//
// Where portal differs from kube, on purpose:
//   - A pod whose Node object does not exist is still an endpoint (without a
//     zone). kube skips it and retries, relying on the pod garbage collector
//     to remove pods of deleted nodes; portal has neither that collector nor,
//     yet, an agent that registers every node.
//   - A Service with neither spec.ipFamilies nor a cluster IP (one made
//     on an API server that allocates none) gets slices of the families its
//     pods have (IPv4 when it has none), where kube would assume dual-stack.
//   - A pod with status.podIP but no status.podIPs is read as podIPs
//     [podIP]: kube-apiserver fills podIPs on conversion, portal stores the
//     object as sent.
//   - Slices are deleted explicitly when their Service is deleted, loses its
//     selector or becomes ExternalName (portal has no garbage collector, and
//     a selectorless Service's slices belong to the mirroring controller).
//   - Endpoints never carry topology hints (kube adds zone hints for
//     spec.trafficDistribution); hints found on an endpoint are removed.
//   - New endpoints are added oldest pod first (then by name), where kube's
//     order is random.
//   - The placeholder slice is compared without its kind and apiVersion,
//     so it is not rewritten on every sync when a cache fills them in.
package endpointslice
