package defaults

import (
	"math"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	appsv1beta1 "k8s.io/api/apps/v1beta1"
	appsv1beta2 "k8s.io/api/apps/v1beta2"
	corev1 "k8s.io/api/core/v1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// nginxTemplate is the pod template of the Kubernetes Deployment tutorial.
func nginxTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "nginx"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name:      "nginx",
			Image:     "nginx:1.14.2",
			Ports:     []corev1.ContainerPort{{ContainerPort: 80}},
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: q("128Mi")}},
		}}},
	}
}

// defaultedNginxTemplate is nginxTemplate as kube stores it in a workload:
// no enableServiceLinks and no requests copied from limits, which only
// Pods get.
func defaultedNginxTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "nginx"}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name:                     "nginx",
				Image:                    "nginx:1.14.2",
				Ports:                    []corev1.ContainerPort{{ContainerPort: 80, Protocol: corev1.ProtocolTCP}},
				Resources:                corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: q("128Mi")}},
				TerminationMessagePath:   "/dev/termination-log",
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
				ImagePullPolicy:          corev1.PullIfNotPresent,
			}},
			RestartPolicy:                 corev1.RestartPolicyAlways,
			TerminationGracePeriodSeconds: ptr.To[int64](30),
			DNSPolicy:                     corev1.DNSClusterFirst,
			SecurityContext:               &corev1.PodSecurityContext{},
			SchedulerName:                 "default-scheduler",
		},
	}
}

func percent(s string) *intstr.IntOrString { return ptr.To(intstr.FromString(s)) }
func count(n int32) *intstr.IntOrString    { return ptr.To(intstr.FromInt32(n)) }

func TestDeployment(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "nginx-deployment", Labels: map[string]string{"app": "nginx"}}
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}}

	tests := []struct {
		name string
		in   appsv1.Deployment
		want appsv1.Deployment
	}{
		{
			name: "tutorial deployment",
			in:   appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](3), Selector: selector, Template: nginxTemplate()}},
			want: appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](3),
				Selector: selector,
				Template: defaultedNginxTemplate(),
				Strategy: appsv1.DeploymentStrategy{
					Type:          appsv1.RollingUpdateDeploymentStrategyType,
					RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: percent("25%"), MaxSurge: percent("25%")},
				},
				RevisionHistoryLimit:    ptr.To[int32](10),
				ProgressDeadlineSeconds: ptr.To[int32](600),
			}},
		},
		{
			name: "replicas default to 1 and a partial rolling update is completed",
			in: appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Selector: selector, Template: nginxTemplate(),
				Strategy: appsv1.DeploymentStrategy{RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: count(0)}}}},
			want: appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](1),
				Selector: selector,
				Template: defaultedNginxTemplate(),
				Strategy: appsv1.DeploymentStrategy{
					Type:          appsv1.RollingUpdateDeploymentStrategyType,
					RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: percent("25%"), MaxSurge: count(0)},
				},
				RevisionHistoryLimit:    ptr.To[int32](10),
				ProgressDeadlineSeconds: ptr.To[int32](600),
			}},
		},
		{
			name: "Recreate gets no rolling update",
			in: appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Selector: selector, Template: nginxTemplate(),
				Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}}},
			want: appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{
				Replicas:                ptr.To[int32](1),
				Selector:                selector,
				Template:                defaultedNginxTemplate(),
				Strategy:                appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
				RevisionHistoryLimit:    ptr.To[int32](10),
				ProgressDeadlineSeconds: ptr.To[int32](600),
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.DeepCopy()
			Deployment(got)
			mustEqual(t, *got, tc.want)
		})
	}
}

