package defaults

import (
	"maps"
	"math"

	appsv1 "k8s.io/api/apps/v1"
	appsv1beta1 "k8s.io/api/apps/v1beta1"
	appsv1beta2 "k8s.io/api/apps/v1beta2"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// The legacy workload versions (apps/v1beta1, apps/v1beta2,
// extensions/v1beta1) are defaulted in their own version, before conversion,
// with their own values. A manifest written against them therefore keeps
// those values when read back as apps/v1: an extensions/v1beta1 Deployment
// shows revisionHistoryLimit and progressDeadlineSeconds 2147483647 and
// maxSurge/maxUnavailable 1, not apps/v1's 10, 600 and 25%.

// fromTemplateLabels gives a workload of a version that predates required
// selectors its selector and its own labels from the pod template's labels
// when those are unset. The maps are copied, where kube shares them, so
// later changes to one do not leak into the others.
func fromTemplateLabels(meta *metav1.ObjectMeta, sel **metav1.LabelSelector, templateLabels map[string]string) {
	if templateLabels == nil {
		return
	}
	if *sel == nil {
		*sel = &metav1.LabelSelector{MatchLabels: maps.Clone(templateLabels)}
	}
	if len(meta.Labels) == 0 {
		meta.Labels = maps.Clone(templateLabels)
	}
}

// AppsV1beta1Deployment fills the apps/v1beta1 Deployment defaults:
// selector and labels from the template labels when unset; replicas 1;
// strategy RollingUpdate with maxUnavailable 25% and maxSurge 25%;
// revisionHistoryLimit 2; progressDeadlineSeconds 600; and the pod
// template's defaults.
func AppsV1beta1Deployment(d *appsv1beta1.Deployment) {
	spec := &d.Spec
	fromTemplateLabels(&d.ObjectMeta, &spec.Selector, spec.Template.Labels)
	if spec.Replicas == nil {
		spec.Replicas = ptr.To[int32](1)
	}
	if spec.Strategy.Type == "" {
		spec.Strategy.Type = appsv1beta1.RollingUpdateDeploymentStrategyType
	}
	if spec.Strategy.Type == appsv1beta1.RollingUpdateDeploymentStrategyType {
		if spec.Strategy.RollingUpdate == nil {
			spec.Strategy.RollingUpdate = &appsv1beta1.RollingUpdateDeployment{}
		}
		setIntOrString(&spec.Strategy.RollingUpdate.MaxUnavailable, intstr.FromString("25%"))
		setIntOrString(&spec.Strategy.RollingUpdate.MaxSurge, intstr.FromString("25%"))
	}
	if spec.RevisionHistoryLimit == nil {
		spec.RevisionHistoryLimit = ptr.To[int32](2)
	}
	if spec.ProgressDeadlineSeconds == nil {
		spec.ProgressDeadlineSeconds = ptr.To[int32](600)
	}
	PodTemplateSpec(&spec.Template)
}

// AppsV1beta1StatefulSet fills the apps/v1beta1 StatefulSet defaults:
// podManagementPolicy OrderedReady; updateStrategy type OnDelete (not
// RollingUpdate as in later versions), and for a RollingUpdate strategy with
// a rollingUpdate block partition 0 and maxUnavailable 1; selector and
// labels from the template labels when unset; replicas 1;
// revisionHistoryLimit 10; PVC retention Retain/Retain; the pod template's
// and volumeClaimTemplates' defaults.
func AppsV1beta1StatefulSet(ss *appsv1beta1.StatefulSet) {
	spec := &ss.Spec
	if spec.PodManagementPolicy == "" {
		spec.PodManagementPolicy = appsv1beta1.OrderedReadyPodManagement
	}
	us := &spec.UpdateStrategy
	if us.Type == "" {
		us.Type = appsv1beta1.OnDeleteStatefulSetStrategyType
	}
	fromTemplateLabels(&ss.ObjectMeta, &spec.Selector, spec.Template.Labels)
	if spec.Replicas == nil {
		spec.Replicas = ptr.To[int32](1)
	}
	if spec.RevisionHistoryLimit == nil {
		spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	if us.Type == appsv1beta1.RollingUpdateStatefulSetStrategyType && us.RollingUpdate != nil {
		if us.RollingUpdate.Partition == nil {
			us.RollingUpdate.Partition = ptr.To[int32](0)
		}
		setIntOrString(&us.RollingUpdate.MaxUnavailable, intstr.FromInt32(1))
	}
	if spec.PersistentVolumeClaimRetentionPolicy == nil {
		spec.PersistentVolumeClaimRetentionPolicy = &appsv1beta1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	retainPolicy(&spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted, &spec.PersistentVolumeClaimRetentionPolicy.WhenScaled)
	PodTemplateSpec(&spec.Template)
	for i := range spec.VolumeClaimTemplates {
		PersistentVolumeClaim(&spec.VolumeClaimTemplates[i])
	}
}

// retainPolicy fills Retain into empty PVC retention policy fields. The
// policy types of all apps versions share one underlying string type.
func retainPolicy[T ~string](whenDeleted, whenScaled *T) {
	if *whenDeleted == "" {
		*whenDeleted = T(appsv1.RetainPersistentVolumeClaimRetentionPolicyType)
	}
	if *whenScaled == "" {
		*whenScaled = T(appsv1.RetainPersistentVolumeClaimRetentionPolicyType)
	}
}

// AppsV1beta2Deployment fills the apps/v1beta2 Deployment defaults, which
// are apps/v1's: replicas 1; strategy RollingUpdate with maxUnavailable 25%
// and maxSurge 25%; revisionHistoryLimit 10; progressDeadlineSeconds 600;
// and the pod template's defaults.
func AppsV1beta2Deployment(d *appsv1beta2.Deployment) {
	spec := &d.Spec
	if spec.Replicas == nil {
		spec.Replicas = ptr.To[int32](1)
	}
	if spec.Strategy.Type == "" {
		spec.Strategy.Type = appsv1beta2.RollingUpdateDeploymentStrategyType
	}
	if spec.Strategy.Type == appsv1beta2.RollingUpdateDeploymentStrategyType {
		if spec.Strategy.RollingUpdate == nil {
			spec.Strategy.RollingUpdate = &appsv1beta2.RollingUpdateDeployment{}
		}
		setIntOrString(&spec.Strategy.RollingUpdate.MaxUnavailable, intstr.FromString("25%"))
		setIntOrString(&spec.Strategy.RollingUpdate.MaxSurge, intstr.FromString("25%"))
	}
	if spec.RevisionHistoryLimit == nil {
		spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	if spec.ProgressDeadlineSeconds == nil {
		spec.ProgressDeadlineSeconds = ptr.To[int32](600)
	}
	PodTemplateSpec(&spec.Template)
}

// AppsV1beta2ReplicaSet fills replicas 1 and the pod template's defaults.
func AppsV1beta2ReplicaSet(rs *appsv1beta2.ReplicaSet) {
	if rs.Spec.Replicas == nil {
		rs.Spec.Replicas = ptr.To[int32](1)
	}
	PodTemplateSpec(&rs.Spec.Template)
}

// AppsV1beta2StatefulSet fills the apps/v1beta2 StatefulSet defaults, which
// are apps/v1's (see StatefulSet).
func AppsV1beta2StatefulSet(ss *appsv1beta2.StatefulSet) {
	spec := &ss.Spec
	if spec.PodManagementPolicy == "" {
		spec.PodManagementPolicy = appsv1beta2.OrderedReadyPodManagement
	}
	us := &spec.UpdateStrategy
	if us.Type == "" {
		us.Type = appsv1beta2.RollingUpdateStatefulSetStrategyType
		if us.RollingUpdate == nil {
			us.RollingUpdate = &appsv1beta2.RollingUpdateStatefulSetStrategy{}
		}
	}
	if us.Type == appsv1beta2.RollingUpdateStatefulSetStrategyType && us.RollingUpdate != nil {
		if us.RollingUpdate.Partition == nil {
			us.RollingUpdate.Partition = ptr.To[int32](0)
		}
		setIntOrString(&us.RollingUpdate.MaxUnavailable, intstr.FromInt32(1))
	}
	if spec.PersistentVolumeClaimRetentionPolicy == nil {
		spec.PersistentVolumeClaimRetentionPolicy = &appsv1beta2.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	retainPolicy(&spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted, &spec.PersistentVolumeClaimRetentionPolicy.WhenScaled)
	if spec.Replicas == nil {
		spec.Replicas = ptr.To[int32](1)
	}
	if spec.RevisionHistoryLimit == nil {
		spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	PodTemplateSpec(&spec.Template)
	for i := range spec.VolumeClaimTemplates {
		PersistentVolumeClaim(&spec.VolumeClaimTemplates[i])
	}
}

// AppsV1beta2DaemonSet fills the apps/v1beta2 DaemonSet defaults, which are
// apps/v1's (see DaemonSet).
func AppsV1beta2DaemonSet(ds *appsv1beta2.DaemonSet) {
	us := &ds.Spec.UpdateStrategy
	if us.Type == "" {
		us.Type = appsv1beta2.RollingUpdateDaemonSetStrategyType
	}
	if us.Type == appsv1beta2.RollingUpdateDaemonSetStrategyType {
		if us.RollingUpdate == nil {
			us.RollingUpdate = &appsv1beta2.RollingUpdateDaemonSet{}
		}
		setIntOrString(&us.RollingUpdate.MaxUnavailable, intstr.FromInt32(1))
		setIntOrString(&us.RollingUpdate.MaxSurge, intstr.FromInt32(0))
	}
	if ds.Spec.RevisionHistoryLimit == nil {
		ds.Spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	PodTemplateSpec(&ds.Spec.Template)
}

// ExtensionsV1beta1Deployment fills the extensions/v1beta1 Deployment
// defaults: selector and labels from the template labels when unset;
// replicas 1; strategy type RollingUpdate, and when the strategy is
// RollingUpdate or has a rollingUpdate block, maxUnavailable 1 and maxSurge
// 1; progressDeadlineSeconds and revisionHistoryLimit MaxInt32 (this
// version's "no deadline" and "keep every revision", kept explicit so
// conversion to apps/v1 does not pick up apps/v1's defaults); and the pod
// template's defaults.
func ExtensionsV1beta1Deployment(d *extensionsv1beta1.Deployment) {
	spec := &d.Spec
	fromTemplateLabels(&d.ObjectMeta, &spec.Selector, spec.Template.Labels)
	if spec.Replicas == nil {
		spec.Replicas = ptr.To[int32](1)
	}
	if spec.Strategy.Type == "" {
		spec.Strategy.Type = extensionsv1beta1.RollingUpdateDeploymentStrategyType
	}
	if spec.Strategy.Type == extensionsv1beta1.RollingUpdateDeploymentStrategyType || spec.Strategy.RollingUpdate != nil {
		if spec.Strategy.RollingUpdate == nil {
			spec.Strategy.RollingUpdate = &extensionsv1beta1.RollingUpdateDeployment{}
		}
		setIntOrString(&spec.Strategy.RollingUpdate.MaxUnavailable, intstr.FromInt32(1))
		setIntOrString(&spec.Strategy.RollingUpdate.MaxSurge, intstr.FromInt32(1))
	}
	if spec.ProgressDeadlineSeconds == nil {
		spec.ProgressDeadlineSeconds = ptr.To[int32](math.MaxInt32)
	}
	if spec.RevisionHistoryLimit == nil {
		spec.RevisionHistoryLimit = ptr.To[int32](math.MaxInt32)
	}
	PodTemplateSpec(&spec.Template)
}

// ExtensionsV1beta1ReplicaSet fills selector and labels from the template
// labels when unset, replicas 1, and the pod template's defaults.
func ExtensionsV1beta1ReplicaSet(rs *extensionsv1beta1.ReplicaSet) {
	fromTemplateLabels(&rs.ObjectMeta, &rs.Spec.Selector, rs.Spec.Template.Labels)
	if rs.Spec.Replicas == nil {
		rs.Spec.Replicas = ptr.To[int32](1)
	}
	PodTemplateSpec(&rs.Spec.Template)
}

// ExtensionsV1beta1DaemonSet fills the extensions/v1beta1 DaemonSet
// defaults: selector and labels from the template labels when unset;
// updateStrategy type OnDelete (not RollingUpdate as in apps), and for a
// RollingUpdate strategy maxUnavailable 1 and maxSurge 0;
// revisionHistoryLimit 10; and the pod template's defaults.
func ExtensionsV1beta1DaemonSet(ds *extensionsv1beta1.DaemonSet) {
	fromTemplateLabels(&ds.ObjectMeta, &ds.Spec.Selector, ds.Spec.Template.Labels)
	us := &ds.Spec.UpdateStrategy
	if us.Type == "" {
		us.Type = extensionsv1beta1.OnDeleteDaemonSetStrategyType
	}
	if us.Type == extensionsv1beta1.RollingUpdateDaemonSetStrategyType {
		if us.RollingUpdate == nil {
			us.RollingUpdate = &extensionsv1beta1.RollingUpdateDaemonSet{}
		}
		setIntOrString(&us.RollingUpdate.MaxUnavailable, intstr.FromInt32(1))
		setIntOrString(&us.RollingUpdate.MaxSurge, intstr.FromInt32(0))
	}
	if ds.Spec.RevisionHistoryLimit == nil {
		ds.Spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	PodTemplateSpec(&ds.Spec.Template)
}
