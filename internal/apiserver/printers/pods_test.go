package printers

import (
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Container state builders for the pod tests.

func running(name string, ready bool, restarts int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{
		Name: name, Ready: ready, RestartCount: restarts, Started: ptr(true),
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: ago(time.Hour)}},
	}
}

func waiting(name, reason string, restarts int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{
		Name: name, RestartCount: restarts,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}},
	}
}

func terminated(name, reason string, exitCode, signal int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{
		Name: name,
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: reason, ExitCode: exitCode, Signal: signal, FinishedAt: ago(time.Minute),
		}},
	}
}

// lastTerminated records a previous termination finished d ago.
func lastTerminated(s corev1.ContainerStatus, d time.Duration) corev1.ContainerStatus {
	s.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, FinishedAt: ago(d)}}
	return s
}

func containers(names ...string) []corev1.Container {
	out := make([]corev1.Container, len(names))
	for i, n := range names {
		out[i] = corev1.Container{Name: n, Image: n + ":latest"}
	}
	return out
}

func sidecar(name string) corev1.Container {
	return corev1.Container{Name: name, Image: name, RestartPolicy: ptr(corev1.ContainerRestartPolicyAlways)}
}

func condition(t corev1.PodConditionType, s corev1.ConditionStatus) corev1.PodCondition {
	return corev1.PodCondition{Type: t, Status: s}
}

