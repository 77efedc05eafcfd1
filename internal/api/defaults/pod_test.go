package defaults

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestPod(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "web", Namespace: "default", Labels: map[string]string{"app": "web"}}
	mode := ptr.To[int32](0644)

	tests := []struct {
		name string
		in   corev1.Pod
		want corev1.Pod
	}{
		{
			name: "nginx pod with images, ports, probes, env, resources and volumes",
			in: corev1.Pod{ObjectMeta: meta, Spec: corev1.PodSpec{
				InitContainers: []corev1.Container{{Name: "init", Image: "busybox", Command: []string{"sh", "-c", "true"}}},
				Containers: []corev1.Container{
					{
						Name:  "nginx",
						Image: "nginx:1.25",
						Ports: []corev1.ContainerPort{{ContainerPort: 80}, {Name: "metrics", ContainerPort: 9113, Protocol: corev1.ProtocolTCP}},
						Env: []corev1.EnvVar{
							{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
							{Name: "MODE", Value: "prod"},
						},
						Resources: corev1.ResourceRequirements{
							Limits:   corev1.ResourceList{corev1.ResourceCPU: q("500m"), corev1.ResourceMemory: q("128Mi")},
							Requests: corev1.ResourceList{corev1.ResourceCPU: q("250m")},
						},
						LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
							HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80)},
						}},
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:        corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)}},
							InitialDelaySeconds: 5,
							PeriodSeconds:       5,
						},
						StartupProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
							GRPC: &corev1.GRPCAction{Port: 9090},
						}},
						Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{
							HTTPGet: &corev1.HTTPGetAction{Path: "/drain", Port: intstr.FromString("http")},
						}},
						VolumeMounts: []corev1.VolumeMount{{Name: "cache", MountPath: "/cache"}},
					},
					{Name: "sidecar", Image: "nginx:latest"},
				},
				Volumes: []corev1.Volume{
					{Name: "cache"},
					{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
						LocalObjectReference: corev1.LocalObjectReference{Name: "nginx-conf"}}}},
					{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "nginx-tls"}}},
					{Name: "token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
						{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}},
						{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{
							{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
						}}},
					}}}},
					{Name: "podinfo", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
						{Path: "name", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}},
					}}}},
					{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}},
				},
			}},
			want: corev1.Pod{ObjectMeta: meta, Spec: corev1.PodSpec{
				InitContainers: []corev1.Container{{
					Name: "init", Image: "busybox", Command: []string{"sh", "-c", "true"},
					ImagePullPolicy:          corev1.PullAlways,
					TerminationMessagePath:   "/dev/termination-log",
					TerminationMessagePolicy: corev1.TerminationMessageReadFile,
				}},
				Containers: []corev1.Container{
					{
						Name:  "nginx",
						Image: "nginx:1.25",
						Ports: []corev1.ContainerPort{
							{ContainerPort: 80, Protocol: corev1.ProtocolTCP},
							{Name: "metrics", ContainerPort: 9113, Protocol: corev1.ProtocolTCP},
						},
						Env: []corev1.EnvVar{
							{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
							{Name: "MODE", Value: "prod"},
						},
						Resources: corev1.ResourceRequirements{
							Limits:   corev1.ResourceList{corev1.ResourceCPU: q("500m"), corev1.ResourceMemory: q("128Mi")},
							Requests: corev1.ResourceList{corev1.ResourceCPU: q("250m"), corev1.ResourceMemory: q("128Mi")},
						},
						LivenessProbe: &corev1.Probe{
							ProbeHandler:   corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(80), Scheme: corev1.URISchemeHTTP}},
							TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3,
						},
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:        corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)}},
							InitialDelaySeconds: 5,
							TimeoutSeconds:      1, PeriodSeconds: 5, SuccessThreshold: 1, FailureThreshold: 3,
						},
						StartupProbe: &corev1.Probe{
							ProbeHandler:   corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090, Service: ptr.To("")}},
							TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3,
						},
						Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{
							HTTPGet: &corev1.HTTPGetAction{Path: "/drain", Port: intstr.FromString("http"), Scheme: corev1.URISchemeHTTP},
						}},
						VolumeMounts:             []corev1.VolumeMount{{Name: "cache", MountPath: "/cache"}},
						ImagePullPolicy:          corev1.PullIfNotPresent,
						TerminationMessagePath:   "/dev/termination-log",
						TerminationMessagePolicy: corev1.TerminationMessageReadFile,
					},
					{
						Name: "sidecar", Image: "nginx:latest",
						ImagePullPolicy:          corev1.PullAlways,
						TerminationMessagePath:   "/dev/termination-log",
						TerminationMessagePolicy: corev1.TerminationMessageReadFile,
					},
				},
				Volumes: []corev1.Volume{
					{Name: "cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
						LocalObjectReference: corev1.LocalObjectReference{Name: "nginx-conf"}, DefaultMode: mode}}},
					{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "nginx-tls", DefaultMode: mode}}},
					{Name: "token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{DefaultMode: mode, Sources: []corev1.VolumeProjection{
						{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](3600)}},
						{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{
							{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.labels"}},
						}}},
					}}}},
					{Name: "podinfo", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{DefaultMode: mode, Items: []corev1.DownwardAPIVolumeFile{
						{Path: "name", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}},
					}}}},
					{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log", Type: ptr.To(corev1.HostPathUnset)}}},
				},
				RestartPolicy:                 corev1.RestartPolicyAlways,
				TerminationGracePeriodSeconds: ptr.To[int64](30),
				DNSPolicy:                     corev1.DNSClusterFirst,
				SecurityContext:               &corev1.PodSecurityContext{},
				SchedulerName:                 "default-scheduler",
				EnableServiceLinks:            ptr.To(true),
			}},
		},
		{
			name: "explicit values are kept",
			in: corev1.Pod{ObjectMeta: meta, Spec: corev1.PodSpec{
				Containers: []corev1.Container{{
					Name: "app", Image: "nginx", ImagePullPolicy: corev1.PullNever,
					TerminationMessagePath: "/tmp/msg", TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
				}},
				RestartPolicy:                 corev1.RestartPolicyNever,
				DNSPolicy:                     corev1.DNSDefault,
				TerminationGracePeriodSeconds: ptr.To[int64](0),
				SecurityContext:               &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)},
				SchedulerName:                 "my-scheduler",
				EnableServiceLinks:            ptr.To(false),
			}},
			want: corev1.Pod{ObjectMeta: meta, Spec: corev1.PodSpec{
				Containers: []corev1.Container{{
					Name: "app", Image: "nginx", ImagePullPolicy: corev1.PullNever,
					TerminationMessagePath: "/tmp/msg", TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
				}},
				RestartPolicy:                 corev1.RestartPolicyNever,
				DNSPolicy:                     corev1.DNSDefault,
				TerminationGracePeriodSeconds: ptr.To[int64](0),
				SecurityContext:               &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)},
				SchedulerName:                 "my-scheduler",
				EnableServiceLinks:            ptr.To(false),
			}},
		},
		{
			name: "host network copies container ports to host ports",
			in: corev1.Pod{ObjectMeta: meta, Spec: corev1.PodSpec{
				HostNetwork: true,
				Containers: []corev1.Container{{Name: "agent", Image: "agent:v2", Ports: []corev1.ContainerPort{
					{ContainerPort: 9100}, {ContainerPort: 9200, HostPort: 9200, Protocol: corev1.ProtocolUDP},
				}}},
			}},
			want: corev1.Pod{ObjectMeta: meta, Spec: defaultedPodSpec(corev1.PodSpec{
				HostNetwork: true,
				Containers: []corev1.Container{defaultedContainer(corev1.Container{Name: "agent", Image: "agent:v2", Ports: []corev1.ContainerPort{
					{ContainerPort: 9100, HostPort: 9100, Protocol: corev1.ProtocolTCP},
					{ContainerPort: 9200, HostPort: 9200, Protocol: corev1.ProtocolUDP},
				}}, corev1.PullIfNotPresent)},
				EnableServiceLinks: ptr.To(true),
			})},
		},
		{
			name: "quantities are rounded up to milli scale",
			in: corev1.Pod{ObjectMeta: meta, Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "tiny", Image: "busybox:1.36", Resources: corev1.ResourceRequirements{
					Limits: corev1.ResourceList{corev1.ResourceCPU: q("0.0001")},
				}}},
			}},
			want: corev1.Pod{ObjectMeta: meta, Spec: defaultedPodSpec(corev1.PodSpec{
				Containers: []corev1.Container{defaultedContainer(corev1.Container{Name: "tiny", Image: "busybox:1.36", Resources: corev1.ResourceRequirements{
					Limits:   corev1.ResourceList{corev1.ResourceCPU: q("1m")},
					Requests: corev1.ResourceList{corev1.ResourceCPU: q("1m")},
				}}, corev1.PullIfNotPresent)},
				EnableServiceLinks: ptr.To(true),
			})},
		},
		{
			name: "pod-level limits give pod-level requests",
			in: corev1.Pod{ObjectMeta: meta, Spec: corev1.PodSpec{
				Resources: &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: q("1"), corev1.ResourceMemory: q("1Gi")}},
				Containers: []corev1.Container{
					{Name: "a", Image: "app:1", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("200m")}}},
					{Name: "b", Image: "app:1", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("100m")}}},
				},
			}},
			want: corev1.Pod{ObjectMeta: meta, Spec: defaultedPodSpec(corev1.PodSpec{
				Resources: &corev1.ResourceRequirements{
					Limits:   corev1.ResourceList{corev1.ResourceCPU: q("1"), corev1.ResourceMemory: q("1Gi")},
					Requests: corev1.ResourceList{corev1.ResourceCPU: q("300m"), corev1.ResourceMemory: q("1Gi")},
				},
				Containers: []corev1.Container{
					defaultedContainer(corev1.Container{Name: "a", Image: "app:1", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("200m")}}}, corev1.PullIfNotPresent),
					defaultedContainer(corev1.Container{Name: "b", Image: "app:1", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("100m")}}}, corev1.PullIfNotPresent),
				},
				EnableServiceLinks: ptr.To(true),
			})},
		},
		{
			name: "pod-level requests give pod-level limits when every container has one",
			in: corev1.Pod{ObjectMeta: meta, Spec: corev1.PodSpec{
				Resources: &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("500m"), corev1.ResourceMemory: q("256Mi")}},
				Containers: []corev1.Container{
					{Name: "a", Image: "app:1", Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: q("1"), corev1.ResourceMemory: q("1Gi")}}},
					{Name: "b", Image: "app:1", Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: q("500m")}}},
				},
			}},
			want: corev1.Pod{ObjectMeta: meta, Spec: defaultedPodSpec(corev1.PodSpec{
				Resources: &corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: q("500m"), corev1.ResourceMemory: q("256Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceCPU: q("1500m")},
				},
				Containers: []corev1.Container{
					defaultedContainer(corev1.Container{Name: "a", Image: "app:1", Resources: corev1.ResourceRequirements{
						Limits:   corev1.ResourceList{corev1.ResourceCPU: q("1"), corev1.ResourceMemory: q("1Gi")},
						Requests: corev1.ResourceList{corev1.ResourceCPU: q("1"), corev1.ResourceMemory: q("1Gi")},
					}}, corev1.PullIfNotPresent),
					defaultedContainer(corev1.Container{Name: "b", Image: "app:1", Resources: corev1.ResourceRequirements{
						Limits:   corev1.ResourceList{corev1.ResourceCPU: q("500m")},
						Requests: corev1.ResourceList{corev1.ResourceCPU: q("500m")},
					}}, corev1.PullIfNotPresent),
				},
				EnableServiceLinks: ptr.To(true),
			})},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.DeepCopy()
			Pod(got)
			mustEqual(t, *got, tc.want)
		})
	}
}

