package printers

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestNamespaceRow(t *testing.T) {
	tests := []struct {
		name string
		ns   *corev1.Namespace
		want []any
	}{
		{
			name: "active",
			ns:   &corev1.Namespace{ObjectMeta: objectMeta("default", 30*24*time.Hour), Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}},
			want: []any{"default", "Active", "30d"},
		},
		{
			name: "terminating",
			ns:   &corev1.Namespace{ObjectMeta: objectMeta("old", 2*time.Minute), Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}},
			want: []any{"old", "Terminating", "2m"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertCells(t, row(t, grNamespaces, tt.ns), tt.want)
		})
	}
}

func TestNodeRow(t *testing.T) {
	info := corev1.NodeSystemInfo{
		KubeletVersion:          "v1.37.2",
		OSImage:                 "Debian GNU/Linux 13 (trixie)",
		KernelVersion:           "6.12.0-1-amd64",
		ContainerRuntimeVersion: "containerd://2.1.0",
	}
	ready := func(s corev1.ConditionStatus) []corev1.NodeCondition {
		return []corev1.NodeCondition{
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse},
			{Type: corev1.NodeReady, Status: s},
		}
	}
	tests := []struct {
		name string
		node *corev1.Node
		want []any
	}{
		{
			name: "ready control plane with addresses",
			node: &corev1.Node{
				ObjectMeta: metav1.ObjectMeta{
					Name: "cp-1", CreationTimestamp: ago(10 * 24 * time.Hour),
					Labels: map[string]string{
						"node-role.kubernetes.io/control-plane": "",
						"node-role.kubernetes.io/etcd":          "true",
						"kubernetes.io/role":                    "master",
						"kubernetes.io/hostname":                "cp-1",
					},
				},
				Status: corev1.NodeStatus{
					Conditions: ready(corev1.ConditionTrue),
					NodeInfo:   info,
					Addresses: []corev1.NodeAddress{
						{Type: corev1.NodeHostName, Address: "cp-1"},
						{Type: corev1.NodeInternalIP, Address: "192.168.1.10"},
						{Type: corev1.NodeInternalIP, Address: "fd00::10"},
						{Type: corev1.NodeExternalIP, Address: "203.0.113.10"},
					},
				},
			},
			want: []any{"cp-1", "Ready", "control-plane,etcd,master", "10d", "v1.37.2",
				"192.168.1.10", "203.0.113.10", info.OSImage, info.KernelVersion, info.ContainerRuntimeVersion},
		},
		{
			name: "not ready and cordoned, no roles",
			node: &corev1.Node{
				ObjectMeta: objectMeta("worker-2", time.Hour),
				Spec:       corev1.NodeSpec{Unschedulable: true},
				Status: corev1.NodeStatus{
					Conditions: ready(corev1.ConditionFalse),
					NodeInfo:   info,
					Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "192.168.1.12"}},
				},
			},
			want: []any{"worker-2", "NotReady,SchedulingDisabled", "<none>", "60m", "v1.37.2",
				"192.168.1.12", "<none>", info.OSImage, info.KernelVersion, info.ContainerRuntimeVersion},
		},
		{
			name: "ready unknown counts as not ready",
			node: &corev1.Node{
				ObjectMeta: objectMeta("worker-3", time.Hour),
				Status:     corev1.NodeStatus{Conditions: ready(corev1.ConditionUnknown)},
			},
			want: []any{"worker-3", "NotReady", "<none>", "60m", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"},
		},
		{
			name: "no ready condition yet",
			node: &corev1.Node{
				ObjectMeta: objectMeta("new", 5*time.Second),
				Spec:       corev1.NodeSpec{Unschedulable: true},
			},
			want: []any{"new", "Unknown,SchedulingDisabled", "<none>", "5s", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertCells(t, row(t, grNodes, tt.node), tt.want)
		})
	}
}