func TestExtensionsV1beta1Deployment(t *testing.T) {
	labels := map[string]string{"app": "nginx"}
	tests := []struct {
		name string
		in   extensionsv1beta1.Deployment
		want extensionsv1beta1.Deployment
	}{
		{
			name: "old manifest without selector",
			in:   extensionsv1beta1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "nginx"}, Spec: extensionsv1beta1.DeploymentSpec{Template: nginxTemplate()}},
			want: extensionsv1beta1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: "nginx", Labels: labels},
				Spec: extensionsv1beta1.DeploymentSpec{
					Replicas: ptr.To[int32](1),
					Selector: &metav1.LabelSelector{MatchLabels: labels},
					Template: defaultedNginxTemplate(),
					Strategy: extensionsv1beta1.DeploymentStrategy{
						Type:          extensionsv1beta1.RollingUpdateDeploymentStrategyType,
						RollingUpdate: &extensionsv1beta1.RollingUpdateDeployment{MaxUnavailable: count(1), MaxSurge: count(1)},
					},
					RevisionHistoryLimit:    ptr.To[int32](math.MaxInt32),
					ProgressDeadlineSeconds: ptr.To[int32](math.MaxInt32),
				},
			},
		},
		{
			name: "Recreate with a rollingUpdate block still fills it; own labels and selector kept",
			in: extensionsv1beta1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: "nginx", Labels: map[string]string{"tier": "web"}},
				Spec: extensionsv1beta1.DeploymentSpec{
					Selector: &metav1.LabelSelector{MatchLabels: labels},
					Template: nginxTemplate(),
					Strategy: extensionsv1beta1.DeploymentStrategy{
						Type:          extensionsv1beta1.RecreateDeploymentStrategyType,
						RollingUpdate: &extensionsv1beta1.RollingUpdateDeployment{},
					},
					RevisionHistoryLimit: ptr.To[int32](5),
				},
			},
			want: extensionsv1beta1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: "nginx", Labels: map[string]string{"tier": "web"}},
				Spec: extensionsv1beta1.DeploymentSpec{
					Replicas: ptr.To[int32](1),
					Selector: &metav1.LabelSelector{MatchLabels: labels},
					Template: defaultedNginxTemplate(),
					Strategy: extensionsv1beta1.DeploymentStrategy{
						Type:          extensionsv1beta1.RecreateDeploymentStrategyType,
						RollingUpdate: &extensionsv1beta1.RollingUpdateDeployment{MaxUnavailable: count(1), MaxSurge: count(1)},
					},
					RevisionHistoryLimit:    ptr.To[int32](5),
					ProgressDeadlineSeconds: ptr.To[int32](math.MaxInt32),
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.DeepCopy()
			ExtensionsV1beta1Deployment(got)
			mustEqual(t, *got, tc.want)
		})
	}
}

func TestAppsV1beta1Deployment(t *testing.T) {
	labels := map[string]string{"app": "nginx"}
	in := appsv1beta1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "nginx"},
		Spec: appsv1beta1.DeploymentSpec{Replicas: ptr.To[int32](2), Template: nginxTemplate()}}
	want := appsv1beta1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx", Labels: labels},
		Spec: appsv1beta1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: defaultedNginxTemplate(),
			Strategy: appsv1beta1.DeploymentStrategy{
				Type:          appsv1beta1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1beta1.RollingUpdateDeployment{MaxUnavailable: percent("25%"), MaxSurge: percent("25%")},
			},
			RevisionHistoryLimit:    ptr.To[int32](2),
			ProgressDeadlineSeconds: ptr.To[int32](600),
		},
	}
	AppsV1beta1Deployment(&in)
	mustEqual(t, in, want)

	// The selector and labels are copies: changing one leaves the others.
	in.Spec.Selector.MatchLabels["extra"] = "x"
	if _, leaked := in.Labels["extra"]; leaked {
		t.Error("selector and labels share a map")
	}
	if _, leaked := in.Spec.Template.Labels["extra"]; leaked {
		t.Error("selector and template labels share a map")
	}
}

func TestAppsV1beta2Deployment(t *testing.T) {
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}}
	in := appsv1beta2.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "nginx"},
		Spec: appsv1beta2.DeploymentSpec{Selector: selector, Template: nginxTemplate()}}
	want := appsv1beta2.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx"},
		Spec: appsv1beta2.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: selector,
			Template: defaultedNginxTemplate(),
			Strategy: appsv1beta2.DeploymentStrategy{
				Type:          appsv1beta2.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1beta2.RollingUpdateDeployment{MaxUnavailable: percent("25%"), MaxSurge: percent("25%")},
			},
			RevisionHistoryLimit:    ptr.To[int32](10),
			ProgressDeadlineSeconds: ptr.To[int32](600),
		},
	}
	AppsV1beta2Deployment(&in)
	mustEqual(t, in, want)
}

