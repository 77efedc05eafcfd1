package defaults

import (
	"fmt"
	"reflect"
	"testing"

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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// samples returns, fresh on every call, one object of every type Register
// covers, each written so that defaulting visibly changes it.
func samples() []runtime.Object {
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "nginx"}, Spec: nginxTemplate().Spec}
	return []runtime.Object{
		pod,
		&corev1.PodTemplate{Template: nginxTemplate()},
		&corev1.ReplicationController{Spec: corev1.ReplicationControllerSpec{Template: ptr.To(nginxTemplate())}},
		&corev1.Service{Spec: corev1.ServiceSpec{Selector: sel.MatchLabels, Ports: []corev1.ServicePort{{Port: 80}}}},
		&corev1.Endpoints{Subsets: []corev1.EndpointSubset{{Ports: []corev1.EndpointPort{{Port: 80}}}}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dev"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}},
		&corev1.Node{Status: corev1.NodeStatus{Capacity: corev1.ResourceList{corev1.ResourceCPU: q("2")}}},
		&corev1.PersistentVolume{Spec: corev1.PersistentVolumeSpec{Capacity: corev1.ResourceList{corev1.ResourceStorage: q("1Gi")}}},
		&corev1.PersistentVolumeClaim{},
		&corev1.LimitRange{Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
			Max: corev1.ResourceList{corev1.ResourceCPU: q("1")}}}}},
		&corev1.ResourceQuota{Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourceCPU: q("0.0001")}}},
		&appsv1.Deployment{Spec: appsv1.DeploymentSpec{Selector: sel, Template: nginxTemplate()}},
		&appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Selector: sel, Template: nginxTemplate()}},
		&appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{Selector: sel, Template: nginxTemplate(),
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "www"}}}}},
		&appsv1.DaemonSet{Spec: appsv1.DaemonSetSpec{Selector: sel, Template: nginxTemplate()}},
		&appsv1beta1.Deployment{Spec: appsv1beta1.DeploymentSpec{Template: nginxTemplate()}},
		&appsv1beta1.StatefulSet{Spec: appsv1beta1.StatefulSetSpec{Template: nginxTemplate()}},
		&appsv1beta2.Deployment{Spec: appsv1beta2.DeploymentSpec{Selector: sel, Template: nginxTemplate()}},
		&appsv1beta2.ReplicaSet{Spec: appsv1beta2.ReplicaSetSpec{Selector: sel, Template: nginxTemplate()}},
		&appsv1beta2.StatefulSet{Spec: appsv1beta2.StatefulSetSpec{Selector: sel, Template: nginxTemplate()}},
		&appsv1beta2.DaemonSet{Spec: appsv1beta2.DaemonSetSpec{Selector: sel, Template: nginxTemplate()}},
		&extensionsv1beta1.Deployment{Spec: extensionsv1beta1.DeploymentSpec{Template: nginxTemplate()}},
		&extensionsv1beta1.ReplicaSet{Spec: extensionsv1beta1.ReplicaSetSpec{Template: nginxTemplate()}},
		&extensionsv1beta1.DaemonSet{Spec: extensionsv1beta1.DaemonSetSpec{Template: nginxTemplate(),
			UpdateStrategy: extensionsv1beta1.DaemonSetUpdateStrategy{Type: extensionsv1beta1.RollingUpdateDaemonSetStrategyType}}},
		&extensionsv1beta1.Ingress{Spec: extensionsv1beta1.IngressSpec{Rules: []extensionsv1beta1.IngressRule{{
			IngressRuleValue: extensionsv1beta1.IngressRuleValue{HTTP: &extensionsv1beta1.HTTPIngressRuleValue{
				Paths: []extensionsv1beta1.HTTPIngressPath{{Path: "/"}}}}}}}},
		&batchv1.Job{Spec: batchv1.JobSpec{Template: piTemplate()}},
		&batchv1.CronJob{Spec: batchv1.CronJobSpec{Schedule: "@hourly", JobTemplate: helloJobTemplate(false)}},
		&batchv1beta1.CronJob{Spec: batchv1beta1.CronJobSpec{Schedule: "@hourly",
			JobTemplate: batchv1beta1.JobTemplateSpec{Spec: helloJobTemplate(false).Spec}}},
		&discoveryv1.EndpointSlice{Ports: []discoveryv1.EndpointPort{{Port: ptr.To[int32](80)}}},
		&discoveryv1beta1.EndpointSlice{Ports: []discoveryv1beta1.EndpointPort{{Port: ptr.To[int32](80)}}},
		&networkingv1.IngressClass{Spec: networkingv1.IngressClassSpec{
			Parameters: &networkingv1.IngressClassParametersReference{Kind: "P", Name: "p"}}},
		&networkingv1.NetworkPolicy{Spec: networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{
			Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(80))}}}}}},
		&networkingv1beta1.Ingress{Spec: networkingv1beta1.IngressSpec{Rules: []networkingv1beta1.IngressRule{{
			IngressRuleValue: networkingv1beta1.IngressRuleValue{HTTP: &networkingv1beta1.HTTPIngressRuleValue{
				Paths: []networkingv1beta1.HTTPIngressPath{{Path: "/"}}}}}}}},
	}
}

