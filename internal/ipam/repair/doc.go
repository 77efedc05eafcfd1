// Package repair reconciles the Service allocations recorded in etcd with
// the Services that exist, as kube-apiserver's ClusterIP and NodePort
// repair controllers do.
//
// Each pass lists the records, then the Services:
//
//   - a value a Service holds but nobody recorded (a release that raced,
//     data written before allocation existed) is recorded for it;
//   - a record left by a Service that is gone or no longer holds the value
//     is handed to the Service that now holds it;
//   - a record no Service holds is released, but only if it is still
//     unchanged (same etcd ModRevision) on the next pass, one interval
//     later: a create or update in flight records a value before its
//     Service is stored, and must not lose it;
//   - a value held by two Services, or outside the configured range, is
//     reported with a Warning event on the Service and a log line, and left
//     alone: only recreating the Service fixes it.
//
// Repair talks to the API through a client (for Services and Events) and to
// etcd through the allocators; it starts nothing until Run is called.
package repair
