package agenttest

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/portal-dev/portal/internal/agent/runner"
)

// SyncCall is one call of Sync.
type SyncCall struct {
	Pod     *corev1.Pod
	Sandbox runner.Sandbox
}

// TerminateCall is one call of Terminate.
type TerminateCall struct {
	UID   types.UID
	Grace time.Duration
}

type pod struct {
	pod     *corev1.Pod
	sandbox runner.Sandbox
	status  corev1.PodStatus
}

type logKey struct {
	uid       types.UID
	container string
	previous  bool
}

// Runner is a fake runner.Interface. On the first Sync of a pod it reports
// every container Running and Ready, with the sandbox's pod IP; Terminate
// reports them Terminated (exit code 0). Nothing runs. Safe for concurrent
// use.
type Runner struct {
	// SyncErr, when set, is returned by Sync.
	SyncErr error
	// TerminateDelay is how long Terminate takes (or until ctx ends).
	TerminateDelay time.Duration

	mu         sync.Mutex
	pods       map[types.UID]*pod
	logs       map[logKey]string
	syncs      []SyncCall
	terminates []TerminateCall
	forgotten  []types.UID
	changes    chan types.UID
	done       chan struct{}
	closeOnce  sync.Once
}

var _ runner.Interface = (*Runner)(nil)

// New returns an empty fake runner.
func New() *Runner {
	return &Runner{
		pods:    map[types.UID]*pod{},
		logs:    map[logKey]string{},
		changes: make(chan types.UID, 1024),
		done:    make(chan struct{}),
	}
}

// Sync records the call and, for a pod it does not know, starts reporting
// it Running.
func (r *Runner) Sync(_ context.Context, p *corev1.Pod, sb runner.Sandbox) error {
	r.mu.Lock()
	r.syncs = append(r.syncs, SyncCall{Pod: p.DeepCopy(), Sandbox: sb})
	if r.SyncErr != nil {
		err := r.SyncErr
		r.mu.Unlock()
		return err
	}
	_, known := r.pods[p.UID]
	if !known {
		r.pods[p.UID] = &pod{pod: p.DeepCopy(), sandbox: sb, status: runningStatus(p, sb)}
	}
	r.mu.Unlock()
	if !known {
		r.notify(p.UID)
	}
	return nil
}

func runningStatus(p *corev1.Pod, sb runner.Sandbox) corev1.PodStatus {
	now := metav1.Now()
	st := corev1.PodStatus{
		Phase:     corev1.PodRunning,
		PodIP:     sb.PodIP,
		PodIPs:    []corev1.PodIP{{IP: sb.PodIP}},
		StartTime: &now,
	}
	for _, t := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		st.Conditions = append(st.Conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	for _, c := range p.Spec.Containers {
		started := true
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, Ready: true, Started: &started,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	return st
}

// Terminate records the call, waits TerminateDelay, and reports the pod's
// containers Terminated.
func (r *Runner) Terminate(ctx context.Context, uid types.UID, grace time.Duration) error {
	r.mu.Lock()
	r.terminates = append(r.terminates, TerminateCall{UID: uid, Grace: grace})
	delay := r.TerminateDelay
	r.mu.Unlock()
	if delay > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
	r.mu.Lock()
	p, ok := r.pods[uid]
	if ok {
		now := metav1.Now()
		for i := range p.status.ContainerStatuses {
			cs := &p.status.ContainerStatuses[i]
			cs.Ready = false
			cs.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", FinishedAt: now}}
		}
		for i := range p.status.Conditions {
			if t := p.status.Conditions[i].Type; t == corev1.PodReady || t == corev1.ContainersReady {
				p.status.Conditions[i].Status = corev1.ConditionFalse
			}
		}
	}
	r.mu.Unlock()
	if ok {
		r.notify(uid)
	}
	return nil
}

// Forget drops the pod.
func (r *Runner) Forget(uid types.UID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.pods, uid)
	r.forgotten = append(r.forgotten, uid)
}

// Status returns the pod's reported status.
func (r *Runner) Status(uid types.UID) (corev1.PodStatus, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.pods[uid]
	if !ok {
		return corev1.PodStatus{}, false
	}
	return *p.status.DeepCopy(), true
}

// Changes delivers the UIDs whose status changed.
func (r *Runner) Changes() <-chan types.UID { return r.changes }

// LogPath returns the file set with SetLog.
func (r *Runner) LogPath(uid types.UID, container string, previous bool) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.logs[logKey{uid, container, previous}]
	return p, ok
}

// Run waits for ctx, then closes Changes.
func (r *Runner) Run(ctx context.Context) error {
	<-ctx.Done()
	r.closeOnce.Do(func() {
		close(r.done)
		r.mu.Lock()
		close(r.changes)
		r.mu.Unlock()
	})
	return nil
}

// notify sends a change unless the runner has stopped.
func (r *Runner) notify(uid types.UID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.done:
		return // Changes is closed
	default:
	}
	select {
	case r.changes <- uid:
	default:
		// A full buffer: the agent is behind; it reads every pod anyway.
	}
}

// SetStatus changes a known pod's reported status and signals a change.
func (r *Runner) SetStatus(uid types.UID, mutate func(*corev1.PodStatus)) bool {
	r.mu.Lock()
	p, ok := r.pods[uid]
	if ok {
		mutate(&p.status)
	}
	r.mu.Unlock()
	if ok {
		r.notify(uid)
	}
	return ok
}

// SetLog makes LogPath return path for the container.
func (r *Runner) SetLog(uid types.UID, container string, previous bool, path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs[logKey{uid, container, previous}] = path
}

// Syncs returns the Sync calls so far.
func (r *Runner) Syncs() []SyncCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]SyncCall(nil), r.syncs...)
}

// Terminations returns the Terminate calls so far.
func (r *Runner) Terminations() []TerminateCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]TerminateCall(nil), r.terminates...)
}

// Forgotten returns the UIDs passed to Forget so far.
func (r *Runner) Forgotten() []types.UID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]types.UID(nil), r.forgotten...)
}

// Known reports whether the runner holds the pod.
func (r *Runner) Known(uid types.UID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.pods[uid]
	return ok
}
