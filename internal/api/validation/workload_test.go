package validation

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// podTemplate is a defaulted pod template with one container.
func podTemplate(labels map[string]string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec:       podSpec(),
	}
}

// podSpec is a pod spec as the v1 defaulter leaves it.
func podSpec() corev1.PodSpec {
	return corev1.PodSpec{
		Containers: []corev1.Container{{
			Name:                     "app",
			Image:                    "nginx:1.27",
			Ports:                    []corev1.ContainerPort{{Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP}},
			TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			ImagePullPolicy:          corev1.PullIfNotPresent,
		}},
		RestartPolicy:                 corev1.RestartPolicyAlways,
		DNSPolicy:                     corev1.DNSClusterFirst,
		TerminationGracePeriodSeconds: ptr(int64(30)),
	}
}

func deployment(mutate func(*appsv1.Deployment)) *appsv1.Deployment {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: podTemplate(map[string]string{"app": "web"}),
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxUnavailable: ptr(intstr.FromString("25%")),
					MaxSurge:       ptr(intstr.FromString("25%")),
				},
			},
			RevisionHistoryLimit:    ptr(int32(10)),
			ProgressDeadlineSeconds: ptr(int32(600)),
		},
	}
	if mutate != nil {
		mutate(d)
	}
	return d
}

func TestValidateDeployment(t *testing.T) {
	cases := []struct {
		name   string
		d      *appsv1.Deployment
		expect string
	}{
		{"valid", deployment(nil), ""},
		{"selector does not match template", deployment(func(d *appsv1.Deployment) {
			d.Spec.Template.Labels = map[string]string{"app": "api"}
		}), "Deployment.apps \"web\" is invalid: spec.template.metadata.labels: Invalid value: {\"app\":\"api\"}: `selector` does not match template `labels`"},
		{"no selector", deployment(func(d *appsv1.Deployment) { d.Spec.Selector = nil }),
			"Deployment.apps \"web\" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`]"},
		{"empty selector", deployment(func(d *appsv1.Deployment) { d.Spec.Selector = &metav1.LabelSelector{} }),
			`Deployment.apps "web" is invalid: spec.selector: Invalid value: {}: empty selector is invalid for deployment`},
		{"negative replicas", deployment(func(d *appsv1.Deployment) { d.Spec.Replicas = ptr(int32(-1)) }),
			`Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`},
		{"no containers", deployment(func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers = nil }),
			`Deployment.apps "web" is invalid: spec.template.spec.containers: Required value`},
		{"no image", deployment(func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "" }),
			`Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value`},
		{"container name", deployment(func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Name = "App" }),
			`Deployment.apps "web" is invalid: spec.template.spec.containers[0].name: Invalid value: "App": ` + dns1123Label},
		{"duplicate container", deployment(func(d *appsv1.Deployment) {
			c := d.Spec.Template.Spec.Containers[0]
			c.Ports = nil
			d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, c)
		}), `Deployment.apps "web" is invalid: spec.template.spec.containers[1].name: Duplicate value: "app"`},
		{"restartPolicy Never", deployment(func(d *appsv1.Deployment) { d.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever }),
			`Deployment.apps "web" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`},
		{"unknown strategy", deployment(func(d *appsv1.Deployment) {
			d.Spec.Strategy = appsv1.DeploymentStrategy{Type: "Canary"}
		}), `Deployment.apps "web" is invalid: spec.strategy: Unsupported value: {"Type":"Canary","RollingUpdate":null}: supported values: "Recreate", "RollingUpdate"`},
		{"zero surge and unavailable", deployment(func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxUnavailable: ptr(intstr.FromInt32(0)), MaxSurge: ptr(intstr.FromInt32(0))}
		}), "Deployment.apps \"web\" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"},
		{"progress deadline not above minReadySeconds", deployment(func(d *appsv1.Deployment) {
			d.Spec.MinReadySeconds = 600
		}), `Deployment.apps "web" is invalid: spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "apps", "Deployment", tc.d.Name, ValidateDeployment(tc.d), tc.expect)
		})
	}

	old := deployment(func(d *appsv1.Deployment) { d.ResourceVersion = "5" })
	reselected := deployment(func(d *appsv1.Deployment) {
		d.ResourceVersion = "5"
		d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web2"}}
		d.Spec.Template.Labels = map[string]string{"app": "web2"}
	})
	checkMessage(t, "apps", "Deployment", "web", ValidateDeploymentUpdate(reselected, old),
		`Deployment.apps "web" is invalid: spec.selector: Invalid value: {"matchLabels":{"app":"web2"}}: field is immutable`)
	scaled := deployment(func(d *appsv1.Deployment) { d.ResourceVersion = "5"; d.Spec.Replicas = ptr(int32(3)) })
	checkMessage(t, "apps", "Deployment", "web", ValidateDeploymentUpdate(scaled, old), "")
}

func TestValidateReplicaSet(t *testing.T) {
	rs := func(mutate func(*appsv1.ReplicaSet)) *appsv1.ReplicaSet {
		r := &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "default"},
			Spec: appsv1.ReplicaSetSpec{
				Replicas: ptr(int32(2)),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
				Template: podTemplate(map[string]string{"app": "web"}),
			},
		}
		if mutate != nil {
			mutate(r)
		}
		return r
	}
	checkMessage(t, "apps", "ReplicaSet", "web-1", ValidateReplicaSet(rs(nil)), "")
	checkMessage(t, "apps", "ReplicaSet", "web-1", ValidateReplicaSet(rs(func(r *appsv1.ReplicaSet) {
		r.Spec.Selector.MatchLabels["tier"] = "front"
	})), "ReplicaSet.apps \"web-1\" is invalid: spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`")
	checkMessage(t, "apps", "ReplicaSet", "web-1", ValidateReplicaSet(rs(func(r *appsv1.ReplicaSet) {
		r.Spec.Selector = &metav1.LabelSelector{}
	})), `ReplicaSet.apps "web-1" is invalid: spec.selector: Invalid value: {}: empty selector is invalid for deployment`)
}

