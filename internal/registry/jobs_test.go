package registry

import (
	"context"
	"maps"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestJobGenerateSelector(t *testing.T) {
	job := func(manual *bool, tmplLabels map[string]string, sel *metav1.LabelSelector) *batchv1.Job {
		j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "ns", UID: "u-1"}}
		j.Spec.ManualSelector = manual
		j.Spec.Template.Labels = tmplLabels
		j.Spec.Selector = sel
		return j
	}
	generated := map[string]string{
		"batch.kubernetes.io/controller-uid": "u-1", "controller-uid": "u-1",
		"batch.kubernetes.io/job-name": "pi", "job-name": "pi",
	}
	withApp := maps.Clone(generated)
	withApp["app"] = "pi"
	cases := []struct {
		name       string
		in         *batchv1.Job
		wantLabels map[string]string
		wantSel    map[string]string
	}{
		{"nothing set", job(nil, nil, nil), generated, map[string]string{"batch.kubernetes.io/controller-uid": "u-1"}},
		{"template labels kept", job(ptr.To(false), map[string]string{"app": "pi"}, nil), withApp, map[string]string{"batch.kubernetes.io/controller-uid": "u-1"}},
		{"client's conflicting label kept for validation to reject",
			job(nil, map[string]string{"batch.kubernetes.io/job-name": "other"}, nil),
			map[string]string{"batch.kubernetes.io/controller-uid": "u-1", "controller-uid": "u-1", "batch.kubernetes.io/job-name": "other", "job-name": "pi"},
			map[string]string{"batch.kubernetes.io/controller-uid": "u-1"}},
		{"manual selector untouched", job(ptr.To(true), map[string]string{"app": "pi"}, &metav1.LabelSelector{MatchLabels: map[string]string{"app": "pi"}}),
			map[string]string{"app": "pi"}, map[string]string{"app": "pi"}},
	}
	st := &strategy{r: find(t, "jobs")}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st.PrepareForCreate(context.Background(), tc.in)
			if !maps.Equal(tc.in.Spec.Template.Labels, tc.wantLabels) {
				t.Errorf("template labels = %v, want %v", tc.in.Spec.Template.Labels, tc.wantLabels)
			}
			if tc.in.Spec.Selector == nil || !maps.Equal(tc.in.Spec.Selector.MatchLabels, tc.wantSel) {
				t.Errorf("selector = %v, want matchLabels %v", tc.in.Spec.Selector, tc.wantSel)
			}
		})
	}
}