func TestStatefulSet(t *testing.T) {
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}}
	claim := corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "www"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: q("1Gi")}},
		},
	}
	defaultedClaim := *claim.DeepCopy()
	defaultedClaim.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
	defaultedClaim.Status.Phase = corev1.ClaimPending
	retain := &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
		WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
		WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
	}

	tests := []struct {
		name string
		in   appsv1.StatefulSet
		want appsv1.StatefulSet
	}{
		{
			name: "tutorial web statefulset",
			in: appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: appsv1.StatefulSetSpec{
				ServiceName: "nginx", Replicas: ptr.To[int32](3), Selector: selector, Template: nginxTemplate(),
				VolumeClaimTemplates: []corev1.PersistentVolumeClaim{claim},
			}},
			want: appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: appsv1.StatefulSetSpec{
				ServiceName: "nginx", Replicas: ptr.To[int32](3), Selector: selector, Template: defaultedNginxTemplate(),
				VolumeClaimTemplates: []corev1.PersistentVolumeClaim{defaultedClaim},
				PodManagementPolicy:  appsv1.OrderedReadyPodManagement,
				UpdateStrategy: appsv1.StatefulSetUpdateStrategy{
					Type:          appsv1.RollingUpdateStatefulSetStrategyType,
					RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](0), MaxUnavailable: count(1)},
				},
				RevisionHistoryLimit:                 ptr.To[int32](10),
				PersistentVolumeClaimRetentionPolicy: retain,
			}},
		},
		{
			name: "explicit RollingUpdate without block and OnDelete stay as written",
			in: appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Spec: appsv1.StatefulSetSpec{
				Selector: selector, Template: nginxTemplate(), PodManagementPolicy: appsv1.ParallelPodManagement,
				UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType},
				PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
					WhenDeleted: appsv1.DeletePersistentVolumeClaimRetentionPolicyType},
			}},
			want: appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Spec: appsv1.StatefulSetSpec{
				Replicas: ptr.To[int32](1), Selector: selector, Template: defaultedNginxTemplate(),
				PodManagementPolicy:  appsv1.ParallelPodManagement,
				UpdateStrategy:       appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType},
				RevisionHistoryLimit: ptr.To[int32](10),
				PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
					WhenDeleted: appsv1.DeletePersistentVolumeClaimRetentionPolicyType,
					WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
				},
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.DeepCopy()
			StatefulSet(got)
			mustEqual(t, *got, tc.want)
		})
	}
}

func TestLegacyStatefulSets(t *testing.T) {
	t.Run("apps/v1beta1 defaults to OnDelete and takes the template labels", func(t *testing.T) {
		ss := &appsv1beta1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec: appsv1beta1.StatefulSetSpec{ServiceName: "nginx", Template: nginxTemplate()}}
		AppsV1beta1StatefulSet(ss)
		labels := map[string]string{"app": "nginx"}
		want := appsv1beta1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: labels},
			Spec: appsv1beta1.StatefulSetSpec{
				ServiceName: "nginx", Replicas: ptr.To[int32](1),
				Selector:             &metav1.LabelSelector{MatchLabels: labels},
				Template:             defaultedNginxTemplate(),
				PodManagementPolicy:  appsv1beta1.OrderedReadyPodManagement,
				UpdateStrategy:       appsv1beta1.StatefulSetUpdateStrategy{Type: appsv1beta1.OnDeleteStatefulSetStrategyType},
				RevisionHistoryLimit: ptr.To[int32](10),
				PersistentVolumeClaimRetentionPolicy: &appsv1beta1.StatefulSetPersistentVolumeClaimRetentionPolicy{
					WhenDeleted: appsv1beta1.RetainPersistentVolumeClaimRetentionPolicyType,
					WhenScaled:  appsv1beta1.RetainPersistentVolumeClaimRetentionPolicyType,
				},
			}}
		mustEqual(t, *ss, want)
	})
	t.Run("apps/v1beta2 defaults like apps/v1", func(t *testing.T) {
		ss := &appsv1beta2.StatefulSet{Spec: appsv1beta2.StatefulSetSpec{Template: nginxTemplate()}}
		AppsV1beta2StatefulSet(ss)
		mustEqual(t, ss.Spec.UpdateStrategy, appsv1beta2.StatefulSetUpdateStrategy{
			Type:          appsv1beta2.RollingUpdateStatefulSetStrategyType,
			RollingUpdate: &appsv1beta2.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](0), MaxUnavailable: count(1)},
		})
		if ss.Spec.Selector != nil {
			t.Error("apps/v1beta2 must not derive a selector")
		}
	})
}