func TestPodRow(t *testing.T) {
	readyConditions := []corev1.PodCondition{
		condition(corev1.PodInitialized, corev1.ConditionTrue),
		condition(corev1.PodReady, corev1.ConditionTrue),
	}
	age := 2 * time.Hour

	tests := []struct {
		name string
		pod  corev1.Pod
		// want is READY, STATUS, RESTARTS.
		want [3]string
	}{
		{
			name: "running and ready",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: readyConditions,
					ContainerStatuses: []corev1.ContainerStatus{running("web", true, 0)}},
			},
			want: [3]string{"1/1", "Running", "0"},
		},
		{
			name: "pending, unscheduled",
			pod: corev1.Pod{
				Spec:   corev1.PodSpec{Containers: containers("web", "proxy")},
				Status: corev1.PodStatus{Phase: corev1.PodPending},
			},
			want: [3]string{"0/2", "Pending", "0"},
		},
		{
			name: "scheduling gated",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{
					{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonSchedulingGated},
				}},
			},
			want: [3]string{"0/1", "SchedulingGated", "0"},
		},
		{
			name: "image pull back-off",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodPending,
					ContainerStatuses: []corev1.ContainerStatus{waiting("web", "ImagePullBackOff", 0)}},
			},
			want: [3]string{"0/1", "ImagePullBackOff", "0"},
		},
		{
			name: "crash loop with last restart",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{Containers: containers("web", "proxy")},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: readyConditions,
					ContainerStatuses: []corev1.ContainerStatus{
						lastTerminated(waiting("web", "CrashLoopBackOff", 5), 75*time.Second),
						lastTerminated(running("proxy", true, 1), 40*time.Minute),
					}},
			},
			want: [3]string{"1/2", "CrashLoopBackOff", "6 (75s ago)"},
		},
		{
			name: "restarts without a recorded termination have no age",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: readyConditions,
					ContainerStatuses: []corev1.ContainerStatus{running("web", true, 3)}},
			},
			want: [3]string{"1/1", "Running", "3"},
		},
		{
			name: "completed",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{Containers: containers("job")},
				Status: corev1.PodStatus{Phase: corev1.PodSucceeded,
					ContainerStatuses: []corev1.ContainerStatus{terminated("job", "Completed", 0, 0)}},
			},
			want: [3]string{"0/1", "Completed", "0"},
		},
		{
			name: "error exit",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{Containers: containers("job")},
				Status: corev1.PodStatus{Phase: corev1.PodFailed,
					ContainerStatuses: []corev1.ContainerStatus{terminated("job", "Error", 1, 0)}},
			},
			want: [3]string{"0/1", "Error", "0"},
		},
		{
			name: "terminated by signal without reason",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodFailed,
					ContainerStatuses: []corev1.ContainerStatus{terminated("web", "", 137, 9)}},
			},
			want: [3]string{"0/1", "Signal:9", "0"},
		},
		{
			name: "terminated with exit code only",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodFailed,
					ContainerStatuses: []corev1.ContainerStatus{terminated("web", "", 2, 0)}},
			},
			want: [3]string{"0/1", "ExitCode:2", "0"},
		},
		{
			name: "one container completed while another still runs and the pod is ready",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{Containers: containers("setup", "web")},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: readyConditions,
					ContainerStatuses: []corev1.ContainerStatus{terminated("setup", "Completed", 0, 0), running("web", true, 0)}},
			},
			want: [3]string{"1/2", "Running", "0"},
		},
		{
			name: "one container completed while another runs, pod not ready",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{Containers: containers("setup", "web")},
				Status: corev1.PodStatus{Phase: corev1.PodRunning,
					ContainerStatuses: []corev1.ContainerStatus{terminated("setup", "Completed", 0, 0), running("web", true, 0)}},
			},
			want: [3]string{"1/2", "NotReady", "0"},
		},
		{
			name: "completed first container but a later one failed",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{Containers: containers("a", "b")},
				Status: corev1.PodStatus{Phase: corev1.PodFailed,
					ContainerStatuses: []corev1.ContainerStatus{terminated("a", "Completed", 0, 0), terminated("b", "OOMKilled", 137, 0)}},
			},
			want: [3]string{"0/2", "OOMKilled", "0"},
		},
		{
			name: "init container running",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{InitContainers: containers("migrate", "warm"), Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodPending,
					InitContainerStatuses: []corev1.ContainerStatus{terminated("migrate", "Completed", 0, 0), running("warm", false, 0)},
					ContainerStatuses:     []corev1.ContainerStatus{waiting("web", "PodInitializing", 0)}},
			},
			want: [3]string{"0/1", "Init:1/2", "0"},
		},
		{
			name: "init container waiting to initialize counts as progress",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{InitContainers: containers("migrate"), Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodPending,
					InitContainerStatuses: []corev1.ContainerStatus{waiting("migrate", "PodInitializing", 0)}},
			},
			want: [3]string{"0/1", "Init:0/1", "0"},
		},
		{
			name: "init container crash looping",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{InitContainers: containers("migrate"), Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodPending,
					InitContainerStatuses: []corev1.ContainerStatus{lastTerminated(waiting("migrate", "CrashLoopBackOff", 4), 3*time.Minute)},
					ContainerStatuses:     []corev1.ContainerStatus{lastTerminated(waiting("web", "PodInitializing", 9), time.Second)}},
			},
			want: [3]string{"0/1", "Init:CrashLoopBackOff", "4 (3m ago)"},
		},
		{
			name: "init container failed",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{InitContainers: containers("migrate"), Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodFailed,
					InitContainerStatuses: []corev1.ContainerStatus{terminated("migrate", "Error", 1, 0)}},
			},
			want: [3]string{"0/1", "Init:Error", "0"},
		},
		{
			name: "init container killed by signal",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{InitContainers: containers("migrate"), Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodPending,
					InitContainerStatuses: []corev1.ContainerStatus{terminated("migrate", "", 137, 9)}},
			},
			want: [3]string{"0/1", "Init:Signal:9", "0"},
		},
		{
			name: "init container exit code",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{InitContainers: containers("migrate"), Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodPending,
					InitContainerStatuses: []corev1.ContainerStatus{terminated("migrate", "", 3, 0)}},
			},
			want: [3]string{"0/1", "Init:ExitCode:3", "0"},
		},
		{
			name: "sidecar counts as a container, its restarts survive initialization",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{InitContainers: []corev1.Container{sidecar("mesh")}, Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: readyConditions,
					InitContainerStatuses: []corev1.ContainerStatus{lastTerminated(running("mesh", true, 2), 10*time.Minute)},
					ContainerStatuses:     []corev1.ContainerStatus{lastTerminated(running("web", true, 1), 20*time.Minute)}},
			},
			want: [3]string{"2/2", "Running", "3 (10m ago)"},
		},
		{
			name: "sidecar started while the next init container runs",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{InitContainers: []corev1.Container{sidecar("mesh"), {Name: "migrate"}}, Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodPending,
					InitContainerStatuses: []corev1.ContainerStatus{running("mesh", true, 0), running("migrate", false, 0)}},
			},
			want: [3]string{"1/2", "Init:1/2", "0"},
		},
		{
			// Once Initialized is True the app containers decide the
			// status and only their restarts count.
			name: "initialized pod looks past a stale init container state",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{InitContainers: containers("migrate"), Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: readyConditions,
					InitContainerStatuses: []corev1.ContainerStatus{waiting("migrate", "", 1)},
					ContainerStatuses:     []corev1.ContainerStatus{lastTerminated(waiting("web", "CrashLoopBackOff", 2), 30*time.Second)}},
			},
			want: [3]string{"0/1", "CrashLoopBackOff", "2 (30s ago)"},
		},
		{
			name: "initialized pod keeps the init reason when app containers say nothing",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{InitContainers: containers("migrate"), Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: readyConditions,
					InitContainerStatuses: []corev1.ContainerStatus{waiting("migrate", "", 1)},
					ContainerStatuses:     []corev1.ContainerStatus{running("web", true, 0)}},
			},
			want: [3]string{"1/1", "Init:0/1", "0"},
		},
		{
			name: "terminating",
			pod: corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: agoPtr(time.Second)},
				Spec:       corev1.PodSpec{Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: readyConditions,
					ContainerStatuses: []corev1.ContainerStatus{running("web", true, 0)}},
			},
			want: [3]string{"1/1", "Terminating", "0"},
		},
		{
			name: "deleted after completion stays completed",
			pod: corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: agoPtr(time.Second)},
				Spec:       corev1.PodSpec{Containers: containers("job")},
				Status: corev1.PodStatus{Phase: corev1.PodSucceeded,
					ContainerStatuses: []corev1.ContainerStatus{terminated("job", "Completed", 0, 0)}},
			},
			want: [3]string{"0/1", "Completed", "0"},
		},
		{
			name: "deleted on a lost node",
			pod: corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: agoPtr(time.Second)},
				Spec:       corev1.PodSpec{Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, Reason: "NodeLost",
					ContainerStatuses: []corev1.ContainerStatus{running("web", true, 0)}},
			},
			want: [3]string{"1/1", "Unknown", "0"},
		},
		{
			name: "evicted",
			pod: corev1.Pod{
				Spec:   corev1.PodSpec{Containers: containers("web")},
				Status: corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted"},
			},
			want: [3]string{"0/1", "Evicted", "0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := tt.pod
			pod.Name, pod.Namespace, pod.CreationTimestamp = "web-0", "default", ago(age)
			cells := row(t, grPods, &pod)
			want := []any{"web-0", tt.want[0], tt.want[1], tt.want[2], "120m", "<none>", "<none>", "<none>", "<none>"}
			assertCells(t, cells, want)
		})
	}
}