func TestVolume(t *testing.T) {
	tests := []struct {
		name string
		in   corev1.Volume
		want corev1.Volume
	}{
		{
			name: "PVC volume gets nothing",
			in:   corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}},
			want: corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}},
		},
		{
			name: "explicit modes are kept",
			in: corev1.Volume{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
				SecretName: "s", DefaultMode: ptr.To[int32](0400)}}},
			want: corev1.Volume{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
				SecretName: "s", DefaultMode: ptr.To[int32](0400)}}},
		},
		{
			name: "image volume pull policy",
			in:   corev1.Volume{Name: "model", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "quay.io/org/model"}}},
			want: corev1.Volume{Name: "model", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{
				Reference: "quay.io/org/model", PullPolicy: corev1.PullAlways}}},
		},
		{
			name: "generic ephemeral volume claim template",
			in: corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{
				VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				}}}}},
			want: corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{
				VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					VolumeMode:  ptr.To(corev1.PersistentVolumeFilesystem),
				}}}}},
		},
		{
			name: "RBD",
			in:   corev1.Volume{Name: "rbd", VolumeSource: corev1.VolumeSource{RBD: &corev1.RBDVolumeSource{CephMonitors: []string{"10.0.0.1:6789"}, RBDImage: "img"}}},
			want: corev1.Volume{Name: "rbd", VolumeSource: corev1.VolumeSource{RBD: &corev1.RBDVolumeSource{
				CephMonitors: []string{"10.0.0.1:6789"}, RBDImage: "img", RBDPool: "rbd", RadosUser: "admin", Keyring: "/etc/ceph/keyring"}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.DeepCopy()
			Volume(got)
			mustEqual(t, *got, tc.want)
		})
	}
}

