// Package scheduler is portal's pod scheduler: it binds each pod that has
// no spec.nodeName and asks for the default scheduler (schedulerName empty
// or "default-scheduler") to a node, through the pods/binding subresource
// as kube-scheduler does, and records a Scheduled event.
//
// A node fits when it is Ready, not cordoned (spec.unschedulable), matches
// the pod's nodeSelector and required node affinity, has no NoSchedule or
// NoExecute taint the pod does not tolerate, and has room under its pods
// capacity. A node that is not Ready, or cordoned, counts as carrying kube's
// node.kubernetes.io/not-ready, unreachable or unschedulable taint, so a pod
// that tolerates it may still go there. Among fitting nodes the one running
// the fewest pods wins (ties by name). A pod no node fits gets PodScheduled
// False (reason Unschedulable) and a FailedScheduling event worded as
// kube-scheduler words it, and is tried again with back-off and whenever a
// node changes.
//
// Not done: resource requests, pod (anti-)affinity, topology spread,
// preferred affinities, preemption, scheduling gates beyond waiting.
// The scheduler writes only bindings, pod status conditions and events.
package scheduler
