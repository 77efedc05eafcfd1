package defaults

import (
	"errors"

	appsv1 "k8s.io/api/apps/v1"
	appsv1beta1 "k8s.io/api/apps/v1beta1"
	appsv1beta2 "k8s.io/api/apps/v1beta2"
	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	discoveryv1beta1 "k8s.io/api/discovery/v1beta1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Register adds to scheme a defaulting function for every type this package
// defaults and for its List type (which defaults each item), so that
// scheme.Default(obj) applies the defaults kube-apiserver would. It does not
// register the types themselves: scheme.Default looks functions up by Go
// type alone. Registering twice replaces the functions with equal ones.
// Types without defaults (Event, Lease, ServiceAccount, networking/v1
// Ingress, ...) get no function and scheme.Default leaves them untouched.
func Register(scheme *runtime.Scheme) error {
	if scheme == nil {
		return errors.New("defaults: nil scheme")
	}

	// core/v1
	add(scheme, Pod)
	add(scheme, func(l *corev1.PodList) { each(l.Items, Pod) })
	add(scheme, PodTemplate)
	add(scheme, func(l *corev1.PodTemplateList) { each(l.Items, PodTemplate) })
	add(scheme, ReplicationController)
	add(scheme, func(l *corev1.ReplicationControllerList) { each(l.Items, ReplicationController) })
	add(scheme, Service)
	add(scheme, func(l *corev1.ServiceList) { each(l.Items, Service) })
	add(scheme, Endpoints)
	add(scheme, func(l *corev1.EndpointsList) { each(l.Items, Endpoints) })
	add(scheme, Namespace)
	add(scheme, func(l *corev1.NamespaceList) { each(l.Items, Namespace) })
	add(scheme, Secret)
	add(scheme, func(l *corev1.SecretList) { each(l.Items, Secret) })
	add(scheme, ConfigMap)
	add(scheme, func(l *corev1.ConfigMapList) { each(l.Items, ConfigMap) })
	add(scheme, Node)
	add(scheme, func(l *corev1.NodeList) { each(l.Items, Node) })
	add(scheme, PersistentVolume)
	add(scheme, func(l *corev1.PersistentVolumeList) { each(l.Items, PersistentVolume) })
	add(scheme, PersistentVolumeClaim)
	add(scheme, func(l *corev1.PersistentVolumeClaimList) { each(l.Items, PersistentVolumeClaim) })
	add(scheme, LimitRange)
	add(scheme, func(l *corev1.LimitRangeList) { each(l.Items, LimitRange) })
	add(scheme, ResourceQuota)
	add(scheme, func(l *corev1.ResourceQuotaList) { each(l.Items, ResourceQuota) })

	// apps/v1
	add(scheme, Deployment)
	add(scheme, func(l *appsv1.DeploymentList) { each(l.Items, Deployment) })
	add(scheme, ReplicaSet)
	add(scheme, func(l *appsv1.ReplicaSetList) { each(l.Items, ReplicaSet) })
	add(scheme, StatefulSet)
	add(scheme, func(l *appsv1.StatefulSetList) { each(l.Items, StatefulSet) })
	add(scheme, DaemonSet)
	add(scheme, func(l *appsv1.DaemonSetList) { each(l.Items, DaemonSet) })

	// apps/v1beta1, apps/v1beta2, extensions/v1beta1
	add(scheme, AppsV1beta1Deployment)
	add(scheme, func(l *appsv1beta1.DeploymentList) { each(l.Items, AppsV1beta1Deployment) })
	add(scheme, AppsV1beta1StatefulSet)
	add(scheme, func(l *appsv1beta1.StatefulSetList) { each(l.Items, AppsV1beta1StatefulSet) })
	add(scheme, AppsV1beta2Deployment)
	add(scheme, func(l *appsv1beta2.DeploymentList) { each(l.Items, AppsV1beta2Deployment) })
	add(scheme, AppsV1beta2ReplicaSet)
	add(scheme, func(l *appsv1beta2.ReplicaSetList) { each(l.Items, AppsV1beta2ReplicaSet) })
	add(scheme, AppsV1beta2StatefulSet)
	add(scheme, func(l *appsv1beta2.StatefulSetList) { each(l.Items, AppsV1beta2StatefulSet) })
	add(scheme, AppsV1beta2DaemonSet)
	add(scheme, func(l *appsv1beta2.DaemonSetList) { each(l.Items, AppsV1beta2DaemonSet) })
	add(scheme, ExtensionsV1beta1Deployment)
	add(scheme, func(l *extensionsv1beta1.DeploymentList) { each(l.Items, ExtensionsV1beta1Deployment) })
	add(scheme, ExtensionsV1beta1ReplicaSet)
	add(scheme, func(l *extensionsv1beta1.ReplicaSetList) { each(l.Items, ExtensionsV1beta1ReplicaSet) })
	add(scheme, ExtensionsV1beta1DaemonSet)
	add(scheme, func(l *extensionsv1beta1.DaemonSetList) { each(l.Items, ExtensionsV1beta1DaemonSet) })
	add(scheme, ExtensionsV1beta1Ingress)
	add(scheme, func(l *extensionsv1beta1.IngressList) { each(l.Items, ExtensionsV1beta1Ingress) })

	// batch
	add(scheme, Job)
	add(scheme, func(l *batchv1.JobList) { each(l.Items, Job) })
	add(scheme, CronJob)
	add(scheme, func(l *batchv1.CronJobList) { each(l.Items, CronJob) })
	add(scheme, BatchV1beta1CronJob)
	add(scheme, func(l *batchv1beta1.CronJobList) { each(l.Items, BatchV1beta1CronJob) })

	// discovery.k8s.io
	add(scheme, EndpointSlice)
	add(scheme, func(l *discoveryv1.EndpointSliceList) { each(l.Items, EndpointSlice) })
	add(scheme, DiscoveryV1beta1EndpointSlice)
	add(scheme, func(l *discoveryv1beta1.EndpointSliceList) { each(l.Items, DiscoveryV1beta1EndpointSlice) })

	// networking.k8s.io
	add(scheme, IngressClass)
	add(scheme, func(l *networkingv1.IngressClassList) { each(l.Items, IngressClass) })
	add(scheme, NetworkPolicy)
	add(scheme, func(l *networkingv1.NetworkPolicyList) { each(l.Items, NetworkPolicy) })
	add(scheme, NetworkingV1beta1Ingress)
	add(scheme, func(l *networkingv1beta1.IngressList) { each(l.Items, NetworkingV1beta1Ingress) })

	return nil
}

// add registers fn as the defaulting function of the Go type *T.
func add[T any, PT interface {
	*T
	runtime.Object
}](scheme *runtime.Scheme, fn func(PT)) {
	scheme.AddTypeDefaultingFunc(PT(new(T)), func(obj interface{}) { fn(obj.(PT)) })
}

// each applies fn to every element of items in place.
func each[T any](items []T, fn func(*T)) {
	for i := range items {
		fn(&items[i])
	}
}
