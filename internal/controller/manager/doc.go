// Package manager runs portal's controllers together against one API
// server: it builds the clients and the shared informer factory, starts
// every controller and stops them all when its context ends.
//
// The controllers run only while the process holds the Lease
// kube-system/portal-controllers (client-go leader election, 15s lease,
// renewed every 2s), so `portal up` and any number of
// `portal controllers` can point at one API server and only one acts.
// Losing the lease stops every controller; the process then campaigns
// again and, if elected, starts them afresh (new informers, allocations
// rebuilt). Stopping releases the lease after the controllers have
// returned, so a successor takes over without waiting for it to expire.
package manager