func TestAggregateContainers(t *testing.T) {
	always := ptr.To(corev1.ContainerRestartPolicyAlways)
	cpu := func(s string) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q(s)}}
	}
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{
			{Name: "migrate", Resources: cpu("2")},                         // alone: 2
			{Name: "proxy", RestartPolicy: always, Resources: cpu("100m")}, // sidecar, runs throughout
			{Name: "warm", Resources: cpu("1")},                            // with the sidecar: 1100m
		},
		Containers: []corev1.Container{{Name: "app", Resources: cpu("500m")}},
	}}
	got := aggregateContainers(pod, requestsOf)
	// Running: app 500m + proxy 100m = 600m; init peak: migrate's 2 wins.
	mustEqual(t, got, corev1.ResourceList{corev1.ResourceCPU: q("2")})

	pod.Spec.InitContainers[0].Resources = cpu("200m")
	got = aggregateContainers(pod, requestsOf)
	// Init peak is now warm + proxy = 1100m, above the running 600m.
	mustEqual(t, got, corev1.ResourceList{corev1.ResourceCPU: q("1100m")})
}

func TestPodLevelHugePageLimits(t *testing.T) {
	huge := corev1.ResourceName("hugepages-2Mi")
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		Resources: &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: q("1Gi")}},
		Containers: []corev1.Container{
			{Name: "a", Image: "app:1", Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{huge: q("4Mi")}}},
			{Name: "b", Image: "app:1", Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{huge: q("2Mi")}}},
		},
	}}
	Pod(pod)
	mustEqual(t, pod.Spec.Resources.Limits, corev1.ResourceList{corev1.ResourceMemory: q("1Gi"), huge: q("6Mi")})
	// Hugepages cannot be overcommitted, so requests take them from the
	// pod-level limit, and memory from its limit.
	mustEqual(t, pod.Spec.Resources.Requests, corev1.ResourceList{corev1.ResourceMemory: q("1Gi"), huge: q("6Mi")})
}

