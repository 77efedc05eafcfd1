package defaults

import (
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Deployment fills the apps/v1 Deployment defaults: replicas 1; strategy
// type RollingUpdate, and for a RollingUpdate strategy maxUnavailable 25%
// and maxSurge 25%; revisionHistoryLimit 10; progressDeadlineSeconds 600;
// and the pod template's defaults (see PodTemplateSpec). apps/v1 requires a
// selector, so none is derived from the template.
func Deployment(d *appsv1.Deployment) {
	spec := &d.Spec
	if spec.Replicas == nil {
		spec.Replicas = ptr.To[int32](1)
	}
	if spec.Strategy.Type == "" {
		spec.Strategy.Type = appsv1.RollingUpdateDeploymentStrategyType
	}
	if spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType {
		if spec.Strategy.RollingUpdate == nil {
			spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{}
		}
		ru := spec.Strategy.RollingUpdate
		setIntOrString(&ru.MaxUnavailable, intstr.FromString("25%"))
		setIntOrString(&ru.MaxSurge, intstr.FromString("25%"))
	}
	if spec.RevisionHistoryLimit == nil {
		spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	if spec.ProgressDeadlineSeconds == nil {
		spec.ProgressDeadlineSeconds = ptr.To[int32](600)
	}
	PodTemplateSpec(&spec.Template)
}

// ReplicaSet fills the apps/v1 ReplicaSet defaults: replicas 1 and the pod
// template's defaults.
func ReplicaSet(rs *appsv1.ReplicaSet) {
	if rs.Spec.Replicas == nil {
		rs.Spec.Replicas = ptr.To[int32](1)
	}
	PodTemplateSpec(&rs.Spec.Template)
}

// StatefulSet fills the apps/v1 StatefulSet defaults: replicas 1;
// podManagementPolicy OrderedReady; updateStrategy type RollingUpdate (an
// unset type also gets a rollingUpdate block), and for a RollingUpdate
// strategy with a rollingUpdate block partition 0 and maxUnavailable 1
// (MaxUnavailableStatefulSet, on by default since 1.37);
// persistentVolumeClaimRetentionPolicy whenDeleted/whenScaled Retain;
// revisionHistoryLimit 10; the pod template's defaults; and each
// volumeClaimTemplate's PersistentVolumeClaim defaults (volumeMode
// Filesystem, status.phase Pending).
func StatefulSet(ss *appsv1.StatefulSet) {
	spec := &ss.Spec
	if spec.PodManagementPolicy == "" {
		spec.PodManagementPolicy = appsv1.OrderedReadyPodManagement
	}
	us := &spec.UpdateStrategy
	if us.Type == "" {
		us.Type = appsv1.RollingUpdateStatefulSetStrategyType
		if us.RollingUpdate == nil {
			us.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{}
		}
	}
	if us.Type == appsv1.RollingUpdateStatefulSetStrategyType && us.RollingUpdate != nil {
		if us.RollingUpdate.Partition == nil {
			us.RollingUpdate.Partition = ptr.To[int32](0)
		}
		setIntOrString(&us.RollingUpdate.MaxUnavailable, intstr.FromInt32(1))
	}
	if spec.PersistentVolumeClaimRetentionPolicy == nil {
		spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
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

// DaemonSet fills the apps/v1 DaemonSet defaults: updateStrategy type
// RollingUpdate, and for a RollingUpdate strategy maxUnavailable 1 and
// maxSurge 0; revisionHistoryLimit 10; and the pod template's defaults.
func DaemonSet(ds *appsv1.DaemonSet) {
	us := &ds.Spec.UpdateStrategy
	if us.Type == "" {
		us.Type = appsv1.RollingUpdateDaemonSetStrategyType
	}
	if us.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if us.RollingUpdate == nil {
			us.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
		}
		setIntOrString(&us.RollingUpdate.MaxUnavailable, intstr.FromInt32(1))
		setIntOrString(&us.RollingUpdate.MaxSurge, intstr.FromInt32(0))
	}
	if ds.Spec.RevisionHistoryLimit == nil {
		ds.Spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	PodTemplateSpec(&ds.Spec.Template)
}

// setIntOrString sets *p to v when *p is nil.
func setIntOrString(p **intstr.IntOrString, v intstr.IntOrString) {
	if *p == nil {
		*p = &v
	}
}
