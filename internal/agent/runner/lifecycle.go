package runner

import (
	"context"
	"errors"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// minHookGrace is what a container is left after its preStop hook, at the
// least, before SIGKILL (kubelet: minimumGracePeriodInSeconds).
const minHookGrace = 2 * time.Second

// Terminate implements Interface. Nothing of the pod starts again. Its
// regular containers (and a running init container) are stopped first, all
// at once: preStop hook, SIGTERM to the process group, SIGKILL when grace
// runs out; then its sidecars, with what is left of grace. grace is honoured
// as given (the kubelet's 2s floor is the caller's to apply). When ctx ends
// first, what is left is killed and ctx's error returned.
func (r *Runner) Terminate(ctx context.Context, uid types.UID, grace time.Duration) error {
	r.mu.Lock()
	p, ok := r.pods[uid]
	if !ok {
		r.mu.Unlock()
		return nil
	}
	p.terminating = true
	p.nextWake = time.Time{}
	settleLocked(p)
	type target struct {
		c  *ctr
		pr *proc
	}
	var first, sidecars []target
	for _, c := range p.init {
		if c.running() {
			if c.sidecar {
				sidecars = append(sidecars, target{c, c.cur})
			} else {
				first = append(first, target{c, c.cur})
			}
		}
	}
	for _, c := range p.app {
		if c.running() {
			first = append(first, target{c, c.cur})
		}
	}
	r.refreshLocked(p)
	r.mu.Unlock()
	p.log.Info("terminating pod", "grace", grace)

	deadline := r.clock.Now().Add(grace)
	stopAll := func(ts []target, grace time.Duration) error {
		var wg sync.WaitGroup
		errs := make([]error, len(ts))
		for i, t := range ts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = r.stopProc(ctx, p, t.c, t.pr, grace)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
	err := stopAll(first, grace)
	if err == nil {
		err = stopAll(sidecars, max(deadline.Sub(r.clock.Now()), 0))
	}
	// A reconciliation under way may only have been preparing a start; it
	// sees terminating before it starts anything.
	p.syncMu.Lock()
	p.syncMu.Unlock()

	r.mu.Lock()
	if err == nil {
		p.terminated = true
	}
	r.refreshLocked(p)
	r.mu.Unlock()
	return err
}

// stopAsync stops a run in the background (probe failures, new image,
// finished pods' sidecars).
func (r *Runner) stopAsync(p *podState, c *ctr, pr *proc, grace time.Duration) {
	go func() { _ = r.stopProc(context.Background(), p, c, pr, grace) }()
}

// stopProc stops one run as the kubelet's killContainer does: the preStop
// hook (once per run) within grace, SIGTERM to the process group, then
// SIGKILL when grace is over (at least minHookGrace after a hook). It
// returns when the process and its group are gone, or when ctx ends (after
// SIGKILL).
func (r *Runner) stopProc(ctx context.Context, p *podState, c *ctr, pr *proc, grace time.Duration) error {
	r.mu.Lock()
	if pr.exited {
		r.mu.Unlock()
		return nil
	}
	var hook *corev1.LifecycleHandler
	if lc := c.spec.Lifecycle; lc != nil && lc.PreStop != nil && !pr.hookDone {
		hook = lc.PreStop
		pr.hookDone = true
	}
	podIP := p.sb.PodIP
	nsenter := r.nsenterPathLocked()
	spec := c.spec
	r.mu.Unlock()

	start := r.clock.Now()
	if hook != nil {
		hctx, cancel := context.WithTimeout(ctx, grace)
		if err := r.runHook(hctx, hook, &spec, pr, podIP, nsenter); err != nil {
			c.log.Warn("preStop hook failed", "err", err)
		}
		cancel()
		grace = max(grace-r.clock.Since(start), minHookGrace)
	}

	signalGroup(pr.pgid, sigTerm)
	timer := r.clock.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-pr.done:
		return nil
	case <-timer.C():
		c.log.Info("grace period over, killing container", "grace", grace)
		signalGroup(pr.pgid, sigKill)
	case <-ctx.Done():
		signalGroup(pr.pgid, sigKill)
		return ctx.Err()
	}
	select {
	case <-pr.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runHook runs a lifecycle hook of a run (exec in the container's
// environment, or httpGet); tcpSocket and sleep are honoured too.
func (r *Runner) runHook(ctx context.Context, h *corev1.LifecycleHandler, spec *corev1.Container, pr *proc, podIP, nsenter string) error {
	if h.Sleep != nil {
		t := r.clock.NewTimer(time.Duration(h.Sleep.Seconds) * time.Second)
		defer t.Stop()
		select {
		case <-t.C():
		case <-ctx.Done():
		}
		return nil
	}
	ph := &corev1.ProbeHandler{Exec: h.Exec, HTTPGet: h.HTTPGet, TCPSocket: h.TCPSocket}
	if res, msg := check(ctx, ph, spec, pr.launch, podIP, nsenter); res != success {
		return errors.New(msg)
	}
	return nil
}
