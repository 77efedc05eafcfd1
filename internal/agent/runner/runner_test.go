package runner

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestProgramResolution(t *testing.T) {
	t.Parallel()
	images := t.TempDir()
	prog := writeScript(t, images, "demo", `echo "demo ran with $*"`)
	h := start(t, func(c *Config) { c.ImagePath = []string{"/nonexistent", images} })

	t.Run("image program", func(t *testing.T) {
		pod := newPod("image", corev1.RestartPolicyNever, corev1.Container{Name: "c", Image: "reg.io/team/demo:v2", Args: []string{"a", "b"}})
		h.sync(pod)
		s := h.waitFor(pod.UID, "Succeeded", func(s *corev1.PodStatus) bool { return s.Phase == corev1.PodSucceeded })
		c := cs(&s, "c")
		if c.ImageID != "portal://"+prog || c.Image != "reg.io/team/demo:v2" {
			t.Errorf("image %q imageID %q, want portal://%s", c.Image, c.ImageID, prog)
		}
		if want := "portal://" + string(pod.UID) + "/c/0"; c.ContainerID != want {
			t.Errorf("containerID %q, want %q", c.ContainerID, want)
		}
		path, ok := h.r.LogPath(pod.UID, "c", false)
		if !ok || readFile(t, path) != "demo ran with a b\n" {
			t.Errorf("log %q, %v", path, ok)
		}
	})

	t.Run("command wins over image", func(t *testing.T) {
		pod := newPod("command", corev1.RestartPolicyNever, corev1.Container{Name: "c", Image: "reg.io/team/demo:v2", Command: []string{"echo", "from command"}})
		h.sync(pod)
		s := h.waitFor(pod.UID, "Succeeded", func(s *corev1.PodStatus) bool { return s.Phase == corev1.PodSucceeded })
		if id := cs(&s, "c").ImageID; !strings.HasSuffix(id, "/echo") {
			t.Errorf("imageID %q, want the echo program", id)
		}
	})

	t.Run("ImageNotRunnable", func(t *testing.T) {
		pod := newPod("nginx", corev1.RestartPolicyAlways, corev1.Container{Name: "web", Image: "nginx:1.25"})
		h.sync(pod)
		s := h.waitFor(pod.UID, "ImageNotRunnable", func(s *corev1.PodStatus) bool {
			w := cs(s, "web").State.Waiting
			return w != nil && w.Reason == "ImageNotRunnable"
		})
		w := cs(&s, "web").State.Waiting
		want := `image "nginx:1.25" is not a local program in the image path [/nonexistent ` + images + `] and the container has no command`
		if w.Message != want {
			t.Errorf("message %q, want %q", w.Message, want)
		}
		if s.Phase != corev1.PodPending || cs(&s, "web").RestartCount != 0 {
			t.Errorf("phase %s restarts %d, want Pending 0", s.Phase, cs(&s, "web").RestartCount)
		}
		// Retried without counting restarts.
		time.Sleep(200 * time.Millisecond)
		s, _ = h.r.Status(pod.UID)
		if c := cs(&s, "web"); c.RestartCount != 0 || c.State.Waiting == nil || c.ContainerID != "" {
			t.Errorf("after retries: %s", dump(&s))
		}
	})
}

