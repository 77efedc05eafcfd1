// Package defaults fills in the field defaults kube-apiserver gives every
// object it decodes, for the k8s.io/api types portal serves, so that portal
// returns the objects a Kubernetes 1.37 cluster would: `kubectl apply` of an
// unchanged manifest reports "unchanged", `kubectl get -o yaml` shows the
// same fields, and controllers see the same values.
//
// In kube these defaults are the SetDefaults_* functions of
// k8s.io/kubernetes/pkg/apis/<group>/<version>/defaults.go, the +default
// markers of k8s.io/api, and the generated SetObjectDefaults_* functions
// that walk into nested structs (pod templates inside workloads, volumes,
// containers, probes, ...). This package reproduces their behaviour in
// hand-written Go, one exported function per top-level type (Service, Pod,
// Deployment, ...) and a few for nested types callers need on their own
// (PodSpec, PodTemplateSpec, Container, Volume, PersistentVolumeClaimSpec).
// Types of a non-preferred version carry the group and version in the name
// (AppsV1beta1Deployment, ExtensionsV1beta1Ingress, ...): those versions
// default differently, and an object is defaulted in the version it was
// written in, before conversion.
//
// Contracts:
//   - Every function fills fields that are unset (nil, "" or 0, as kube
//     tests them). Set fields are left alone except where kube normalises
//     them too: quantities are rounded up to milli scale, a None session
//     affinity drops sessionAffinityConfig, and a Namespace's
//     kubernetes.io/metadata.name label is forced to its name. None
//     allocates, validates, or reads anything but its argument.
//   - Every function is idempotent: applying it to its own result changes
//     nothing.
//   - Register puts the same functions, and one per List type, on a
//     runtime.Scheme so that scheme.Default(obj) applies them. The package
//     has no init and no global state.
//   - Like kube, callers should default on every decode: request bodies and
//     objects read back from storage alike (kube defaults both, which is why
//     a Job shows its generated template labels as its own labels).
//
// Not defaulting, and so not done by the registered functions:
//   - Service clusterIP(s), ipFamilies, ipFamilyPolicy, nodePorts and
//     healthCheckNodePort: filled by the Service REST storage on create.
//     ServiceIPFamilies reproduces the IP-family part for single-stack
//     clusters.
//   - Namespace spec.finalizers ["kubernetes"] and status on create, and the
//     kubernetes.io/metadata.name label after generateName: registry
//     strategy, exported as NamespaceForCreate and NamespaceCanonicalize.
//   - Pod status.phase Pending and status.qosClass (pod strategy);
//     serviceAccountName "default", the kube-api-access projected token
//     volume and its mounts (ServiceAccount admission); the
//     node.kubernetes.io/not-ready and unreachable tolerations
//     (DefaultTolerationSeconds admission); priority and preemptionPolicy
//     (Priority admission); Job selectors and controller-uid/job-name
//     labels (Job strategy); metadata such as uid, creationTimestamp,
//     generation and resourceVersion.
//
// Feature gates are taken at their Kubernetes 1.37 defaults. Defaults of
// gates that are on (or GA) are applied unconditionally: PodLevelResources
// (pod-level requests and limits), ImageVolume (image volume pullPolicy),
// MaxUnavailableStatefulSet (maxUnavailable 1, on by default again in
// 1.37), StatefulSetAutoDeletePVC (PVC retention Retain/Retain),
// JobPodReplacementPolicy, LoadBalancerIPMode (ipMode VIP). Skipped:
//   - PodLogsQuerySplitStreams (PodLogOptions.stream): PodLogOptions is a
//     query-parameter type, not an object portal stores.
//   - Anything alpha or off by default in 1.37. None of those changes a
//     default of the types here; hostPort, for one, is defaulted from
//     containerPort on host-network Pods only, never in pod templates, as
//     in current kube.
//
// Also left out: groups portal does not serve (autoscaling, policy, rbac,
// storage, scheduling, resource, certificates, flowcontrol,
// admissionregistration, ...), the long-unserved extensions/v1beta1
// NetworkPolicy and PodSecurityPolicy, and networking/v1beta1 IngressClass.
// Types with no defaults at all get no function: core/v1 Event,
// ServiceAccount, ComponentStatus; events.k8s.io Event;
// coordination.k8s.io Lease; networking.k8s.io/v1 Ingress (pathType is
// required in v1, not defaulted); apps ControllerRevision.
package defaults
