// Package garbagecollector deletes objects whose owners are gone, following
// metadata.ownerReferences as kube's garbage collector does, without its
// full graph.
//
// It discovers every resource that supports list, watch and delete (all
// groups, namespaced and cluster-scoped, events excepted), watches their
// metadata only (k8s.io/client-go/metadata), and indexes objects by the
// UIDs of their owners. Then:
//
//   - an object none of whose owners exists any more (NotFound, or a
//     different UID under the name) is deleted with background propagation
//     (or the propagation its own orphan/foregroundDeletion finalizer asks
//     for); an object that still has a live owner only loses its references
//     to the gone ones;
//   - an owner being deleted with the "orphan" finalizer (propagation
//     Orphan) first has its references removed from every dependent, then
//     loses the finalizer;
//   - an owner being deleted with the "foregroundDeletion" finalizer
//     (propagation Foreground) has its dependents deleted (in the foreground
//     themselves when they have dependents), and loses the finalizer once no
//     dependent with blockOwnerDeletion remains.
//
// The API server's generic store adds those two finalizers when a client
// asks for orphan or foreground propagation; nothing else removes them.
// Owners are looked up in the watch caches first and confirmed with a live
// GET before anything is deleted. Owner references to kinds the server does
// not serve, or from a cluster-scoped object to a namespaced kind, are never
// treated as absent. Resources that appear later are picked up by
// rediscovering every 30 seconds.
package garbagecollector
