// Package lb allocates LoadBalancer addresses from configured IPv4 pools,
// the way MetalLB's controller does. It is pure bookkeeping: no client, no
// clock, no goroutines. The caller (the loadbalancer controller) tells it
// which service holds which address and asks it for new ones; it answers
// from memory only, so its state is whatever the caller rebuilt it from
// (the Services' statuses at start).
//
// Rules, as in MetalLB:
//   - An address belongs to at most one pool; pools must not overlap.
//   - Every address of a pool is assignable, network and broadcast
//     addresses of a CIDR included (a range such as 10.0.0.1-10.0.0.254
//     leaves them out).
//   - Allocate only draws from pools with AutoAssign; a pool without it is
//     used only when a service names it or asks for one of its addresses.
//     Pools are tried in the order they were given, addresses in ascending
//     order, and the first that fits wins.
//   - Two services share an address only if both carry the same non-empty
//     sharing key (the allow-shared-ip annotation), have the same backend
//     key, and use no common protocol/port pair.
//
// An Allocator is not safe for concurrent use.
package lb
