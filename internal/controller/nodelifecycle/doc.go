// Package nodelifecycle watches that nodes are alive, as kube's node
// lifecycle controller does: a node whose agent has neither renewed its
// Lease in kube-node-lease nor posted a Ready heartbeat for the grace
// period (--node-monitor-grace-period, default 40s) gets its Ready,
// MemoryPressure, DiskPressure and PIDPressure conditions set to Unknown
// (reason NodeStatusUnknown, "Kubelet stopped posting node status."), and
// every pod on a node that is not Ready gets Ready=False, so that it stops
// being a ready endpoint of its Services.
//
// Liveness is judged by the local time at which the controller saw a
// Lease renewal or heartbeat change, not by the times written in them, so
// clock skew between machines does not matter, and a controller that has
// just started gives every node a full grace period.
//
// Not done: the not-ready and unreachable taints and the eviction of pods
// from dead nodes. The controller writes only node status conditions, pod
// Ready conditions and events.
package nodelifecycle