func TestValidateStatefulSet(t *testing.T) {
	ss := func(mutate func(*appsv1.StatefulSet)) *appsv1.StatefulSet {
		s := &appsv1.StatefulSet{
			ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default"},
			Spec: appsv1.StatefulSetSpec{
				Replicas:            ptr(int32(3)),
				Selector:            &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
				Template:            podTemplate(map[string]string{"app": "db"}),
				ServiceName:         "db",
				PodManagementPolicy: appsv1.OrderedReadyPodManagement,
				UpdateStrategy: appsv1.StatefulSetUpdateStrategy{
					Type:          appsv1.RollingUpdateStatefulSetStrategyType,
					RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr(int32(0))},
				},
				PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
					WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
					WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
				},
			},
		}
		if mutate != nil {
			mutate(s)
		}
		return s
	}
	cases := []struct {
		name   string
		s      *appsv1.StatefulSet
		expect string
	}{
		{"valid", ss(nil), ""},
		{"name with dot", ss(func(s *appsv1.StatefulSet) { s.Name = "db.v1" }),
			`StatefulSet.apps "db.v1" is invalid: metadata.name: Invalid value: "db.v1": must not contain dots`},
		{"podManagementPolicy", ss(func(s *appsv1.StatefulSet) { s.Spec.PodManagementPolicy = "Random" }),
			`StatefulSet.apps "db" is invalid: spec.podManagementPolicy: Invalid value: "Random": must be 'OrderedReady' or 'Parallel'`},
		{"selector mismatch", ss(func(s *appsv1.StatefulSet) { s.Spec.Template.Labels = nil }),
			"StatefulSet.apps \"db\" is invalid: spec.template.metadata.labels: Invalid value: null: `selector` does not match template `labels`"},
		{"empty selector", ss(func(s *appsv1.StatefulSet) { s.Spec.Selector = &metav1.LabelSelector{} }),
			`StatefulSet.apps "db" is invalid: spec.selector: Invalid value: {}: empty selector is invalid for statefulset`},
		{"OnDelete with rollingUpdate", ss(func(s *appsv1.StatefulSet) { s.Spec.UpdateStrategy.Type = appsv1.OnDeleteStatefulSetStrategyType }),
			`StatefulSet.apps "db" is invalid: spec.updateStrategy.rollingUpdate: Invalid value: {"Partition":0,"MaxUnavailable":null}: only allowed for updateStrategy 'RollingUpdate'`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "apps", "StatefulSet", tc.s.Name, ValidateStatefulSet(tc.s), tc.expect)
		})
	}

	old := ss(func(s *appsv1.StatefulSet) { s.ResourceVersion = "2" })
	renamedSvc := ss(func(s *appsv1.StatefulSet) { s.ResourceVersion = "2"; s.Spec.ServiceName = "db-headless" })
	checkMessage(t, "apps", "StatefulSet", "db", ValidateStatefulSetUpdate(renamedSvc, old),
		`StatefulSet.apps "db" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden`)
	scaled := ss(func(s *appsv1.StatefulSet) { s.ResourceVersion = "2"; s.Spec.Replicas = ptr(int32(5)) })
	checkMessage(t, "apps", "StatefulSet", "db", ValidateStatefulSetUpdate(scaled, old), "")
}

