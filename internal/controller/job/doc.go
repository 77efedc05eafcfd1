// Package job runs batch/v1 Jobs the way kube-controller-manager's job
// controller does: it creates pods from spec.template until enough of them
// succeed, and records the outcome in the Job's status.
//
// Contracts:
//   - Pods are created with generateName <job>- (<job>-<index>- when
//     Indexed), an ownerReference with controller=true, the template's
//     labels (which the API server's Job strategy gives the
//     batch.kubernetes.io/controller-uid and job-name labels and their
//     legacy forms) and the batch.kubernetes.io/job-tracking finalizer.
//   - At most spec.parallelism pods are active (neither finished nor being
//     deleted; with podReplacementPolicy Failed, deleted pods count until
//     they finish), and never more than the completions still needed.
//   - Finished pods are counted exactly once with kube's finalizer
//     protocol: a finished pod's UID goes to
//     status.uncountedTerminatedPods, then its finalizer is removed, then
//     it moves to status.succeeded or status.failed. A pod deleted before it
//     finished counts as failed.
//   - status.failed > backoffLimit (or, with restartPolicy OnFailure,
//     container restarts reaching it) or running past
//     activeDeadlineSeconds adds FailureTarget (BackoffLimitExceeded or
//     DeadlineExceeded), deletes the active pods and, once none is left,
//     adds Failed with the same reason. Enough successes add
//     SuccessCriteriaMet then Complete (reason CompletionsReached) and set
//     completionTime. Either is final.
//   - Indexed jobs give each pod the batch.kubernetes.io/job-completion-index
//     annotation and label, the env var JOB_COMPLETION_INDEX (from the
//     annotation), hostname <job>-<index>, and track status.completedIndexes;
//     duplicate or out-of-range index pods are deleted.
//   - suspend deletes the active pods (not counted as failed) and sets the
//     Suspended condition; resuming resets startTime.
//   - Pods are recreated after failures with kube's exponential backoff
//     (10s doubling to 6m, reset by a success).
//   - ttlSecondsAfterFinished deletes the Job that long after it finished.
//   - A pod whose Job is gone, finished or being deleted loses the
//     tracking finalizer.
//
// The controller reads the Job and its pods from the API server at each
// sync instead of from the informer caches: a quorum read never shows a
// stale view, so it needs none of kube's expectations bookkeeping to keep
// from creating too many pods or counting one twice. The informers only
// trigger syncs.
//
// Not done: podFailurePolicy, successPolicy, backoffLimitPerIndex and
// maxFailedIndexes, managedBy (all are accepted by the API and ignored),
// adoption of orphan pods, and Events. portal has no garbage collector, so
// the pods of a deleted Job stay (without their finalizer) until deleted.
package job