func TestMissingCommand(t *testing.T) {
	t.Parallel()
	h := start(t)
	const msg = `exec: "nope": executable file not found in $PATH`

	t.Run("Always: RunContainerError then CrashLoopBackOff", func(t *testing.T) {
		pod := newPod("nope", corev1.RestartPolicyAlways, corev1.Container{Name: "c", Image: "x", Command: []string{"nope"}})
		h.sync(pod)
		s := h.waitFor(pod.UID, "restartCount>=3 in back-off", func(s *corev1.PodStatus) bool {
			c := cs(s, "c")
			return c.RestartCount >= 3 && c.State.Waiting != nil
		})
		c := cs(&s, "c")
		if r := c.State.Waiting.Reason; r != "CrashLoopBackOff" && r != "RunContainerError" {
			t.Errorf("waiting reason %q", r)
		}
		if r := c.State.Waiting.Reason; r == "RunContainerError" && c.State.Waiting.Message != msg {
			t.Errorf("waiting message %q, want %q", c.State.Waiting.Message, msg)
		}
		last := c.LastTerminationState.Terminated
		if last == nil || last.Reason != "StartError" || last.ExitCode != 128 || last.Message != msg {
			t.Errorf("lastState %+v, want StartError 128 %q", last, msg)
		}
		s = h.waitFor(pod.UID, "CrashLoopBackOff", func(s *corev1.PodStatus) bool {
			w := cs(s, "c").State.Waiting
			return w != nil && w.Reason == "CrashLoopBackOff"
		})
		w := cs(&s, "c").State.Waiting
		wantSuffix := "restarting failed container=c pod=nope_default(" + string(pod.UID) + ")"
		if !strings.HasPrefix(w.Message, "back-off ") || !strings.HasSuffix(w.Message, wantSuffix) {
			t.Errorf("back-off message %q", w.Message)
		}
		if s.Phase != corev1.PodRunning {
			// kubelet: a container restarting under Always keeps the pod Running.
			t.Errorf("phase %s, want Running", s.Phase)
		}
	})

	t.Run("Never: Terminated StartError, Failed", func(t *testing.T) {
		pod := newPod("nope-never", corev1.RestartPolicyNever, corev1.Container{Name: "c", Image: "x", Command: []string{"nope"}})
		h.sync(pod)
		s := h.waitFor(pod.UID, "Failed", func(s *corev1.PodStatus) bool { return s.Phase == corev1.PodFailed })
		term := cs(&s, "c").State.Terminated
		if term == nil || term.Reason != "StartError" || term.Message != msg || cs(&s, "c").RestartCount != 0 {
			t.Errorf("status: %s", dump(&s))
		}
	})

	t.Run("missing workingDir", func(t *testing.T) {
		c := sh("c", "true")
		c.WorkingDir = "/nonexistent/dir"
		pod := newPod("nodir", corev1.RestartPolicyNever, c)
		h.sync(pod)
		s := h.waitFor(pod.UID, "Failed", func(s *corev1.PodStatus) bool { return s.Phase == corev1.PodFailed })
		if term := cs(&s, "c").State.Terminated; term == nil || term.Reason != "StartError" || !strings.Contains(term.Message, "/nonexistent/dir") {
			t.Errorf("status: %s", dump(&s))
		}
	})
}

