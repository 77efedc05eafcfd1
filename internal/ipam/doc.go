// Package ipam holds portal's pure allocators for Service networking: a
// range of IP addresses over a CIDR (ClusterIPs) and a range of ports
// (NodePorts). They keep their state in memory, talk to no API server and no
// etcd, and are safe for concurrent use; persistence lives in the etcdstore
// subpackage, which uses these allocators as its local cache.
//
// Both allocators follow kube-apiserver's bitmap allocators and the KEPs
// that split a range in two bands:
//
//   - KEP-3070 (ClusterIP): the lowest min(max(16, size/16), 256)
//     addresses of a CIDR form a "static" band. AllocateNext picks at random
//     from the upper, "dynamic" band and only falls back to the static band
//     once the dynamic one is full, so that addresses users choose by hand
//     (a DNS service at .10, say) are rarely taken by a dynamic allocation.
//     The network address, and for IPv4 the broadcast address, are never
//     handed out.
//   - KEP-3668 (NodePort): the same split with min(max(16, size/32), 128)
//     ports in the static band (86 for the default 30000-32767).
//
// The choice within a band is random rather than sequential, so that several
// API servers sharing one etcd rarely pick the same value at the same time.
// Errors carry kube-apiserver's wording ("provided IP is already
// allocated", "the provided IP (1.2.3.4) is not in the valid range. The range
// of valid IPs is 10.96.0.0/12") and match the sentinels ErrAllocated,
// ErrNotInRange and ErrFull with errors.Is.
package ipam