func TestReplicaSetsAndDaemonSets(t *testing.T) {
	t.Run("apps/v1 ReplicaSet", func(t *testing.T) {
		rs := &appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Template: nginxTemplate()}}
		ReplicaSet(rs)
		mustEqual(t, *rs, appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](1), Template: defaultedNginxTemplate()}})
	})
	t.Run("apps/v1 DaemonSet", func(t *testing.T) {
		ds := &appsv1.DaemonSet{Spec: appsv1.DaemonSetSpec{Template: nginxTemplate()}}
		DaemonSet(ds)
		mustEqual(t, *ds, appsv1.DaemonSet{Spec: appsv1.DaemonSetSpec{
			Template: defaultedNginxTemplate(),
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{
				Type:          appsv1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: count(1), MaxSurge: count(0)},
			},
			RevisionHistoryLimit: ptr.To[int32](10),
		}})
	})
	t.Run("apps/v1beta2 DaemonSet and ReplicaSet", func(t *testing.T) {
		ds := &appsv1beta2.DaemonSet{Spec: appsv1beta2.DaemonSetSpec{Template: nginxTemplate()}}
		AppsV1beta2DaemonSet(ds)
		mustEqual(t, ds.Spec.UpdateStrategy, appsv1beta2.DaemonSetUpdateStrategy{
			Type:          appsv1beta2.RollingUpdateDaemonSetStrategyType,
			RollingUpdate: &appsv1beta2.RollingUpdateDaemonSet{MaxUnavailable: count(1), MaxSurge: count(0)},
		})
		rs := &appsv1beta2.ReplicaSet{Spec: appsv1beta2.ReplicaSetSpec{Template: nginxTemplate()}}
		AppsV1beta2ReplicaSet(rs)
		mustEqual(t, rs.Spec.Replicas, ptr.To[int32](1))
	})
	t.Run("extensions/v1beta1 DaemonSet defaults to OnDelete", func(t *testing.T) {
		ds := &extensionsv1beta1.DaemonSet{Spec: extensionsv1beta1.DaemonSetSpec{Template: nginxTemplate()}}
		ExtensionsV1beta1DaemonSet(ds)
		labels := map[string]string{"app": "nginx"}
		mustEqual(t, *ds, extensionsv1beta1.DaemonSet{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: extensionsv1beta1.DaemonSetSpec{
				Selector:             &metav1.LabelSelector{MatchLabels: labels},
				Template:             defaultedNginxTemplate(),
				UpdateStrategy:       extensionsv1beta1.DaemonSetUpdateStrategy{Type: extensionsv1beta1.OnDeleteDaemonSetStrategyType},
				RevisionHistoryLimit: ptr.To[int32](10),
			},
		})
	})
	t.Run("extensions/v1beta1 ReplicaSet", func(t *testing.T) {
		rs := &extensionsv1beta1.ReplicaSet{Spec: extensionsv1beta1.ReplicaSetSpec{Template: nginxTemplate()}}
		ExtensionsV1beta1ReplicaSet(rs)
		labels := map[string]string{"app": "nginx"}
		mustEqual(t, *rs, extensionsv1beta1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: extensionsv1beta1.ReplicaSetSpec{
				Replicas: ptr.To[int32](1),
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: defaultedNginxTemplate(),
			},
		})
	})
}