func TestSecretRow(t *testing.T) {
	tests := []struct {
		name   string
		secret *corev1.Secret
		want   []any
	}{
		{
			name: "tls",
			secret: &corev1.Secret{
				ObjectMeta: objectMeta("web-tls", 3*time.Hour),
				Type:       corev1.SecretTypeTLS,
				Data:       map[string][]byte{"tls.crt": nil, "tls.key": nil},
			},
			want: []any{"web-tls", "kubernetes.io/tls", int64(2), "3h"},
		},
		{
			name: "stringData counts like data, overlapping keys once",
			secret: &corev1.Secret{
				ObjectMeta: objectMeta("creds", 90*time.Second),
				Type:       corev1.SecretTypeOpaque,
				Data:       map[string][]byte{"user": []byte("a")},
				StringData: map[string]string{"user": "b", "password": "c"},
			},
			want: []any{"creds", "Opaque", int64(2), "90s"},
		},
		{
			name:   "empty",
			secret: &corev1.Secret{ObjectMeta: objectMeta("empty", time.Minute), Type: corev1.SecretTypeOpaque},
			want:   []any{"empty", "Opaque", int64(0), "60s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertCells(t, row(t, grSecrets, tt.secret), tt.want)
		})
	}
}

func TestConfigMapRow(t *testing.T) {
	cm := &corev1.ConfigMap{
		ObjectMeta: objectMeta("kube-root-ca.crt", 24*time.Hour),
		Data:       map[string]string{"ca.crt": "...", "extra": "x"},
		BinaryData: map[string][]byte{"blob": {1}},
	}
	assertCells(t, row(t, grConfigMaps, cm), []any{"kube-root-ca.crt", int64(3), "24h"})
}

func TestEventRow(t *testing.T) {
	tests := []struct {
		name  string
		event *corev1.Event
		want  []any
	}{
		{
			name: "legacy event with count and source host",
			event: &corev1.Event{
				ObjectMeta:     objectMeta("web-7d4b9c8f6d-abcde.17f", time.Hour),
				InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web-7d4b9c8f6d-abcde", FieldPath: "spec.containers{web}"},
				Reason:         "BackOff",
				Message:        "Back-off restarting failed container web\n",
				Source:         corev1.EventSource{Component: "kubelet", Host: "worker-1"},
				FirstTimestamp: ago(50 * time.Minute),
				LastTimestamp:  ago(30 * time.Second),
				Count:          12,
				Type:           corev1.EventTypeWarning,
			},
			want: []any{"30s", "Warning", "BackOff", "pod/web-7d4b9c8f6d-abcde", "spec.containers{web}",
				"kubelet, worker-1", "Back-off restarting failed container web", "50m", int64(12), "web-7d4b9c8f6d-abcde.17f"},
		},
		{
			name: "events.k8s.io event with series and reporting controller",
			event: &corev1.Event{
				ObjectMeta:          objectMeta("web.18a", time.Hour),
				InvolvedObject:      corev1.ObjectReference{Kind: "Service", Name: "web"},
				Reason:              "EnsuredLoadBalancer",
				Message:             "Ensured load balancer",
				EventTime:           metav1.NewMicroTime(testNow.Add(-20 * time.Minute)),
				Series:              &corev1.EventSeries{Count: 4, LastObservedTime: metav1.NewMicroTime(testNow.Add(-2 * time.Minute))},
				ReportingController: "service-controller",
				Type:                corev1.EventTypeNormal,
			},
			want: []any{"2m", "Normal", "EnsuredLoadBalancer", "service/web", "", "service-controller",
				"Ensured load balancer", "20m", int64(4), "web.18a"},
		},
		{
			name: "singleton event without count or last timestamp",
			event: &corev1.Event{
				ObjectMeta:        objectMeta("node.1", time.Hour),
				InvolvedObject:    corev1.ObjectReference{Kind: "Node"},
				Reason:            "RegisteredNode",
				EventTime:         metav1.NewMicroTime(testNow.Add(-7 * time.Second)),
				ReportingInstance: "kcm-1",
				Type:              corev1.EventTypeNormal,
			},
			want: []any{"7s", "Normal", "RegisteredNode", "node", "", ", kcm-1", "", "7s", int64(1), "node.1"},
		},
		{
			name:  "no timestamps at all",
			event: &corev1.Event{ObjectMeta: objectMeta("x", time.Hour)},
			want:  []any{"<unknown>", "", "", "", "", "", "", "<unknown>", int64(1), "x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertCells(t, row(t, grEvents, tt.event), tt.want)
		})
	}
}