func TestWorkingDirAndLogs(t *testing.T) {
	t.Parallel()
	h := start(t)
	wd := t.TempDir()
	c := sh("c", `pwd; echo "run $(cat count 2>/dev/null || echo 0)"; echo err >&2; n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; [ "$n" -ge 2 ] && exec sleep 1000; exit 3`)
	c.WorkingDir = wd
	pod := newPod("logs", corev1.RestartPolicyOnFailure, c)
	h.sync(pod)
	s := h.waitFor(pod.UID, "third run running", func(s *corev1.PodStatus) bool {
		c := cs(s, "c")
		return c.RestartCount == 2 && running(c)
	})
	last := cs(&s, "c").LastTerminationState.Terminated
	if last == nil || last.ExitCode != 3 || last.Reason != "Error" {
		t.Errorf("lastState %+v, want exit 3 Error", last)
	}
	cur, ok := h.r.LogPath(pod.UID, "c", false)
	if want := filepath.Join(h.dir, "pods", string(pod.UID), "c", "2.log"); !ok || cur != want {
		t.Fatalf("LogPath = %q, %v; want %q", cur, ok, want)
	}
	prev, ok := h.r.LogPath(pod.UID, "c", true)
	if !ok || filepath.Base(prev) != "1.log" {
		t.Fatalf("previous LogPath = %q, %v", prev, ok)
	}
	if got, want := readFile(t, prev), wd+"\nrun 1\nerr\n"; got != want {
		t.Errorf("previous log %q, want %q", got, want)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(readFile(t, cur), "run 2") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := readFile(t, cur); got != wd+"\nrun 2\nerr\n" {
		t.Errorf("current log %q", got)
	}
	// Only the current and previous logs are kept.
	if _, err := os.Stat(filepath.Join(filepath.Dir(cur), "0.log")); !os.IsNotExist(err) {
		t.Errorf("0.log still there: %v", err)
	}
	if _, ok := h.r.LogPath(pod.UID, "other", false); ok {
		t.Error("LogPath of an unknown container")
	}
}

func TestRestartPolicies(t *testing.T) {
	t.Parallel()
	h := start(t)
	tests := []struct {
		policy    corev1.RestartPolicy
		exit      int
		restarts  bool
		phase     corev1.PodPhase
		readyWhy  string
		termState string
	}{
		{corev1.RestartPolicyAlways, 0, true, corev1.PodRunning, "", ""},
		{corev1.RestartPolicyAlways, 1, true, corev1.PodRunning, "", ""},
		{corev1.RestartPolicyOnFailure, 0, false, corev1.PodSucceeded, "PodCompleted", "Completed"},
		{corev1.RestartPolicyOnFailure, 1, true, corev1.PodRunning, "", ""},
		{corev1.RestartPolicyNever, 0, false, corev1.PodSucceeded, "PodCompleted", "Completed"},
		{corev1.RestartPolicyNever, 1, false, corev1.PodFailed, "PodFailed", "Error"},
	}
	for _, tt := range tests {
		name := strings.ToLower(string(tt.policy)) + "-" + strconv.Itoa(tt.exit)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pod := newPod(name, tt.policy, sh("c", "exit "+strconv.Itoa(tt.exit)))
			h.sync(pod)
			if tt.restarts {
				s := h.waitFor(pod.UID, "restarts", func(s *corev1.PodStatus) bool { return cs(s, "c").RestartCount >= 3 })
				if last := cs(&s, "c").LastTerminationState.Terminated; last == nil || last.ExitCode != int32(tt.exit) {
					t.Errorf("lastState %+v", last)
				}
				if s.Phase != tt.phase {
					t.Errorf("phase %s, want %s", s.Phase, tt.phase)
				}
				return
			}
			s := h.waitFor(pod.UID, string(tt.phase), func(s *corev1.PodStatus) bool { return s.Phase == tt.phase })
			c := cs(&s, "c")
			term := c.State.Terminated
			if term == nil || term.ExitCode != int32(tt.exit) || term.Reason != tt.termState || c.RestartCount != 0 {
				t.Errorf("status: %s", dump(&s))
			}
			if term != nil && (term.StartedAt.IsZero() || term.FinishedAt.Before(&term.StartedAt)) {
				t.Errorf("times %v %v", term.StartedAt, term.FinishedAt)
			}
			for _, ct := range []corev1.PodConditionType{corev1.PodReady, corev1.ContainersReady} {
				if c := cond(&s, ct); c.Status != corev1.ConditionFalse || c.Reason != tt.readyWhy {
					t.Errorf("%s = %s/%s, want False/%s", ct, c.Status, c.Reason, tt.readyWhy)
				}
			}
			if c := cond(&s, corev1.PodInitialized); c.Status != corev1.ConditionTrue {
				t.Errorf("Initialized %s", c.Status)
			}
			if c := cond(&s, corev1.PodScheduled); c.Status != corev1.ConditionTrue || c.LastTransitionTime.IsZero() {
				t.Errorf("PodScheduled %+v", c)
			}
			// A finished pod stays finished.
			time.Sleep(150 * time.Millisecond)
			if s2, _ := h.r.Status(pod.UID); s2.Phase != tt.phase || cs(&s2, "c").RestartCount != 0 {
				t.Errorf("later: %s", dump(&s2))
			}
		})
	}
}

