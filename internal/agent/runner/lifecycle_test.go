package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func TestTerminate(t *testing.T) {
	t.Parallel()
	h := start(t)

	t.Run("SIGTERM handled", func(t *testing.T) {
		t.Parallel()
		pod := newPod("graceful", corev1.RestartPolicyAlways, helper("c", "sigterm-exit"))
		h.sync(pod)
		h.waitFor(pod.UID, "running", func(s *corev1.PodStatus) bool { return running(cs(s, "c")) })
		logPath, _ := h.r.LogPath(pod.UID, "c", false)
		h.waitFor(pod.UID, "handler installed", func(*corev1.PodStatus) bool {
			b, _ := os.ReadFile(logPath)
			return strings.Contains(string(b), "ready")
		})
		if err := h.r.Terminate(context.Background(), pod.UID, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		s, _ := h.r.Status(pod.UID)
		term := cs(&s, "c").State.Terminated
		if term == nil || term.ExitCode != 0 || term.Reason != "Completed" {
			t.Errorf("status: %s", dump(&s))
		}
		if s.Phase != corev1.PodSucceeded {
			t.Errorf("phase %s, want Succeeded (terminal pod, all exited 0)", s.Phase)
		}
		if !strings.Contains(readFile(t, logPath), "got SIGTERM") {
			t.Error("no SIGTERM seen")
		}
		// Nothing restarts a terminated pod, Sync included.
		h.sync(pod)
		time.Sleep(150 * time.Millisecond)
		if s, _ := h.r.Status(pod.UID); cs(&s, "c").RestartCount != 0 || cs(&s, "c").State.Terminated == nil {
			t.Errorf("after Terminate: %s", dump(&s))
		}
	})

	t.Run("SIGTERM ignored: SIGKILL after grace", func(t *testing.T) {
		t.Parallel()
		hookFile := filepath.Join(t.TempDir(), "prestop")
		c := sh("c", `trap '' TERM; echo ready; while :; do sleep 0.05; done`)
		c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"touch", hookFile}}}}
		pod := newPod("stubborn", corev1.RestartPolicyAlways, c)
		h.sync(pod)
		h.waitFor(pod.UID, "running", func(s *corev1.PodStatus) bool { return running(cs(s, "c")) })
		logPath, _ := h.r.LogPath(pod.UID, "c", false)
		h.waitFor(pod.UID, "trap installed", func(*corev1.PodStatus) bool {
			b, _ := os.ReadFile(logPath)
			return strings.Contains(string(b), "ready")
		})
		const grace = 300 * time.Millisecond
		start := time.Now()
		if err := h.r.Terminate(context.Background(), pod.UID, grace); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < grace {
			t.Errorf("Terminate returned after %v, before the grace period", took)
		}
		s, _ := h.r.Status(pod.UID)
		term := cs(&s, "c").State.Terminated
		if term == nil || term.ExitCode != 137 || term.Reason != "Error" {
			t.Errorf("status: %s", dump(&s))
		}
		if s.Phase != corev1.PodFailed || cond(&s, corev1.PodReady).Reason != "PodFailed" {
			t.Errorf("phase %s Ready %+v", s.Phase, cond(&s, corev1.PodReady))
		}
		if _, err := os.Stat(hookFile); err != nil {
			t.Errorf("preStop hook did not run: %v", err)
		}
	})

	t.Run("ctx ends first", func(t *testing.T) {
		t.Parallel()
		pod := newPod("impatient", corev1.RestartPolicyAlways, sh("c", `trap '' TERM; echo ready; while :; do sleep 0.05; done`))
		h.sync(pod)
		h.waitFor(pod.UID, "running", func(s *corev1.PodStatus) bool { return running(cs(s, "c")) })
		logPath, _ := h.r.LogPath(pod.UID, "c", false)
		h.waitFor(pod.UID, "trap installed", func(*corev1.PodStatus) bool {
			b, _ := os.ReadFile(logPath)
			return strings.Contains(string(b), "ready")
		})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := h.r.Terminate(ctx, pod.UID, time.Hour); err == nil {
			t.Error("Terminate returned nil after ctx ended")
		}
		// What was left got SIGKILL.
		h.waitFor(pod.UID, "killed", func(s *corev1.PodStatus) bool { return cs(s, "c").State.Terminated != nil })
	})

	if err := h.r.Terminate(context.Background(), "unknown", time.Second); err != nil {
		t.Errorf("Terminate of an unknown pod: %v", err)
	}
}

