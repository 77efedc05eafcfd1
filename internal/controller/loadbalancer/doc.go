// Package loadbalancer gives Services of type LoadBalancer an external
// address from configured pools, the way MetalLB's controller does, and
// takes it back when the Service is deleted or stops being a LoadBalancer.
//
// The address is written to status.loadBalancer.ingress (one IPv4 entry,
// ipMode VIP) through the services/status subresource; `kubectl get svc`
// shows it as EXTERNAL-IP. Which address a Service gets is decided by the
// pure allocator in internal/ipam/lb; this package turns Services into
// requests for it and writes the answers back.
//
// What a Service can ask for (portal.dev/ annotations win over metallb.io/
// ones, which win over metallb.universe.tf/ ones):
//   - spec.loadBalancerIP (deprecated in Kubernetes, still in tutorials) or
//     the annotation loadBalancerIPs (a comma list; portal pools are IPv4,
//     so one address): that address, or no address at all;
//   - the annotation address-pool: an address from that pool, even one
//     without auto-assign;
//   - the annotation allow-shared-ip: share an address with other
//     services carrying the same key whose ports do not overlap (and, for
//     externalTrafficPolicy Local, with the same selector).
//
// Services whose spec.loadBalancerClass is set to anything but Class are
// left alone. With no pool configured every LoadBalancer Service stays
// <pending> (no status) and gets a Warning event AllocationFailed saying
// so; with pools, failures (pool exhausted, address taken, bad request) get
// the same Warning and the Service stays pending until something changes.
// A success is a Normal event IPAllocated.
//
// State: the allocator lives in memory. Run rebuilds it from the Services'
// current statuses before it handles any change, so a restart keeps every
// address where it is. That makes this controller the only writer of the
// addresses it hands out: two instances running at once against one API
// server would hand out the same address twice. The manager prevents that
// with leader election (internal/controller/manager); whoever runs this
// controller without the manager must do the same.
package loadbalancer