func TestPodWideCells(t *testing.T) {
	tests := []struct {
		name string
		pod  corev1.Pod
		want []any // IP, NODE, NOMINATED NODE, READINESS GATES
	}{
		{
			name: "scheduled with IPs and readiness gates",
			pod: corev1.Pod{
				Spec: corev1.PodSpec{NodeName: "worker-1", ReadinessGates: []corev1.PodReadinessGate{
					{ConditionType: "example.com/lb-ready"}, {ConditionType: "example.com/warm"},
				}},
				Status: corev1.PodStatus{
					PodIP:  "10.244.1.5",
					PodIPs: []corev1.PodIP{{IP: "10.244.1.5"}, {IP: "fd00:244::5"}},
					Conditions: []corev1.PodCondition{
						condition("example.com/lb-ready", corev1.ConditionTrue),
						condition("example.com/warm", corev1.ConditionFalse),
					},
				},
			},
			want: []any{"10.244.1.5", "worker-1", "<none>", "1/2"},
		},
		{
			name: "nominated, no IP yet",
			pod:  corev1.Pod{Status: corev1.PodStatus{NominatedNodeName: "worker-2"}},
			want: []any{"<none>", "<none>", "worker-2", "<none>"},
		},
		{
			name: "podIPs without podIP",
			pod:  corev1.Pod{Status: corev1.PodStatus{PodIPs: []corev1.PodIP{{IP: "fd00:244::7"}}}},
			want: []any{"fd00:244::7", "<none>", "<none>", "<none>"},
		},
		{
			name: "gate without a condition is not met",
			pod:  corev1.Pod{Spec: corev1.PodSpec{ReadinessGates: []corev1.PodReadinessGate{{ConditionType: "x"}}}},
			want: []any{"<none>", "<none>", "<none>", "0/1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertCells(t, row(t, grPods, &tt.pod)[5:], tt.want)
		})
	}
}

func TestPodRowConditions(t *testing.T) {
	tests := []struct {
		phase corev1.PodPhase
		want  []metav1.TableRowCondition
	}{
		{phase: corev1.PodRunning},
		{phase: corev1.PodPending},
		{phase: corev1.PodSucceeded, want: []metav1.TableRowCondition{{
			Type: metav1.RowCompleted, Status: metav1.ConditionTrue, Reason: "Succeeded", Message: "The pod has completed successfully.",
		}}},
		{phase: corev1.PodFailed, want: []metav1.TableRowCondition{{
			Type: metav1.RowCompleted, Status: metav1.ConditionTrue, Reason: "Failed", Message: "The pod failed.",
		}}},
	}
	for _, tt := range tests {
		t.Run(string(tt.phase), func(t *testing.T) {
			table := convert(t, grPods, &corev1.Pod{Status: corev1.PodStatus{Phase: tt.phase}}, nil)
			if got := table.Rows[0].Conditions; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("conditions = %#v, want %#v", got, tt.want)
			}
		})
	}
}
