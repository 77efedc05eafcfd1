package runner

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// This file decides what starts when: restartPolicy, init container order,
// sidecars, back-off.

// shouldRestartLocked reports whether c, whose latest run ended, is to run
// again: sidecars always (until the pod finishes), regular init containers
// after a failure unless restartPolicy is Never, regular containers per
// restartPolicy, or whatever the policy when killed to be restarted (a
// failed liveness or startup probe, except under Never; a new image).
func (r *Runner) shouldRestartLocked(p *podState, c *ctr) bool {
	if p.terminating || p.finished {
		return false
	}
	policy := restartPolicy(p.pod)
	failed := c.cur != nil && c.cur.term.ExitCode != 0
	switch {
	case c.sidecar:
		return true
	case c.init:
		return failed && policy != corev1.RestartPolicyNever
	case c.forceRestart:
		return true
	case policy == corev1.RestartPolicyAlways:
		return true
	case policy == corev1.RestartPolicyOnFailure:
		return failed
	}
	return false
}

// dueLocked reports whether c, not running, may start now; if not, when it
// may. A run ended while the back-off holds is Waiting CrashLoopBackOff.
func (r *Runner) dueLocked(p *podState, c *ctr, now time.Time) (bool, time.Time) {
	if c.starting {
		return false, time.Time{}
	}
	if !c.retryAt.IsZero() && now.Before(c.retryAt) {
		return false, c.retryAt
	}
	if c.cur == nil || !c.cur.exited {
		return c.cur == nil, time.Time{}
	}
	if hold, until := c.bo.holds(c.cur.finishedAt, now, r.cfg.BackoffMax); hold {
		msg := fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)",
			c.bo.delay, c.spec.Name, p.pod.Name, p.pod.Namespace, p.uid)
		if c.waiting == nil || c.waiting.Reason != "CrashLoopBackOff" {
			c.log.Info("back-off restarting failed container", "backoff", c.bo.delay)
		}
		c.waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: msg}
		return false, until
	}
	return true, time.Time{}
}

// planLocked walks the pod as the kubelet's computePodActions does and
// returns the first container to start now (nil: none), recording in
// p.nextWake when a held one falls due. Init containers run one at a time
// in order, each after the previous completed (a sidecar: started); then
// the regular containers and sidecars are kept running per restartPolicy.
func (r *Runner) planLocked(p *podState, now time.Time) *ctr {
	p.nextWake = time.Time{}
	if p.terminating || p.finished {
		return nil
	}
	if isTerminalPhase(p.pod.Status.Phase) {
		// The API says the pod is done: it never runs again (kubelet:
		// isAdmittedPodTerminal), say after the agent restarted.
		r.finishLocked(p)
		return nil
	}
	if p.pod.DeletionTimestamp != nil {
		// Being deleted: nothing new starts; Terminate stops the rest.
		return nil
	}
	wake := func(t time.Time) {
		if !t.IsZero() && (p.nextWake.IsZero() || t.Before(p.nextWake)) {
			p.nextWake = t
		}
	}
	// try returns c when it is due; otherwise notes when it falls due.
	try := func(c *ctr) bool {
		if c.running() || c.starting {
			return false
		}
		if c.cur != nil && c.cur.exited && !r.shouldRestartLocked(p, c) {
			return false
		}
		due, at := r.dueLocked(p, c, now)
		wake(at)
		return due
	}
	policy := restartPolicy(p.pod)

	if !p.initialized {
		for _, c := range p.init {
			if c.sidecar {
				if c.running() && c.started {
					continue
				}
				if try(c) {
					return c
				}
				return nil
			}
			if c.cur != nil && c.cur.exited && c.cur.term.ExitCode == 0 {
				continue
			}
			if c.cur != nil && c.cur.exited && policy == corev1.RestartPolicyNever {
				c.log.Info("init container failed, pod failed")
				r.finishLocked(p)
				return nil
			}
			if try(c) {
				return c
			}
			return nil
		}
		p.initialized = true
	}

	for _, c := range p.init {
		if c.sidecar && try(c) {
			return c
		}
	}
	done := true
	for _, c := range p.app {
		if try(c) {
			return c
		}
		if c.cur == nil || c.running() || c.starting || r.shouldRestartLocked(p, c) {
			done = false
		}
	}
	if done && policy != corev1.RestartPolicyAlways {
		r.finishLocked(p)
	}
	return nil
}

// finishLocked marks the pod's run over: nothing starts again and its
// sidecars are stopped, as the kubelet stops them once the regular
// containers are done.
func (r *Runner) finishLocked(p *podState) {
	p.finished = true
	p.nextWake = time.Time{}
	settleLocked(p)
	for _, c := range p.init {
		if c.sidecar && c.running() {
			r.stopAsync(p, c, c.cur, podGrace(p.pod))
		}
	}
}

// settleLocked drops the Waiting overrides of containers that ran and will
// not run again: they show as Terminated, as the kubelet shows them once it
// no longer means to restart them.
func settleLocked(p *podState) {
	for _, c := range append(append([]*ctr{}, p.init...), p.app...) {
		if c.cur != nil && c.cur.exited {
			c.waiting = nil
		}
	}
}
