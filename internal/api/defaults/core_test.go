package defaults

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestNamespace(t *testing.T) {
	tests := []struct {
		name string
		in   corev1.Namespace
		want corev1.Namespace
	}{
		{
			name: "named namespace gets its name label and Active phase",
			in:   corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dev"}},
			want: corev1.Namespace{
				ObjectMeta: metav1.ObjectMeta{Name: "dev", Labels: map[string]string{"kubernetes.io/metadata.name": "dev"}},
				Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
			},
		},
		{
			name: "user labels are kept and a wrong name label corrected",
			in: corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "prod", Labels: map[string]string{
				"team": "a", "kubernetes.io/metadata.name": "other"}}},
			want: corev1.Namespace{
				ObjectMeta: metav1.ObjectMeta{Name: "prod", Labels: map[string]string{"team": "a", "kubernetes.io/metadata.name": "prod"}},
				Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
			},
		},
		{
			name: "generateName only: no label yet",
			in:   corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"}},
			want: corev1.Namespace{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"},
				Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
			},
		},
		{
			name: "terminating phase is kept and finalizers are not defaulted",
			in: corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "old"},
				Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}},
			want: corev1.Namespace{
				ObjectMeta: metav1.ObjectMeta{Name: "old", Labels: map[string]string{"kubernetes.io/metadata.name": "old"}},
				Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.DeepCopy()
			Namespace(got)
			mustEqual(t, *got, tc.want)
		})
	}
}

func TestNamespaceForCreate(t *testing.T) {
	tests := []struct {
		name       string
		finalizers []corev1.FinalizerName
		status     corev1.NamespaceStatus
		want       []corev1.FinalizerName
	}{
		{name: "none", want: []corev1.FinalizerName{"kubernetes"}},
		{name: "user finalizer first", finalizers: []corev1.FinalizerName{"example.com/cleanup"},
			want: []corev1.FinalizerName{"example.com/cleanup", "kubernetes"}},
		{name: "already there", finalizers: []corev1.FinalizerName{"kubernetes"}, want: []corev1.FinalizerName{"kubernetes"}},
		{name: "status written by the user is reset", status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating},
			want: []corev1.FinalizerName{"kubernetes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dev"},
				Spec: corev1.NamespaceSpec{Finalizers: tc.finalizers}, Status: tc.status}
			NamespaceForCreate(ns)
			want := corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dev"},
				Spec: corev1.NamespaceSpec{Finalizers: tc.want}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}}
			mustEqual(t, *ns, want)
		})
	}
}

func TestNamespaceCanonicalize(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "test-", Name: "test-x7k2p"}}
	NamespaceCanonicalize(ns)
	if got := ns.Labels["kubernetes.io/metadata.name"]; got != "test-x7k2p" {
		t.Errorf("name label = %q, want the generated name", got)
	}
}

func TestSecret(t *testing.T) {
	tests := []struct {
		name string
		in   corev1.SecretType
		want corev1.SecretType
	}{
		{name: "untyped is Opaque", in: "", want: corev1.SecretTypeOpaque},
		{name: "TLS kept", in: corev1.SecretTypeTLS, want: corev1.SecretTypeTLS},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db"}, StringData: map[string]string{"password": "s3cr3t"}, Type: tc.in}
			Secret(s)
			mustEqual(t, *s, corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db"}, StringData: map[string]string{"password": "s3cr3t"}, Type: tc.want})
		})
	}
}

func TestConfigMap(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "empty"}}
	ConfigMap(cm)
	if cm.Data == nil {
		t.Error("data stayed nil, want an empty map")
	}
	cm = &corev1.ConfigMap{Data: map[string]string{"k": "v"}}
	ConfigMap(cm)
	mustEqual(t, cm.Data, map[string]string{"k": "v"})
}

