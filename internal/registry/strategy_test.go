package registry

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func find(t *testing.T, name string) *Resource {
	t.Helper()
	for _, r := range Resources() {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no resource %s", name)
	return nil
}

func TestStrategyStatusAndGeneration(t *testing.T) {
	ctx := context.Background()
	deploy := func(replicas int32, statusReplicas int32) *appsv1.Deployment {
		return &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "ns", Generation: 3},
			Spec:       appsv1.DeploymentSpec{Replicas: ptr.To(replicas)},
			Status:     appsv1.DeploymentStatus{Replicas: statusReplicas},
		}
	}
	st := &strategy{r: find(t, "deployments")}
	cases := []struct {
		name           string
		run            func() *appsv1.Deployment
		wantGeneration int64
		wantReplicas   int32
		wantStatus     int32
	}{
		{"create clears status and starts generation at 1", func() *appsv1.Deployment {
			d := deploy(2, 7)
			st.PrepareForCreate(ctx, d)
			return d
		}, 1, 2, 0},
		{"update of spec bumps generation and keeps old status", func() *appsv1.Deployment {
			d := deploy(5, 9)
			st.PrepareForUpdate(ctx, d, deploy(2, 4))
			return d
		}, 4, 5, 4},
		{"update without spec change keeps generation", func() *appsv1.Deployment {
			d := deploy(2, 9)
			d.Labels = map[string]string{"a": "b"}
			st.PrepareForUpdate(ctx, d, deploy(2, 4))
			return d
		}, 3, 2, 4},
		{"status update keeps spec and generation", func() *appsv1.Deployment {
			d := deploy(9, 8)
			statusStrategy{st}.PrepareForUpdate(ctx, d, deploy(2, 4))
			return d
		}, 3, 2, 8},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.run()
			if d.Generation != tc.wantGeneration || *d.Spec.Replicas != tc.wantReplicas || d.Status.Replicas != tc.wantStatus {
				t.Fatalf("generation=%d replicas=%d status=%d, want %d %d %d",
					d.Generation, *d.Spec.Replicas, d.Status.Replicas, tc.wantGeneration, tc.wantReplicas, tc.wantStatus)
			}
		})
	}
}

func TestPodGracefulDelete(t *testing.T) {
	pod := func(node string, phase corev1.PodPhase, grace *int64) *corev1.Pod {
		return &corev1.Pod{Spec: corev1.PodSpec{NodeName: node, TerminationGracePeriodSeconds: grace}, Status: corev1.PodStatus{Phase: phase}}
	}
	cases := []struct {
		name string
		pod  *corev1.Pod
		opt  *int64
		want int64
	}{
		{"scheduled pod uses its grace period", pod("n1", corev1.PodRunning, ptr.To[int64](12)), nil, 12},
		{"default grace period is 30s", pod("n1", corev1.PodRunning, nil), nil, 30},
		{"explicit option wins", pod("n1", corev1.PodRunning, ptr.To[int64](12)), ptr.To[int64](3), 3},
		{"unscheduled pod goes at once", pod("", corev1.PodPending, ptr.To[int64](12)), nil, 0},
		{"finished pod goes at once", pod("n1", corev1.PodSucceeded, ptr.To[int64](12)), nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := &metav1.DeleteOptions{GracePeriodSeconds: tc.opt}
			if !podGracefulDelete(context.Background(), tc.pod, opts) {
				t.Fatal("not graceful")
			}
			if *opts.GracePeriodSeconds != tc.want {
				t.Fatalf("grace %d, want %d", *opts.GracePeriodSeconds, tc.want)
			}
		})
	}
}

func TestEveryResourceHasTypes(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Resources() {
		key := r.GroupVersion.String() + "/" + r.Name
		if seen[key] {
			t.Errorf("%s listed twice", key)
		}
		seen[key] = true
		var obj, list runtime.Object = r.New(), r.NewList()
		if obj == nil || list == nil || r.Kind == "" || r.Singular == "" {
			t.Errorf("%s incomplete", key)
		}
	}
}