func TestRunningPodStatus(t *testing.T) {
	t.Parallel()
	h := start(t)
	pod := newPod("status", corev1.RestartPolicyAlways, sh("a", "exec sleep 1000"), sh("b", "exec sleep 1000"))
	pod.Generation = 3
	h.sync(pod)
	s := h.waitFor(pod.UID, "Ready", func(s *corev1.PodStatus) bool { return cond(s, corev1.PodReady).Status == corev1.ConditionTrue })
	if s.Phase != corev1.PodRunning || s.PodIP != "127.0.0.1" || len(s.PodIPs) != 1 || s.HostIP != "127.0.0.1" || s.StartTime == nil {
		t.Errorf("status: %+v", s)
	}
	if s.QOSClass != corev1.PodQOSBestEffort || s.ObservedGeneration != 3 {
		t.Errorf("qos %s generation %d", s.QOSClass, s.ObservedGeneration)
	}
	for _, name := range []string{"a", "b"} {
		c := cs(&s, name)
		if !running(c) || !c.Ready || c.Started == nil || !*c.Started || c.RestartCount != 0 {
			t.Errorf("%s: %s", name, dump(&s))
		}
	}
	order := []corev1.PodConditionType{corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady, corev1.PodScheduled}
	for i, c := range s.Conditions {
		if c.Type != order[i] || c.Status != corev1.ConditionTrue || c.ObservedGeneration != 3 {
			t.Errorf("condition %d: %+v", i, c)
		}
	}
	// Syncing again changes nothing.
	ready := cond(&s, corev1.PodReady).LastTransitionTime
	h.sync(pod)
	s2, _ := h.r.Status(pod.UID)
	if got := cond(&s2, corev1.PodReady).LastTransitionTime; !got.Equal(&ready) || cs(&s2, "a").ContainerID != cs(&s, "a").ContainerID {
		t.Errorf("resync changed the status:\n%s", dump(&s2))
	}
}

func TestChanges(t *testing.T) {
	t.Parallel()
	r := New(Config{RootDir: t.TempDir(), BackoffInitial: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	pod := newPod("changes", corev1.RestartPolicyNever, sh("c", "sleep 0.2"))
	if err := r.Sync(ctx, pod, testSandbox); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(20 * time.Second)
	for {
		select {
		case uid := <-r.Changes():
			if uid != pod.UID {
				t.Fatalf("change for %s", uid)
			}
			if s, _ := r.Status(uid); s.Phase == corev1.PodSucceeded {
				cancel()
				<-done
				if _, ok := <-r.Changes(); ok {
					// drain: buffered changes may remain, then closed
					for range r.Changes() {
					}
				}
				if _, ok := r.Status("nope"); ok {
					t.Error("Status of an unknown pod")
				}
				r.Forget(pod.UID)
				if _, ok := r.Status(pod.UID); ok {
					t.Error("Status after Forget")
				}
				return
			}
		case <-deadline:
			t.Fatal("no change to Succeeded")
		}
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	h := start(t, func(c *Config) { c.Metrics = reg })
	c := sh("c", "exec sleep 1000")
	c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}, PeriodSeconds: 1}
	pod := newPod("metrics", corev1.RestartPolicyAlways, c)
	h.sync(pod)
	h.waitFor(pod.UID, "ready", func(s *corev1.PodStatus) bool { return cs(s, "c").Ready })
	if n := testutil.ToFloat64(h.r.metrics.starts); n != 1 {
		t.Errorf("starts = %v", n)
	}
	if n := testutil.ToFloat64(h.r.metrics.probes.WithLabelValues("readiness", "success")); n < 1 {
		t.Errorf("readiness successes = %v", n)
	}
}

// TestForkAndExit: a process that forks a child and exits ends its
// container, and the child dies with it.
func TestForkAndExit(t *testing.T) {
	t.Parallel()
	h := start(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	pod := newPod("daemon", corev1.RestartPolicyNever, sh("c", "sleep 1000 & echo $! > "+pidFile+"; exit 0"))
	h.sync(pod)
	s := h.waitFor(pod.UID, "Succeeded", func(s *corev1.PodStatus) bool { return s.Phase == corev1.PodSucceeded })
	if term := cs(&s, "c").State.Terminated; term == nil || term.Reason != "Completed" {
		t.Fatalf("status: %s", dump(&s))
	}
	pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, pidFile)))
	if err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("child %d outlived its container", pid)
	}
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i >= 0 && len(b) > i+2 && b[i+2] != 'Z' && b[i+2] != 'X'
}