func TestLegacyVolumeSources(t *testing.T) {
	v := &corev1.Volume{Name: "az", VolumeSource: corev1.VolumeSource{AzureDisk: &corev1.AzureDiskVolumeSource{DiskName: "d", DataDiskURI: "u"}}}
	Volume(v)
	mustEqual(t, *v.AzureDisk, corev1.AzureDiskVolumeSource{DiskName: "d", DataDiskURI: "u",
		CachingMode: ptr.To(corev1.AzureDataDiskCachingReadWrite), Kind: ptr.To(corev1.AzureSharedBlobDisk),
		FSType: ptr.To("ext4"), ReadOnly: ptr.To(false)})

	v = &corev1.Volume{Name: "sio", VolumeSource: corev1.VolumeSource{ScaleIO: &corev1.ScaleIOVolumeSource{Gateway: "g", System: "s"}}}
	Volume(v)
	mustEqual(t, *v.ScaleIO, corev1.ScaleIOVolumeSource{Gateway: "g", System: "s", StorageMode: "ThinProvisioned", FSType: "xfs"})

	v = &corev1.Volume{Name: "iscsi", VolumeSource: corev1.VolumeSource{ISCSI: &corev1.ISCSIVolumeSource{TargetPortal: "10.0.0.1:3260"}}}
	Volume(v)
	mustEqual(t, v.ISCSI.ISCSIInterface, "default")
}
