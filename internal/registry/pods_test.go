package registry

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestLogContainer(t *testing.T) {
	pod := func(names ...string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"}}
		p.Spec.InitContainers = []corev1.Container{{Name: "init"}}
		for _, n := range names {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: n})
		}
		return p
	}
	cases := []struct {
		name, container string
		pod             *corev1.Pod
		want            string // the container, or the error
	}{
		{"the only container by default", "", pod("app"), "app"},
		{"named", "app", pod("app", "side"), "app"},
		{"an init container", "init", pod("app"), "init"},
		{"must choose", "", pod("app", "side"), "a container name must be specified for pod web, choose one of: [init app side]"},
		{"unknown", "nope", pod("app"), "container nope is not valid for pod web"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := logContainer(tc.container, tc.pod)
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPodLogOptionsValidationAndQuery(t *testing.T) {
	cases := []struct {
		name    string
		opts    corev1.PodLogOptions
		wantErr string
		query   string
	}{
		{"everything", corev1.PodLogOptions{Follow: true, Previous: true, Timestamps: true, TailLines: ptr.To(int64(5)), LimitBytes: ptr.To(int64(10)), SinceSeconds: ptr.To(int64(60))}, "",
			"follow=true&limitBytes=10&previous=true&sinceSeconds=60&tailLines=5&timestamps=true"},
		{"negative tail", corev1.PodLogOptions{TailLines: ptr.To(int64(-1))}, "tailLines: Invalid value: -1: must be greater than or equal to 0", ""},
		{"zero limit", corev1.PodLogOptions{LimitBytes: ptr.To(int64(0))}, "limitBytes: Invalid value: 0: must be greater than 0", ""},
		{"both since", corev1.PodLogOptions{SinceSeconds: ptr.To(int64(1)), SinceTime: &metav1.Time{}}, "at most one of `sinceTime` or `sinceSeconds` may be specified", ""},
		{"stream and tail", corev1.PodLogOptions{Stream: ptr.To("Stdout"), TailLines: ptr.To(int64(1))}, "`tailLines` and specific `stream` are mutually exclusive for now", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := validatePodLogOptions(&tc.opts)
			if tc.wantErr == "" {
				if len(errs) > 0 {
					t.Fatal(errs)
				}
				if q := logQuery(&tc.opts).Encode(); q != tc.query {
					t.Fatalf("query %q, want %q", q, tc.query)
				}
				return
			}
			if !strings.Contains(errs.ToAggregate().Error(), tc.wantErr) {
				t.Fatalf("errors %v, want %q", errs, tc.wantErr)
			}
		})
	}
}

func TestValidateBinding(t *testing.T) {
	cases := []struct {
		target corev1.ObjectReference
		want   string
	}{
		{corev1.ObjectReference{Name: "n1"}, ""},
		{corev1.ObjectReference{Kind: "Node", Name: "n1"}, ""},
		{corev1.ObjectReference{Kind: "Pod", Name: "n1"}, `target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"`},
		{corev1.ObjectReference{Kind: "Node"}, "target.name: Required value"},
	}
	for _, tc := range cases {
		got := validateBinding(&corev1.Binding{Target: tc.target}).ToAggregate()
		if (got == nil) != (tc.want == "") || (got != nil && got.Error() != tc.want) {
			t.Errorf("%+v: %v, want %q", tc.target, got, tc.want)
		}
	}
}