func TestValidatePod(t *testing.T) {
	pod := func(mutate func(*corev1.Pod)) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "default"}, Spec: podSpec()}
		if mutate != nil {
			mutate(p)
		}
		return p
	}
	cases := []struct {
		name   string
		p      *corev1.Pod
		expect string
	}{
		{"valid", pod(nil), ""},
		{"no containers", pod(func(p *corev1.Pod) { p.Spec.Containers = nil }), `Pod "web-0" is invalid: spec.containers: Required value`},
		{"image whitespace", pod(func(p *corev1.Pod) { p.Spec.Containers[0].Image = " nginx" }),
			`Pod "web-0" is invalid: spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace`},
		{"containerPort missing", pod(func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].ContainerPort = 0 }),
			`Pod "web-0" is invalid: spec.containers[0].ports[0].containerPort: Required value`},
		{"port name", pod(func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].Name = "HTTP" }),
			`Pod "web-0" is invalid: [spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-), spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain at least one letter (a-z)]`},
		{"restartPolicy", pod(func(p *corev1.Pod) { p.Spec.RestartPolicy = "Sometimes" }),
			`Pod "web-0" is invalid: spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`},
		{"dnsPolicy None without config", pod(func(p *corev1.Pod) { p.Spec.DNSPolicy = corev1.DNSNone }),
			"Pod \"web-0\" is invalid: spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"},
		{"volume without source", pod(func(p *corev1.Pod) { p.Spec.Volumes = []corev1.Volume{{Name: "data"}} }),
			`Pod "web-0" is invalid: spec.volumes[0]: Required value: must specify a volume type`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "", "Pod", tc.p.Name, ValidatePod(tc.p), tc.expect)
		})
	}

	old := pod(func(p *corev1.Pod) { p.ResourceVersion = "9" })
	newImage := pod(func(p *corev1.Pod) { p.ResourceVersion = "9"; p.Spec.Containers[0].Image = "nginx:1.28" })
	checkMessage(t, "", "Pod", "web-0", ValidatePodUpdate(newImage, old), "")
	sidecar := pod(func(p *corev1.Pod) {
		p.ResourceVersion = "9"
		c := p.Spec.Containers[0]
		c.Name, c.Ports = "sidecar", nil
		p.Spec.Containers = append(p.Spec.Containers, c)
	})
	checkMessage(t, "", "Pod", "web-0", ValidatePodUpdate(sidecar, old),
		`Pod "web-0" is invalid: spec.containers: Forbidden: pod updates may not add or remove containers`)
	relabelled := pod(func(p *corev1.Pod) { p.ResourceVersion = "9"; p.Spec.NodeName = "node-2" })
	checkMessage(t, "", "Pod", "web-0", ValidatePodUpdate(relabelled, old),
		"Pod \"web-0\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)")
}