// TestImageChangeRestarts: a new image for a running container restarts
// it, whatever the restart policy, as a changed spec hash does.
func TestImageChangeRestarts(t *testing.T) {
	t.Parallel()
	h := start(t)
	pod := newPod("image-change", corev1.RestartPolicyNever, sh("c", "exec sleep 1000"))
	pod.ResourceVersion = "1"
	h.sync(pod)
	h.waitFor(pod.UID, "running", func(s *corev1.PodStatus) bool { return running(cs(s, "c")) })
	pod = pod.DeepCopy()
	pod.ResourceVersion = "2"
	pod.Spec.Containers[0].Image = "busybox:2"
	h.sync(pod)
	s := h.waitFor(pod.UID, "restarted", func(s *corev1.PodStatus) bool {
		c := cs(s, "c")
		return c.RestartCount == 1 && running(c)
	})
	if img := cs(&s, "c").Image; img != "busybox:2" {
		t.Errorf("image %q", img)
	}
}

// TestSyncBeforeRun: Sync starts processes on its own; probes start with
// Run.
func TestSyncBeforeRun(t *testing.T) {
	t.Parallel()
	r := New(Config{RootDir: t.TempDir()})
	c := sh("c", "exec sleep 1000")
	c.ReadinessProbe = execProbe(1, 1, 1, "true")
	pod := newPod("early", corev1.RestartPolicyAlways, c)
	if err := r.Sync(context.Background(), pod, testSandbox); err != nil {
		t.Fatal(err)
	}
	s, _ := r.Status(pod.UID)
	if c := cs(&s, "c"); !running(c) || c.Ready {
		t.Fatalf("after Sync: %s", dump(&s))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	defer func() {
		if err := r.Terminate(context.Background(), pod.UID, 0); err != nil {
			t.Error(err)
		}
		cancel()
		<-done
	}()
	// The change queued before Run is delivered.
	select {
	case uid := <-r.Changes():
		if uid != pod.UID {
			t.Errorf("change for %s", uid)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no change delivered")
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if s, _ := r.Status(pod.UID); cs(&s, "c").Ready {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("readiness probe never ran")
}

// TestForgetKills: forgetting a pod that was not terminated kills its
// processes rather than leaking them.
func TestForgetKills(t *testing.T) {
	t.Parallel()
	r := New(Config{RootDir: t.TempDir()})
	pidFile := filepath.Join(t.TempDir(), "pid")
	pod := newPod("forget", corev1.RestartPolicyAlways, sh("c", "echo $$$$ > "+pidFile+"; exec sleep 1000"))
	if err := r.Sync(context.Background(), pod, testSandbox); err != nil {
		t.Fatal(err)
	}
	var pid int
	deadline := time.Now().Add(20 * time.Second)
	for pid == 0 && time.Now().Before(deadline) {
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		time.Sleep(10 * time.Millisecond)
	}
	r.Forget(pod.UID)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatal("process outlived Forget")
	}
	if _, ok := r.Status(pod.UID); ok {
		t.Error("Status after Forget")
	}
}

// TestTerminalOrDeletedPodsDoNotStart: a pod the API reports Succeeded or
// Failed never runs, and a pod being deleted starts nothing new.
func TestTerminalOrDeletedPodsDoNotStart(t *testing.T) {
	t.Parallel()
	h := start(t)
	done := newPod("done", corev1.RestartPolicyNever, sh("c", "exec sleep 1000"))
	done.Status.Phase = corev1.PodSucceeded
	h.sync(done)
	deleted := newPod("deleted", corev1.RestartPolicyAlways, sh("c", "exec sleep 1000"))
	now := metav1.Now()
	deleted.DeletionTimestamp = &now
	h.sync(deleted)
	time.Sleep(150 * time.Millisecond)
	s, _ := h.r.Status(done.UID)
	if c := cs(&s, "c"); c.ContainerID != "" || s.Phase != corev1.PodSucceeded {
		t.Errorf("terminal pod: %s", dump(&s))
	}
	s, _ = h.r.Status(deleted.UID)
	if c := cs(&s, "c"); c.ContainerID != "" {
		t.Errorf("deleted pod: %s", dump(&s))
	}
}
