// Package deployment rolls Deployments out through ReplicaSets, as kube's
// Deployment controller does.
//
// Each pod template gets a ReplicaSet named "<deployment>-<hash>", where
// the hash (label pod-template-hash, added to the ReplicaSet's selector and
// template so its pods carry it) is computed from the template and
// status.collisionCount. The ReplicaSet whose template equals the
// Deployment's is the new one; the others are old. Revisions are recorded
// in the annotation deployment.kubernetes.io/revision on the ReplicaSets and
// the Deployment (the new ReplicaSet's revision), so kubectl rollout
// history and undo work; desired-replicas and max-replicas record the size
// each ReplicaSet was scaled for.
//
// RollingUpdate scales the new ReplicaSet up to at most spec.replicas +
// maxSurge pods in total and old ones down while at least spec.replicas -
// maxUnavailable stay available (surge rounds up, unavailable down; both
// zero means one unavailable). Recreate scales old ReplicaSets to zero,
// waits until their pods are gone, then scales the new one up. Changing
// spec.replicas mid-rollout scales every active ReplicaSet proportionally.
// A paused Deployment only scales. Old ReplicaSets beyond
// revisionHistoryLimit are deleted once they have no pods.
//
// Status is observedGeneration, replicas, updatedReplicas, readyReplicas,
// availableReplicas, unavailableReplicas, terminatingReplicas and the
// conditions Available (MinimumReplicasAvailable/Unavailable), Progressing
// (NewReplicaSetCreated, FoundNewReplicaSet, ReplicaSetUpdated,
// NewReplicaSetAvailable, ProgressDeadlineExceeded, ReplicaSetCreateError,
// DeploymentPaused, DeploymentResumed) and ReplicaFailure (copied from the
// ReplicaSets), with kube's messages, which is what kubectl rollout status
// reads. Pods themselves are the ReplicaSet controller's business; deleting
// a Deployment's ReplicaSets is the garbage collector's.
package deployment
