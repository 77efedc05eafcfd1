// Package etcdstore persists Service allocations in etcd so that no cluster
// IP or node port is ever handed out twice, even by several API servers
// sharing one etcd.
//
// Every allocation is one key, <root>/serviceallocations/clusterips/<ip> or
// <root>/serviceallocations/nodeports/<port>, whose value is the owning
// Service as JSON ({"namespace":…,"name":…,"uid":…}). Allocating is an etcd
// transaction that creates the key only if it does not exist
// (CreateRevision == 0), so etcd alone decides who gets a value; releasing
// deletes the key only if its value is still the releasing Service.
//
// Each Allocator keeps a local ipam pool of the values it believes used, to
// pick candidates: loaded by Sync, kept current by Run (a watch on the
// prefix), and marked whenever a candidate turns out to be taken. The cache
// may lag (another API server's release is seen a moment later), which only
// costs a retry; it never causes a duplicate, because etcd's transaction is
// the only judge.
package etcdstore
