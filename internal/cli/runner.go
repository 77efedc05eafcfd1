package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/portal-dev/portal/internal/agent"
	"github.com/portal-dev/portal/internal/agent/runner"
)

// newRunner builds the pod runner the agent drives; it is the one place the
// CLI chooses it. This build has no runner yet (internal/agent/runner holds
// only the contract), so it returns unavailableRunner: pods are accepted,
// get their address and resolv.conf, and report their containers Waiting
// with reason RunnerUnavailable. Once the runner exists this becomes
//
//	return runner.New(runner.Options{DataDir: env.DataDir, ImagePath: env.ImagePath, Env: env.Env, Log: env.Log, …})
//
// and unavailableRunner goes.
func newRunner(env agent.RunnerEnv) (runner.Interface, error) {
	env.Log.Warn("this build has no pod runner: containers are not started")
	return newUnavailableRunner(), nil
}

// unavailableRunner is the stand-in for a pod runner: it runs nothing and
// says so in every container's status, never faking one as running.
type unavailableRunner struct {
	mu      sync.Mutex
	pods    map[types.UID]corev1.PodStatus
	changes chan types.UID
	closed  bool // Changes is closed
}

var _ runner.Interface = (*unavailableRunner)(nil)

func newUnavailableRunner() *unavailableRunner {
	return &unavailableRunner{
		pods:    map[types.UID]corev1.PodStatus{},
		changes: make(chan types.UID, 256),
	}
}

// ReasonRunnerUnavailable is the waiting reason of every container.
const ReasonRunnerUnavailable = "RunnerUnavailable"

func (r *unavailableRunner) Sync(_ context.Context, pod *corev1.Pod, sb runner.Sandbox) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, known := r.pods[pod.UID]; known || r.closed {
		return nil
	}
	r.pods[pod.UID] = unavailableStatus(pod, sb)
	select {
	case r.changes <- pod.UID:
	default: // the agent is behind; it publishes every pod it syncs anyway
	}
	return nil
}

func unavailableStatus(pod *corev1.Pod, sb runner.Sandbox) corev1.PodStatus {
	now := metav1.NewTime(time.Now())
	var names []string
	st := corev1.PodStatus{
		Phase:     corev1.PodPending,
		PodIP:     sb.PodIP,
		PodIPs:    []corev1.PodIP{{IP: sb.PodIP}},
		StartTime: &now,
	}
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
				Reason: ReasonRunnerUnavailable, Message: "this portal build has no pod runner",
			}},
		})
	}
	msg := fmt.Sprintf("containers with unready status: [%s]", strings.Join(names, " "))
	st.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", Message: msg, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", Message: msg, LastTransitionTime: now},
	}
	return st
}

func (r *unavailableRunner) Terminate(context.Context, types.UID, time.Duration) error { return nil }

func (r *unavailableRunner) Forget(uid types.UID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.pods, uid)
}

func (r *unavailableRunner) Status(uid types.UID) (corev1.PodStatus, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.pods[uid]
	return *st.DeepCopy(), ok
}

func (r *unavailableRunner) Changes() <-chan types.UID { return r.changes }

func (r *unavailableRunner) LogPath(types.UID, string, bool) (string, bool) { return "", false }

func (r *unavailableRunner) Run(ctx context.Context) error {
	<-ctx.Done()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	close(r.changes)
	return nil
}