func TestEndpoints(t *testing.T) {
	ep := &corev1.Endpoints{Subsets: []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: "10.244.1.5"}},
		Ports:     []corev1.EndpointPort{{Name: "http", Port: 9376}, {Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP}},
	}}}
	Endpoints(ep)
	mustEqual(t, ep.Subsets[0].Ports, []corev1.EndpointPort{
		{Name: "http", Port: 9376, Protocol: corev1.ProtocolTCP},
		{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
	})
}

func TestNode(t *testing.T) {
	n := &corev1.Node{Status: corev1.NodeStatus{Capacity: corev1.ResourceList{corev1.ResourceCPU: q("4"), corev1.ResourcePods: q("110")}}}
	Node(n)
	mustEqual(t, n.Status.Allocatable, corev1.ResourceList{corev1.ResourceCPU: q("4"), corev1.ResourcePods: q("110")})
	n.Status.Allocatable[corev1.ResourceCPU] = q("3")
	if c := n.Status.Capacity[corev1.ResourceCPU]; c.Cmp(q("4")) != 0 {
		t.Errorf("changing allocatable changed capacity to %s", c.String())
	}
}

func TestPersistentVolumeClaim(t *testing.T) {
	in := corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: q("1Gi")}},
		},
	}
	want := *in.DeepCopy()
	want.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
	want.Status.Phase = corev1.ClaimPending
	PersistentVolumeClaim(&in)
	mustEqual(t, in, want)
}

func TestPersistentVolume(t *testing.T) {
	in := corev1.PersistentVolume{Spec: corev1.PersistentVolumeSpec{
		Capacity:               corev1.ResourceList{corev1.ResourceStorage: q("10Gi")},
		PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/mnt/data"}},
	}}
	want := *in.DeepCopy()
	want.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimRetain
	want.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
	want.Spec.HostPath.Type = ptr.To(corev1.HostPathUnset)
	want.Status.Phase = corev1.VolumePending
	PersistentVolume(&in)
	mustEqual(t, in, want)
}

func TestReplicationController(t *testing.T) {
	labels := map[string]string{"app": "nginx"}
	rc := &corev1.ReplicationController{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx"},
		Spec: corev1.ReplicationControllerSpec{Template: &corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}},
		}},
	}
	ReplicationController(rc)
	want := corev1.ReplicationController{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx", Labels: labels},
		Spec: corev1.ReplicationControllerSpec{
			Replicas: ptr.To[int32](1),
			Selector: labels,
			Template: &corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: defaultedPodSpec(corev1.PodSpec{Containers: []corev1.Container{
					defaultedContainer(corev1.Container{Name: "nginx", Image: "nginx"}, corev1.PullAlways)}}),
			},
		},
	}
	mustEqual(t, *rc, want)
}

func TestLimitRange(t *testing.T) {
	lr := &corev1.LimitRange{Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{
		{
			Type:    corev1.LimitTypeContainer,
			Max:     corev1.ResourceList{corev1.ResourceCPU: q("2"), corev1.ResourceMemory: q("1Gi")},
			Min:     corev1.ResourceList{corev1.ResourceCPU: q("100m"), corev1.ResourceMemory: q("64Mi")},
			Default: corev1.ResourceList{corev1.ResourceMemory: q("512Mi")},
		},
		{Type: corev1.LimitTypePod, Max: corev1.ResourceList{corev1.ResourceCPU: q("4")}},
	}}}
	LimitRange(lr)
	want := []corev1.LimitRangeItem{
		{
			Type:           corev1.LimitTypeContainer,
			Max:            corev1.ResourceList{corev1.ResourceCPU: q("2"), corev1.ResourceMemory: q("1Gi")},
			Min:            corev1.ResourceList{corev1.ResourceCPU: q("100m"), corev1.ResourceMemory: q("64Mi")},
			Default:        corev1.ResourceList{corev1.ResourceCPU: q("2"), corev1.ResourceMemory: q("512Mi")},
			DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: q("2"), corev1.ResourceMemory: q("512Mi")},
		},
		{Type: corev1.LimitTypePod, Max: corev1.ResourceList{corev1.ResourceCPU: q("4")}},
	}
	mustEqual(t, lr.Spec.Limits, want)
}
