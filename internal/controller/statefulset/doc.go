// Package statefulset runs StatefulSets the way kube-controller-manager's
// statefulset controller does: each replica is a pod with a stable name
// <set>-<ordinal>, created from spec.template and owned by the set.
//
// Contracts:
//   - Pods are named <set>-<ordinal> for ordinals spec.ordinals.start up to
//     start+replicas-1, carry an ownerReference with controller=true, the
//     template's labels plus statefulset.kubernetes.io/pod-name,
//     apps.kubernetes.io/pod-index and controller-revision-hash, and get
//     spec.hostname=<pod name> and spec.subdomain=spec.serviceName, which is
//     what gives each one a stable DNS name behind the headless Service.
//   - OrderedReady (the default): a pod is created only once every pod with
//     a lower ordinal is Running and Ready (and available for
//     minReadySeconds); surplus pods are deleted from the highest ordinal
//     down, one at a time, each once the rest are healthy. Parallel creates
//     and deletes without waiting.
//   - A pod that fails, succeeds or is deleted is deleted/recreated with
//     the same name.
//   - RollingUpdate deletes pods whose revision is not the update revision
//     from the highest ordinal down to the partition, at most maxUnavailable
//     (default 1) unavailable at a time; the replacement is created from the
//     new template. Pods below the partition keep (and are recreated at) the
//     current revision. OnDelete only uses the new template for pods that
//     someone else deleted.
//   - Status: replicas, readyReplicas, availableReplicas, currentReplicas,
//     updatedReplicas, observedGeneration, currentRevision, updateRevision,
//     collisionCount; currentRevision becomes updateRevision once every pod
//     is updated and ready, as kube's completeRollingUpdate does.
//   - Orphan pods that match the selector and are named like a member are
//     adopted.
//
// Differences from kube, on purpose:
//   - portal does not serve ControllerRevisions, so none are written. The
//     revision name is computed as kube formats it, <set>-<hash of
//     spec.template>, and used for the controller-revision-hash label and
//     status. The template of the current revision, needed to recreate pods
//     below a rollout's partition, is remembered in memory for the sets this
//     process has seen; after a restart mid-rollout such pods are recreated
//     from the newest template. `kubectl rollout history/undo` therefore
//     have no history to read.
//   - portal does not serve PersistentVolumeClaims: pods get the volumes
//     that name the claims of spec.volumeClaimTemplates
//     (<template>-<set>-<ordinal>) as in kube, but no claim is created.
//   - No Events are recorded, and pods that stop matching the selector are
//     not released.
package statefulset
