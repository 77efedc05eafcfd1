package printers

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func podTemplate(cs ...corev1.Container) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: cs}}
}

var (
	webContainer   = corev1.Container{Name: "web", Image: "nginx:1.27"}
	proxyContainer = corev1.Container{Name: "proxy", Image: "envoyproxy/envoy:v1.31"}
)

func TestDeploymentRow(t *testing.T) {
	tests := []struct {
		name string
		d    appsv1.Deployment
		want []any
	}{
		{
			name: "rolling out",
			d: appsv1.Deployment{
				Spec: appsv1.DeploymentSpec{
					Replicas: ptr(int32(3)),
					Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
					Template: podTemplate(webContainer, proxyContainer),
				},
				Status: appsv1.DeploymentStatus{Replicas: 4, ReadyReplicas: 2, UpdatedReplicas: 1, AvailableReplicas: 2},
			},
			want: []any{"web", "2/3", int64(1), int64(2), "6d", "web,proxy", "nginx:1.27,envoyproxy/envoy:v1.31", "app=web"},
		},
		{
			name: "set-based selector, replicas unset means one",
			d: appsv1.Deployment{
				Spec: appsv1.DeploymentSpec{
					Selector: &metav1.LabelSelector{
						MatchLabels: map[string]string{"app": "web"},
						MatchExpressions: []metav1.LabelSelectorRequirement{
							{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"frontend", "edge"}},
						},
					},
					Template: podTemplate(webContainer),
				},
				Status: appsv1.DeploymentStatus{ReadyReplicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1},
			},
			want: []any{"web", "1/1", int64(1), int64(1), "6d", "web", "nginx:1.27", "app=web,tier in (edge,frontend)"},
		},
		{
			name: "scaled to zero with invalid selector",
			d: appsv1.Deployment{
				Spec: appsv1.DeploymentSpec{
					Replicas: ptr(int32(0)),
					Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Near"}}},
				},
			},
			want: []any{"web", "0/0", int64(0), int64(0), "6d", "", "", "<invalid>"},
		},
		{
			name: "empty selector",
			d:    appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: ptr(int32(2)), Selector: &metav1.LabelSelector{}}},
			want: []any{"web", "0/2", int64(0), int64(0), "6d", "", "", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.d.ObjectMeta = objectMeta("web", 6*24*time.Hour)
			assertCells(t, row(t, grDeployments, &tt.d), tt.want)
		})
	}
}

func TestReplicaSetRow(t *testing.T) {
	tests := []struct {
		name string
		rs   appsv1.ReplicaSet
		want []any
	}{
		{
			name: "partly ready",
			rs: appsv1.ReplicaSet{
				Spec: appsv1.ReplicaSetSpec{
					Replicas: ptr(int32(3)),
					Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "pod-template-hash": "7d4b9c8f6d"}},
					Template: podTemplate(webContainer),
				},
				Status: appsv1.ReplicaSetStatus{Replicas: 3, ReadyReplicas: 2},
			},
			want: []any{"web-7d4b9c8f6d", int64(3), int64(3), int64(2), "6d", "web", "nginx:1.27", "app=web,pod-template-hash=7d4b9c8f6d"},
		},
		{
			name: "old revision scaled down, no selector",
			rs:   appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Replicas: ptr(int32(0))}},
			want: []any{"web-7d4b9c8f6d", int64(0), int64(0), int64(0), "6d", "", "", "<none>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.rs.ObjectMeta = objectMeta("web-7d4b9c8f6d", 6*24*time.Hour)
			assertCells(t, row(t, grReplicaSets, &tt.rs), tt.want)
		})
	}
}

func TestStatefulSetRow(t *testing.T) {
	tests := []struct {
		name string
		ss   appsv1.StatefulSet
		want []any
	}{
		{
			name: "scaling up",
			ss: appsv1.StatefulSet{
				Spec:   appsv1.StatefulSetSpec{Replicas: ptr(int32(3)), Template: podTemplate(webContainer, proxyContainer)},
				Status: appsv1.StatefulSetStatus{Replicas: 2, ReadyReplicas: 1},
			},
			want: []any{"db", "1/3", "45m", "web,proxy", "nginx:1.27,envoyproxy/envoy:v1.31"},
		},
		{
			name: "replicas unset",
			ss:   appsv1.StatefulSet{Status: appsv1.StatefulSetStatus{ReadyReplicas: 1}},
			want: []any{"db", "1/1", "45m", "", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ss.ObjectMeta = objectMeta("db", 45*time.Minute)
			assertCells(t, row(t, grStatefulSets, &tt.ss), tt.want)
		})
	}
}
