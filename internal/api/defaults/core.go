package defaults

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// Namespace fills the defaults kube-apiserver gives a Namespace on decode:
// the label kubernetes.io/metadata.name set to the name (only when the name
// is known, so not for a generateName create; see NamespaceCanonicalize) and
// status.phase Active when empty.
//
// spec.finalizers ["kubernetes"] is NOT a default: kube's namespace registry
// strategy adds it on create (see NamespaceForCreate), and lets it be
// removed over the namespace's life.
func Namespace(ns *corev1.Namespace) {
	if ns.Name != "" {
		NamespaceCanonicalize(ns)
	}
	if ns.Status.Phase == "" {
		ns.Status.Phase = corev1.NamespaceActive
	}
}

// NamespaceForCreate is kube's namespace registry strategy PrepareForCreate,
// not defaulting: it resets status to phase Active and makes sure
// spec.finalizers holds "kubernetes" (appended after any finalizers the user
// listed). The REST layer calls it on create only; an update keeps the old
// object's finalizers and status.
func NamespaceForCreate(ns *corev1.Namespace) {
	ns.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
	for _, f := range ns.Spec.Finalizers {
		if f == corev1.FinalizerKubernetes {
			return
		}
	}
	ns.Spec.Finalizers = append(ns.Spec.Finalizers, corev1.FinalizerKubernetes)
}

// NamespaceCanonicalize is kube's namespace registry strategy Canonicalize:
// it sets the label kubernetes.io/metadata.name to the namespace's name. The
// REST layer calls it after the name is final (after generateName), on
// create and update, since defaulting may have run before a name existed.
func NamespaceCanonicalize(ns *corev1.Namespace) {
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[corev1.LabelMetadataName] = ns.Name
}

// Secret fills type Opaque when the type is empty.
func Secret(s *corev1.Secret) {
	if s.Type == "" {
		s.Type = corev1.SecretTypeOpaque
	}
}

// ConfigMap fills an empty data map when data is nil. The empty map is
// omitted on the wire; the default only matters to in-process readers.
func ConfigMap(cm *corev1.ConfigMap) {
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
}

// Endpoints fills protocol TCP on every port of every subset.
func Endpoints(ep *corev1.Endpoints) {
	for i := range ep.Subsets {
		ports := ep.Subsets[i].Ports
		for j := range ports {
			if ports[j].Protocol == "" {
				ports[j].Protocol = corev1.ProtocolTCP
			}
		}
	}
}

// Node fills status.allocatable with a copy of status.capacity when
// allocatable is unset, and rounds both up to milli scale. (kube lets the
// two fields share one map; a copy reads the same and is safe to mutate.)
func Node(n *corev1.Node) {
	st := &n.Status
	if st.Allocatable == nil && st.Capacity != nil {
		st.Allocatable = st.Capacity.DeepCopy()
	}
	roundResourceList(st.Capacity)
	roundResourceList(st.Allocatable)
}

// PersistentVolumeClaim fills status.phase Pending and the spec defaults
// (see PersistentVolumeClaimSpec), and rounds status capacities up to milli
// scale. It also applies to a StatefulSet's volumeClaimTemplates.
func PersistentVolumeClaim(pvc *corev1.PersistentVolumeClaim) {
	if pvc.Status.Phase == "" {
		pvc.Status.Phase = corev1.ClaimPending
	}
	PersistentVolumeClaimSpec(&pvc.Spec)
	roundResourceList(pvc.Status.Capacity)
	roundResourceList(pvc.Status.AllocatedResources)
}

// PersistentVolumeClaimSpec fills volumeMode Filesystem and rounds the
// requested resources up to milli scale.
func PersistentVolumeClaimSpec(spec *corev1.PersistentVolumeClaimSpec) {
	if spec.VolumeMode == nil {
		spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
	}
	roundResourceList(spec.Resources.Limits)
	roundResourceList(spec.Resources.Requests)
}

// PersistentVolume fills status.phase Pending, reclaim policy Retain,
// volumeMode Filesystem, the volume source defaults of hostPath, RBD,
// iSCSI, Azure Disk and ScaleIO, and rounds the capacity up to milli scale.
func PersistentVolume(pv *corev1.PersistentVolume) {
	if pv.Status.Phase == "" {
		pv.Status.Phase = corev1.VolumePending
	}
	spec := &pv.Spec
	if spec.PersistentVolumeReclaimPolicy == "" {
		spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimRetain
	}
	if spec.VolumeMode == nil {
		spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
	}
	roundResourceList(spec.Capacity)
	src := &spec.PersistentVolumeSource
	if src.HostPath != nil && src.HostPath.Type == nil {
		src.HostPath.Type = ptr.To(corev1.HostPathUnset)
	}
	if r := src.RBD; r != nil {
		rbdDefaults(&r.RBDPool, &r.RadosUser, &r.Keyring)
	}
	if src.ISCSI != nil && src.ISCSI.ISCSIInterface == "" {
		src.ISCSI.ISCSIInterface = "default"
	}
	if src.AzureDisk != nil {
		azureDisk(src.AzureDisk)
	}
	if s := src.ScaleIO; s != nil {
		scaleIODefaults(&s.StorageMode, &s.FSType)
	}
}

// ReplicationController fills, from the pod template's labels when it has
// any, an empty selector and empty object labels; replicas 1; and the
// template's PodSpec defaults.
func ReplicationController(rc *corev1.ReplicationController) {
	if t := rc.Spec.Template; t != nil && t.Labels != nil {
		if len(rc.Spec.Selector) == 0 {
			rc.Spec.Selector = maps.Clone(t.Labels)
		}
		if len(rc.Labels) == 0 {
			rc.Labels = maps.Clone(t.Labels)
		}
	}
	if rc.Spec.Replicas == nil {
		rc.Spec.Replicas = ptr.To[int32](1)
	}
	if rc.Spec.Template != nil {
		PodTemplateSpec(rc.Spec.Template)
	}
}

// PodTemplate fills its template's PodSpec defaults.
func PodTemplate(pt *corev1.PodTemplate) {
	PodTemplateSpec(&pt.Template)
}

// LimitRange fills, for each Container-type limit, default limits from max
// and default requests from the default limits or else from min, then rounds
// every list up to milli scale.
func LimitRange(lr *corev1.LimitRange) {
	for i := range lr.Spec.Limits {
		item := &lr.Spec.Limits[i]
		if item.Type == corev1.LimitTypeContainer {
			if item.Default == nil {
				item.Default = corev1.ResourceList{}
			}
			if item.DefaultRequest == nil {
				item.DefaultRequest = corev1.ResourceList{}
			}
			fillMissing(item.Default, item.Max)
			fillMissing(item.DefaultRequest, item.Default)
			fillMissing(item.DefaultRequest, item.Min)
		}
		for _, rl := range []corev1.ResourceList{item.Max, item.Min, item.Default, item.DefaultRequest, item.MaxLimitRequestRatio} {
			roundResourceList(rl)
		}
	}
}

// fillMissing copies into dst each quantity of src that dst lacks.
func fillMissing(dst, src corev1.ResourceList) {
	for name, q := range src {
		if _, ok := dst[name]; !ok {
			dst[name] = q.DeepCopy()
		}
	}
}

// ResourceQuota rounds its hard and used lists up to milli scale.
func ResourceQuota(rq *corev1.ResourceQuota) {
	roundResourceList(rq.Spec.Hard)
	roundResourceList(rq.Status.Hard)
	roundResourceList(rq.Status.Used)
}
