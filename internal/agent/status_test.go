package agent

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMergePodStatus(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2030, 1, 1, 10, 0, 0, 0, time.UTC))
	t1 := metav1.NewTime(time.Date(2030, 1, 1, 10, 0, 5, 123456789, time.UTC)) // sub-second: rounded away
	now := metav1.NewTime(time.Date(2030, 1, 1, 11, 0, 0, 0, time.UTC))
	cond := func(typ corev1.PodConditionType, s corev1.ConditionStatus, at metav1.Time) corev1.PodCondition {
		return corev1.PodCondition{Type: typ, Status: s, LastTransitionTime: at}
	}
	cases := []struct {
		name     string
		cur, obs corev1.PodStatus
		check    func(t *testing.T, got corev1.PodStatus)
	}{
		{
			name: "runner's fields win, the rest is kept, host IP and start time added",
			cur: corev1.PodStatus{
				Phase: corev1.PodPending, QOSClass: corev1.PodQOSBestEffort,
				Conditions: []corev1.PodCondition{cond(corev1.PodScheduled, corev1.ConditionTrue, t0), cond("example.com/gate", corev1.ConditionTrue, t0)},
			},
			obs: corev1.PodStatus{
				Phase: corev1.PodRunning, PodIP: "127.244.0.7", PodIPs: []corev1.PodIP{{IP: "127.244.0.7"}},
				Conditions: []corev1.PodCondition{cond(corev1.PodReady, corev1.ConditionTrue, t1)},
			},
			check: func(t *testing.T, got corev1.PodStatus) {
				if got.Phase != corev1.PodRunning || got.PodIP != "127.244.0.7" || got.QOSClass != corev1.PodQOSBestEffort {
					t.Errorf("phase/podIP/qos = %s/%s/%s", got.Phase, got.PodIP, got.QOSClass)
				}
				if got.HostIP != "127.0.0.1" || len(got.HostIPs) != 1 || got.StartTime == nil || !got.StartTime.Equal(&now) {
					t.Errorf("hostIP %q hostIPs %v startTime %v", got.HostIP, got.HostIPs, got.StartTime)
				}
				if len(got.Conditions) != 3 {
					t.Errorf("conditions %v: want the gate kept and Ready added", got.Conditions)
				}
				for _, c := range got.Conditions {
					if c.Type == corev1.PodReady && c.LastTransitionTime.Time.Nanosecond() != 0 {
						t.Errorf("Ready transition time %v not rounded to seconds", c.LastTransitionTime)
					}
				}
			},
		},
		{
			name: "an unchanged condition keeps its transition time",
			cur:  corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{cond(corev1.PodReady, corev1.ConditionTrue, t0)}},
			obs:  corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{cond(corev1.PodReady, corev1.ConditionTrue, t1)}},
			check: func(t *testing.T, got corev1.PodStatus) {
				if !got.Conditions[0].LastTransitionTime.Equal(&t0) {
					t.Errorf("transition time %v, want %v", got.Conditions[0].LastTransitionTime, t0)
				}
			},
		},
		{
			name: "a terminal phase never goes back",
			cur:  corev1.PodStatus{Phase: corev1.PodSucceeded},
			obs:  corev1.PodStatus{Phase: corev1.PodRunning},
			check: func(t *testing.T, got corev1.PodStatus) {
				if got.Phase != corev1.PodSucceeded {
					t.Errorf("phase %s, want Succeeded", got.Phase)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, mergePodStatus(tc.cur, tc.obs, "127.0.0.1", now))
		})
	}
}

// TestMergePodStatusIsStable: merging the same observation into the result
// of a merge changes nothing, so the agent sends no update for it.
func TestMergePodStatusIsStable(t *testing.T) {
	now := metav1.Now()
	obs := corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: "127.244.0.2",
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}},
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: "web", Ready: true,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		}},
	}
	first := mergePodStatus(corev1.PodStatus{Phase: corev1.PodPending}, obs, "127.0.0.1", now)
	second := mergePodStatus(first, obs, "127.0.0.1", metav1.NewTime(now.Add(time.Minute)))
	if !equality.Semantic.DeepEqual(first, second) {
		t.Fatalf("second merge changed the status:\n%+v\n%+v", first, second)
	}
}