// listOf wraps two copies of obj in obj's List type.
func listOf(t *testing.T, obj runtime.Object) runtime.Object {
	t.Helper()
	elem := reflect.TypeOf(obj).Elem()
	listType, ok := listTypes()[elem]
	if !ok {
		t.Fatalf("no list type known for %s", elem)
	}
	list := reflect.New(listType)
	items := list.Elem().FieldByName("Items")
	items.Set(reflect.Append(reflect.MakeSlice(items.Type(), 0, 2), reflect.ValueOf(obj).Elem(), reflect.ValueOf(obj).Elem()))
	return list.Interface().(runtime.Object)
}

// listTypes maps each item type Register covers to its List type.
func listTypes() map[reflect.Type]reflect.Type {
	m := map[reflect.Type]reflect.Type{}
	for _, pair := range [][2]runtime.Object{
		{&corev1.Pod{}, &corev1.PodList{}},
		{&corev1.PodTemplate{}, &corev1.PodTemplateList{}},
		{&corev1.ReplicationController{}, &corev1.ReplicationControllerList{}},
		{&corev1.Service{}, &corev1.ServiceList{}},
		{&corev1.Endpoints{}, &corev1.EndpointsList{}},
		{&corev1.Namespace{}, &corev1.NamespaceList{}},
		{&corev1.Secret{}, &corev1.SecretList{}},
		{&corev1.ConfigMap{}, &corev1.ConfigMapList{}},
		{&corev1.Node{}, &corev1.NodeList{}},
		{&corev1.PersistentVolume{}, &corev1.PersistentVolumeList{}},
		{&corev1.PersistentVolumeClaim{}, &corev1.PersistentVolumeClaimList{}},
		{&corev1.LimitRange{}, &corev1.LimitRangeList{}},
		{&corev1.ResourceQuota{}, &corev1.ResourceQuotaList{}},
		{&appsv1.Deployment{}, &appsv1.DeploymentList{}},
		{&appsv1.ReplicaSet{}, &appsv1.ReplicaSetList{}},
		{&appsv1.StatefulSet{}, &appsv1.StatefulSetList{}},
		{&appsv1.DaemonSet{}, &appsv1.DaemonSetList{}},
		{&appsv1beta1.Deployment{}, &appsv1beta1.DeploymentList{}},
		{&appsv1beta1.StatefulSet{}, &appsv1beta1.StatefulSetList{}},
		{&appsv1beta2.Deployment{}, &appsv1beta2.DeploymentList{}},
		{&appsv1beta2.ReplicaSet{}, &appsv1beta2.ReplicaSetList{}},
		{&appsv1beta2.StatefulSet{}, &appsv1beta2.StatefulSetList{}},
		{&appsv1beta2.DaemonSet{}, &appsv1beta2.DaemonSetList{}},
		{&extensionsv1beta1.Deployment{}, &extensionsv1beta1.DeploymentList{}},
		{&extensionsv1beta1.ReplicaSet{}, &extensionsv1beta1.ReplicaSetList{}},
		{&extensionsv1beta1.DaemonSet{}, &extensionsv1beta1.DaemonSetList{}},
		{&extensionsv1beta1.Ingress{}, &extensionsv1beta1.IngressList{}},
		{&batchv1.Job{}, &batchv1.JobList{}},
		{&batchv1.CronJob{}, &batchv1.CronJobList{}},
		{&batchv1beta1.CronJob{}, &batchv1beta1.CronJobList{}},
		{&discoveryv1.EndpointSlice{}, &discoveryv1.EndpointSliceList{}},
		{&discoveryv1beta1.EndpointSlice{}, &discoveryv1beta1.EndpointSliceList{}},
		{&networkingv1.IngressClass{}, &networkingv1.IngressClassList{}},
		{&networkingv1.NetworkPolicy{}, &networkingv1.NetworkPolicyList{}},
		{&networkingv1beta1.Ingress{}, &networkingv1beta1.IngressList{}},
	} {
		m[reflect.TypeOf(pair[0]).Elem()] = reflect.TypeOf(pair[1]).Elem()
	}
	return m
}

func newScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := Register(s); err != nil {
		t.Fatalf("Register: %v", err)
	}
	return s
}

func TestRegisterDefaultsObjectsAndLists(t *testing.T) {
	scheme := newScheme(t)
	for _, obj := range samples() {
		name := fmt.Sprintf("%T", obj)
		t.Run(name, func(t *testing.T) {
			before := obj.DeepCopyObject()
			list := listOf(t, before.DeepCopyObject())

			scheme.Default(obj)
			if reflect.DeepEqual(obj, before) {
				t.Fatalf("scheme.Default left %s unchanged", name)
			}

			scheme.Default(list)
			items := reflect.ValueOf(list).Elem().FieldByName("Items")
			for i := 0; i < items.Len(); i++ {
				got := items.Index(i).Addr().Interface().(runtime.Object)
				mustEqual(t, got, obj)
			}
		})
	}
}

func TestRegisterAppliesTheSameFunctions(t *testing.T) {
	scheme := newScheme(t)
	viaScheme := &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Port: 443}}}}
	direct := viaScheme.DeepCopy()
	scheme.Default(viaScheme)
	Service(direct)
	mustEqual(t, viaScheme, direct)
	if viaScheme.Spec.AllocateLoadBalancerNodePorts == nil || !*viaScheme.Spec.AllocateLoadBalancerNodePorts {
		t.Error("scheme.Default did not apply the LoadBalancer defaults")
	}
}

func TestRegisterNilScheme(t *testing.T) {
	if err := Register(nil); err == nil {
		t.Error("Register(nil) succeeded")
	}
}

func TestDefaultingIsIdempotent(t *testing.T) {
	scheme := newScheme(t)
	objects := samples()
	// The realistic manifests of the other tests, too.
	objects = append(objects, []runtime.Object{
		&corev1.Pod{Spec: corev1.PodSpec{HostNetwork: true, Containers: []corev1.Container{{
			Name: "c", Image: "nginx", Ports: []corev1.ContainerPort{{ContainerPort: 80}},
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: q("0.0001")}},
		}}, Resources: &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("1m")}}}},
		&corev1.Service{Spec: corev1.ServiceSpec{SessionAffinity: corev1.ServiceAffinityClientIP, Type: corev1.ServiceTypeNodePort}},
		&corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "x.example.com"}},
		&batchv1.Job{Spec: batchv1.JobSpec{Template: piTemplate(), PodFailurePolicy: &batchv1.PodFailurePolicy{
			Rules: []batchv1.PodFailurePolicyRule{{OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: "X"}}}}}}},
	}...)
	for _, obj := range objects {
		t.Run(fmt.Sprintf("%T", obj), func(t *testing.T) {
			scheme.Default(obj)
			once := obj.DeepCopyObject()
			scheme.Default(obj)
			if !reflect.DeepEqual(obj, once) {
				t.Errorf("second defaulting changed the object\nonce:  %s\ntwice: %s", toJSON(t, once), toJSON(t, obj))
			}
		})
	}
}

func TestServiceIPFamiliesIsIdempotent(t *testing.T) {
	for _, spec := range []corev1.ServiceSpec{
		{Type: corev1.ServiceTypeClusterIP, ClusterIP: "None"},
		{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.0.0.1", Selector: map[string]string{"a": "b"}},
	} {
		svc := &corev1.Service{Spec: spec}
		ServiceIPFamilies(svc, corev1.IPv4Protocol)
		once := svc.DeepCopy()
		ServiceIPFamilies(svc, corev1.IPv4Protocol)
		mustEqual(t, svc, once)
	}
}
