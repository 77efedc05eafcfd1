package defaults

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
)

// mustEqual fails the test when got and want differ, by semantic equality
// (quantities compared by value) and by their JSON form, which is what a
// client sees; both are shown on failure.
func mustEqual[T any](t *testing.T, got, want T) {
	t.Helper()
	gotJSON, wantJSON := toJSON(t, got), toJSON(t, want)
	if !equality.Semantic.DeepEqual(got, want) || gotJSON != wantJSON {
		t.Errorf("defaulted object differs\n got: %s\nwant: %s", gotJSON, wantJSON)
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return string(b)
}

func q(s string) resource.Quantity { return resource.MustParse(s) }

// defaultedContainer is what kube makes of a container that names only an
// image and the fields in c: every field test manifests leave unset filled.
func defaultedContainer(c corev1.Container, pullPolicy corev1.PullPolicy) corev1.Container {
	c.ImagePullPolicy = pullPolicy
	c.TerminationMessagePath = "/dev/termination-log"
	c.TerminationMessagePolicy = corev1.TerminationMessageReadFile
	return c
}

// defaultedPodSpec fills the PodSpec-level defaults (not the container
// ones) into spec.
func defaultedPodSpec(spec corev1.PodSpec) corev1.PodSpec {
	if spec.RestartPolicy == "" {
		spec.RestartPolicy = corev1.RestartPolicyAlways
	}
	spec.DNSPolicy = corev1.DNSClusterFirst
	spec.SecurityContext = &corev1.PodSecurityContext{}
	grace := int64(30)
	spec.TerminationGracePeriodSeconds = &grace
	spec.SchedulerName = "default-scheduler"
	return spec
}
