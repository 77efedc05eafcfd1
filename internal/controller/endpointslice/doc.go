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
// Packing is done by k8s.io/endpointslice's Reconciler, the code kube itself
// runs: at most MaxEndpointsPerSlice endpoints a slice (100 by default),
// slices updated in place before new ones are created, only the slices a
// change touches are written. Slices are labelled
// kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by:
// endpointslice-controller.k8s.io, carry the Service's labels (and
// service.kubernetes.io/headless for a Service without a cluster IP), are
// named generateName <service>- and owned by the Service.
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
package endpointslice