func TestInitContainers(t *testing.T) {
	t.Parallel()
	h := start(t)

	t.Run("in order before the app", func(t *testing.T) {
		t.Parallel()
		f := filepath.Join(t.TempDir(), "order")
		pod := newPod("init", corev1.RestartPolicyAlways, sh("app", "echo app >> "+f+"; exec sleep 1000"))
		pod.Spec.InitContainers = []corev1.Container{
			sh("one", "sleep 0.2; echo one >> "+f),
			sh("two", "echo two >> "+f),
		}
		h.sync(pod)
		s := h.waitFor(pod.UID, "one running", func(s *corev1.PodStatus) bool { return running(cs(s, "one")) })
		if s.Phase != corev1.PodPending || cond(&s, corev1.PodInitialized).Message != "containers with incomplete status: [one two]" {
			t.Errorf("while initializing: %s", dump(&s))
		}
		if w := cs(&s, "app").State.Waiting; w == nil || w.Reason != "PodInitializing" {
			t.Errorf("app state %+v", cs(&s, "app").State)
		}
		s = h.waitFor(pod.UID, "app running", func(s *corev1.PodStatus) bool { return running(cs(s, "app")) })
		if cond(&s, corev1.PodInitialized).Status != corev1.ConditionTrue || s.Phase != corev1.PodRunning {
			t.Errorf("after init: %s", dump(&s))
		}
		for _, name := range []string{"one", "two"} {
			c := cs(&s, name)
			if c.State.Terminated == nil || c.State.Terminated.Reason != "Completed" || !c.Ready {
				t.Errorf("%s: %s", name, dump(&s))
			}
		}
		h.waitFor(pod.UID, "app wrote", func(*corev1.PodStatus) bool {
			b, _ := os.ReadFile(f)
			return strings.Contains(string(b), "app")
		})
		if got := readFile(t, f); got != "one\ntwo\napp\n" {
			t.Errorf("order %q", got)
		}
	})

	t.Run("failure under Never fails the pod", func(t *testing.T) {
		t.Parallel()
		pod := newPod("init-fails", corev1.RestartPolicyNever, sh("app", "exec sleep 1000"))
		pod.Spec.InitContainers = []corev1.Container{sh("bad", "exit 2")}
		h.sync(pod)
		s := h.waitFor(pod.UID, "Failed", func(s *corev1.PodStatus) bool { return s.Phase == corev1.PodFailed })
		if c := cs(&s, "app"); c.ContainerID != "" || c.State.Waiting == nil {
			t.Errorf("app ran: %s", dump(&s))
		}
		if c := cond(&s, corev1.PodInitialized); c.Status != corev1.ConditionFalse || c.Reason != "ContainersNotInitialized" {
			t.Errorf("Initialized %+v", c)
		}
	})

	t.Run("failure under Always retries with back-off", func(t *testing.T) {
		t.Parallel()
		pod := newPod("init-retries", corev1.RestartPolicyAlways, sh("app", "exec sleep 1000"))
		pod.Spec.InitContainers = []corev1.Container{sh("bad", "exit 2")}
		h.sync(pod)
		s := h.waitFor(pod.UID, "init restarts", func(s *corev1.PodStatus) bool { return cs(s, "bad").RestartCount >= 2 })
		if s.Phase != corev1.PodPending {
			t.Errorf("phase %s", s.Phase)
		}
	})

	t.Run("sidecar", func(t *testing.T) {
		t.Parallel()
		always := corev1.ContainerRestartPolicyAlways
		side := sh("side", "exec sleep 1000")
		side.RestartPolicy = &always
		pod := newPod("sidecar", corev1.RestartPolicyNever, sh("job", "sleep 0.3"))
		pod.Spec.InitContainers = []corev1.Container{side}
		h.sync(pod)
		s := h.waitFor(pod.UID, "both running", func(s *corev1.PodStatus) bool {
			return running(cs(s, "side")) && running(cs(s, "job"))
		})
		if !cs(&s, "side").Ready || s.Phase != corev1.PodRunning {
			t.Errorf("status: %s", dump(&s))
		}
		// The job ends: the sidecar is stopped and the pod succeeds.
		s = h.waitFor(pod.UID, "Succeeded", func(s *corev1.PodStatus) bool {
			return s.Phase == corev1.PodSucceeded && cs(s, "side").State.Terminated != nil
		})
	})
}
