// Package replicaset keeps the pods of every ReplicaSet, as kube's
// ReplicaSet controller does:
//
//   - it claims pods (see controllerref): orphans matching the selector are
//     adopted, owned pods that stopped matching are released, so relabelling
//     a pod out of a ReplicaSet makes it start a replacement;
//   - it creates missing pods from the template (generateName "<rs>-", a
//     controller ownerReference with blockOwnerDeletion) in slow-start
//     batches of 1, 2, 4, …, and deletes surplus pods, least valuable first:
//     unscheduled before scheduled, Pending before Unknown before Running,
//     not ready before ready, lower pod-deletion-cost first, pods doubled up
//     on a node first, ready for less time first, more restarts first, newer
//     first;
//   - expectations remember the creations and deletions it asked for until
//     the pod informer has seen them (or five minutes pass), so a sync in
//     between never creates or deletes twice;
//   - it writes status: replicas, fullyLabeledReplicas, readyReplicas,
//     availableReplicas (ready for minReadySeconds), terminatingReplicas,
//     observedGeneration, and a ReplicaFailure condition (FailedCreate,
//     FailedDelete) while creating or deleting fails.
//
// Pods that have finished (Succeeded, Failed) or are terminating do not
// count toward spec.replicas. A ReplicaSet being deleted keeps its pods;
// deleting them is the garbage collector's job.
package replicaset
