package runner

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func execProbe(period, timeout, failures int32, command ...string) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:     corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: command}},
		PeriodSeconds:    period,
		TimeoutSeconds:   timeout,
		FailureThreshold: failures,
		SuccessThreshold: 1,
	}
}

// TestReadinessProbe flips an HTTP server's health and watches the
// container's ready and the pod's Ready and ContainersReady follow.
func TestReadinessProbe(t *testing.T) {
	t.Parallel()
	h := start(t)
	port := freePort(t)
	readyFile := filepath.Join(t.TempDir(), "ready")
	c := helper("web", "http", port, readyFile)
	p, _ := strconv.Atoi(port)
	c.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: int32(p)}}
	c.ReadinessProbe = &corev1.Probe{
		ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}},
		PeriodSeconds:    1,
		TimeoutSeconds:   1,
		FailureThreshold: 1,
		SuccessThreshold: 1,
	}
	pod := newPod("ready", corev1.RestartPolicyAlways, c)
	h.sync(pod)

	s := h.waitFor(pod.UID, "running, not ready", func(s *corev1.PodStatus) bool {
		return running(cs(s, "web")) && cond(s, corev1.PodReady).Reason == "ContainersNotReady"
	})
	if c := cs(&s, "web"); c.Ready || c.Started == nil || !*c.Started {
		t.Errorf("before the file: %s", dump(&s))
	}
	if c := cond(&s, corev1.ContainersReady); c.Status != corev1.ConditionFalse || c.Message != "containers with unready status: [web]" {
		t.Errorf("ContainersReady %+v", c)
	}

	touch(t, readyFile)
	s = h.waitFor(pod.UID, "ready", func(s *corev1.PodStatus) bool { return cs(s, "web").Ready })
	for _, ct := range []corev1.PodConditionType{corev1.PodReady, corev1.ContainersReady} {
		if c := cond(&s, ct); c.Status != corev1.ConditionTrue {
			t.Errorf("%s = %s", ct, c.Status)
		}
	}

	os.Remove(readyFile)
	s = h.waitFor(pod.UID, "not ready again", func(s *corev1.PodStatus) bool { return !cs(s, "web").Ready })
	if c := cond(&s, corev1.PodReady); c.Status != corev1.ConditionFalse || c.Reason != "ContainersNotReady" {
		t.Errorf("Ready %+v", c)
	}
	if c := cs(&s, "web"); !running(c) || c.RestartCount != 0 {
		t.Errorf("readiness must not restart: %s", dump(&s))
	}

	touch(t, readyFile)
	h.waitFor(pod.UID, "ready again", func(s *corev1.PodStatus) bool { return cs(s, "web").Ready })

	logPath, _ := h.r.LogPath(pod.UID, "web", false)
	if log := readFile(t, logPath); !strings.Contains(log, "probe ua=kube-probe/1.37") {
		t.Errorf("no kube-probe User-Agent in %q", log)
	}
}

// TestReadinessGates: Ready also needs the gates' conditions True.
func TestReadinessGates(t *testing.T) {
	t.Parallel()
	h := start(t)
	pod := newPod("gates", corev1.RestartPolicyAlways, sh("c", "exec sleep 1000"))
	pod.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "example.com/lb"}}
	h.sync(pod)
	s := h.waitFor(pod.UID, "containers ready", func(s *corev1.PodStatus) bool {
		return cond(s, corev1.ContainersReady).Status == corev1.ConditionTrue
	})
	if c := cond(&s, corev1.PodReady); c.Status != corev1.ConditionFalse || c.Reason != "ReadinessGatesNotReady" ||
		c.Message != `corresponding condition of pod readiness gate "example.com/lb" does not exist.` {
		t.Errorf("Ready %+v", c)
	}
	pod = pod.DeepCopy()
	pod.ResourceVersion = "2"
	pod.Status.Conditions = []corev1.PodCondition{{Type: "example.com/lb", Status: corev1.ConditionTrue}}
	h.sync(pod)
	s, _ = h.r.Status(pod.UID)
	if c := cond(&s, corev1.PodReady); c.Status != corev1.ConditionTrue {
		t.Errorf("Ready with the gate True: %+v", c)
	}
	if c := cond(&s, "example.com/lb"); c.Status != corev1.ConditionTrue {
		t.Errorf("gate condition not kept: %+v", s.Conditions)
	}
}

// TestLivenessRestart: a failing liveness probe kills the container and
// restarts it, counting restarts.
func TestLivenessRestart(t *testing.T) {
	t.Parallel()
	h := start(t)
	c := sh("c", "exec sleep 1000")
	c.LivenessProbe = execProbe(1, 1, 2, "false")
	pod := newPod("liveness", corev1.RestartPolicyAlways, c)
	h.sync(pod)
	s := h.waitFor(pod.UID, "restartCount>=1", func(s *corev1.PodStatus) bool { return cs(s, "c").RestartCount >= 1 })
	last := cs(&s, "c").LastTerminationState.Terminated
	if last == nil || last.Reason != "Error" || (last.ExitCode != 143 && last.ExitCode != 137) {
		t.Errorf("lastState %+v, want killed (143/137)", last)
	}

	t.Run("OnFailure restarts a clean exit after a liveness kill", func(t *testing.T) {
		c := sh("c", `trap 'exit 0' TERM; while :; do sleep 0.1; done`)
		c.LivenessProbe = execProbe(1, 1, 1, "false")
		c.LivenessProbe.InitialDelaySeconds = 1 // the trap is in place by then
		pod := newPod("liveness-onfailure", corev1.RestartPolicyOnFailure, c)
		h.sync(pod)
		s := h.waitFor(pod.UID, "restartCount>=1", func(s *corev1.PodStatus) bool { return cs(s, "c").RestartCount >= 1 })
		if last := cs(&s, "c").LastTerminationState.Terminated; last == nil || last.ExitCode != 0 {
			t.Errorf("lastState %+v, want exit 0", last)
		}
	})

	t.Run("Never kills without restart", func(t *testing.T) {
		c := sh("c", "exec sleep 1000")
		c.LivenessProbe = execProbe(1, 1, 1, "false")
		pod := newPod("liveness-never", corev1.RestartPolicyNever, c)
		h.sync(pod)
		s := h.waitFor(pod.UID, "Failed", func(s *corev1.PodStatus) bool { return s.Phase == corev1.PodFailed })
		if c := cs(&s, "c"); c.RestartCount != 0 || c.State.Terminated == nil {
			t.Errorf("status: %s", dump(&s))
		}
	})
}

// TestExecProbeTimeout: an exec probe hanging past timeoutSeconds fails
// and is killed, and does not hold up the other container's probe.
func TestExecProbeTimeout(t *testing.T) {
	t.Parallel()
	h := start(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	hang := sh("hang", "exec sleep 1000")
	hang.ReadinessProbe = execProbe(1, 1, 1, "/bin/sh", "-c", "echo $$$$ > "+pidFile+"; exec sleep 1000")
	fine := sh("fine", "exec sleep 1000")
	fine.ReadinessProbe = execProbe(1, 1, 1, "true")
	pod := newPod("timeout", corev1.RestartPolicyAlways, hang, fine)
	h.sync(pod)
	s := h.waitFor(pod.UID, "fine ready", func(s *corev1.PodStatus) bool { return cs(s, "fine").Ready })
	if cs(&s, "hang").Ready {
		t.Error("hanging probe made its container ready")
	}
	var pid int
	h.waitFor(pod.UID, "probe ran", func(*corev1.PodStatus) bool {
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return pid > 0
	})
	// The probe's process is killed at its timeout ($$ is escaped by the
	// kubelet's $(VAR) rules, hence $$$$ for the shell's $$).
	h.waitFor(pod.UID, "probe process killed", func(*corev1.PodStatus) bool { return pid > 0 && !alive(pid) })

	t.Run("liveness timeout restarts", func(t *testing.T) {
		c := sh("c", "exec sleep 1000")
		c.LivenessProbe = execProbe(1, 1, 1, "sleep", "1000")
		pod := newPod("liveness-timeout", corev1.RestartPolicyAlways, c)
		h.sync(pod)
		h.waitFor(pod.UID, "restart", func(s *corev1.PodStatus) bool { return cs(s, "c").RestartCount >= 1 })
	})
}

// TestStartupProbe: until the startup probe passes the container is
// neither started nor ready and liveness does not run; a failing startup
// probe restarts the container.
func TestStartupProbe(t *testing.T) {
	t.Parallel()
	h := start(t)
	startedFile := filepath.Join(t.TempDir(), "started")
	c := sh("c", "exec sleep 1000")
	c.StartupProbe = execProbe(1, 1, 1000, "test", "-f", startedFile)
	c.LivenessProbe = execProbe(1, 1, 1, "false") // would kill at once if it ran
	c.ReadinessProbe = execProbe(1, 1, 1, "true")
	pod := newPod("startup", corev1.RestartPolicyAlways, c)
	h.sync(pod)
	s := h.waitFor(pod.UID, "running", func(s *corev1.PodStatus) bool { return running(cs(s, "c")) })
	if c := cs(&s, "c"); *c.Started || c.Ready {
		t.Errorf("started/ready before the startup probe: %s", dump(&s))
	}
	h.waitFor(pod.UID, "a couple of periods", func(*corev1.PodStatus) bool {
		return testutilProbeRuns(h, pod) // liveness did not kill meanwhile
	})
	s, _ = h.r.Status(pod.UID)
	if c := cs(&s, "c"); c.RestartCount != 0 || *c.Started {
		t.Fatalf("before startup: %s", dump(&s))
	}
	touch(t, startedFile)
	s = h.waitFor(pod.UID, "started and ready", func(s *corev1.PodStatus) bool {
		c := cs(s, "c")
		return c.Started != nil && *c.Started && c.Ready
	})
	// Now liveness runs, and fails.
	h.waitFor(pod.UID, "liveness restart", func(s *corev1.PodStatus) bool { return cs(s, "c").RestartCount >= 1 })

	t.Run("failing startup restarts", func(t *testing.T) {
		c := sh("c", "exec sleep 1000")
		c.StartupProbe = execProbe(1, 1, 1, "false")
		pod := newPod("startup-fails", corev1.RestartPolicyAlways, c)
		h.sync(pod)
		h.waitFor(pod.UID, "restart", func(s *corev1.PodStatus) bool { return cs(s, "c").RestartCount >= 1 })
	})
}

// testutilProbeRuns waits (by returning false) until two seconds of the
// pod's run have passed.
func testutilProbeRuns(h *harness, pod *corev1.Pod) bool {
	s, _ := h.r.Status(pod.UID)
	r := cs(&s, "c").State.Running
	return r != nil && h.r.clock.Since(r.StartedAt.Time).Seconds() > 2.5
}

func TestTCPProbe(t *testing.T) {
	t.Parallel()
	h := start(t)
	port := freePort(t)
	readyFile := filepath.Join(t.TempDir(), "ready")
	touch(t, readyFile)
	c := helper("web", "http", port, readyFile)
	p, _ := strconv.Atoi(port)
	c.ReadinessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(int32(p))}},
		PeriodSeconds: 1,
	}
	closed := sh("closed", "exec sleep 1000")
	closed.ReadinessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString(freePort(t))}},
		PeriodSeconds: 1,
	}
	unnamed := sh("unnamed", "exec sleep 1000")
	unnamed.ReadinessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("nope")}},
		PeriodSeconds: 1,
	}
	pod := newPod("tcp", corev1.RestartPolicyAlways, c, closed, unnamed)
	h.sync(pod)
	s := h.waitFor(pod.UID, "web ready", func(s *corev1.PodStatus) bool { return cs(s, "web").Ready })
	if cs(&s, "closed").Ready || cs(&s, "unnamed").Ready {
		t.Errorf("status: %s", dump(&s))
	}
}

func TestResolvePort(t *testing.T) {
	c := &corev1.Container{Name: "c", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}
	tests := []struct {
		port intstr.IntOrString
		want int
		err  string
	}{
		{intstr.FromInt32(80), 80, ""},
		{intstr.FromString("http"), 8080, ""},
		{intstr.FromString("9090"), 9090, ""},
		{intstr.FromString("grpc"), -1, "couldn't find port: grpc in c"},
		{intstr.FromInt32(0), -1, "invalid port number: 0"},
		{intstr.FromInt32(70000), -1, "invalid port number: 70000"},
	}
	for _, tt := range tests {
		got, err := resolvePort(tt.port, c)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%v: err %v, want %q", tt.port, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%v = %d, %v", tt.port, got, err)
		}
	}
}

func TestGRPCProbe(t *testing.T) {
	t.Parallel()
	h := start(t)
	port := freePort(t)
	p, _ := strconv.Atoi(port)
	probe := func(service string) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: int32(p), Service: &service}},
			PeriodSeconds: 1,
		}
	}
	c := helper("grpc", "grpc", port)
	c.ReadinessProbe = probe("")
	down := sh("down", "exec sleep 1000")
	down.ReadinessProbe = probe("down")
	pod := newPod("grpc", corev1.RestartPolicyAlways, c, down)
	h.sync(pod)
	s := h.waitFor(pod.UID, "grpc ready", func(s *corev1.PodStatus) bool { return cs(s, "grpc").Ready })
	if cs(&s, "down").Ready {
		t.Errorf("NOT_SERVING made ready: %s", dump(&s))
	}
}

// TestHTTPCheck runs the HTTP prober against in-process servers.
func TestHTTPCheck(t *testing.T) {
	var got http.Header
	var gotHost string
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { got, gotHost = r.Header.Clone(), r.Host })
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	mux.HandleFunc("/redirect-local", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/fail", http.StatusFound) })
	mux.HandleFunc("/redirect-away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://elsewhere.invalid/", http.StatusFound)
	})
	plain := httptest.NewServer(mux)
	defer plain.Close()
	tlsSrv := httptest.NewTLSServer(mux)
	defer tlsSrv.Close()
	port := func(s *httptest.Server) intstr.IntOrString {
		_, p, _ := net.SplitHostPort(s.Listener.Addr().String())
		n, _ := strconv.Atoi(p)
		return intstr.FromInt32(int32(n))
	}
	spec := &corev1.Container{Name: "c"}
	tests := []struct {
		name string
		a    corev1.HTTPGetAction
		want result
	}{
		{"ok", corev1.HTTPGetAction{Path: "/ok", Port: port(plain)}, success},
		{"https insecure", corev1.HTTPGetAction{Path: "/ok", Port: port(tlsSrv), Scheme: corev1.URISchemeHTTPS}, success},
		{"500", corev1.HTTPGetAction{Path: "/fail", Port: port(plain)}, failure},
		{"404", corev1.HTTPGetAction{Path: "/nope", Port: port(plain)}, failure},
		{"redirect followed on the same host", corev1.HTTPGetAction{Path: "/redirect-local", Port: port(plain)}, failure},
		{"redirect elsewhere is success", corev1.HTTPGetAction{Path: "/redirect-away", Port: port(plain)}, success},
		{"refused", corev1.HTTPGetAction{Path: "/", Port: intstr.FromString(freePort(t))}, failure},
		{"unknown port name", corev1.HTTPGetAction{Path: "/", Port: intstr.FromString("http")}, unknown},
	}
	for _, tt := range tests {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, msg := httpCheck(ctx, &tt.a, spec, "127.0.0.1")
		cancel()
		if res != tt.want {
			t.Errorf("%s: %v (%s), want %v", tt.name, res, msg, tt.want)
		}
	}
	if ua := got.Get("User-Agent"); ua != "kube-probe/1.37" || got.Get("Accept") != "*/*" {
		t.Errorf("default headers %v", got)
	}

	a := corev1.HTTPGetAction{Path: "/ok", Port: port(plain), HTTPHeaders: []corev1.HTTPHeader{
		{Name: "User-Agent", Value: "mine"}, {Name: "X-Custom", Value: "1"}, {Name: "Host", Value: "example.com"}, {Name: "Accept", Value: ""},
	}}
	if res, msg := httpCheck(context.Background(), &a, spec, "127.0.0.1"); res != success {
		t.Fatalf("custom headers: %v %s", res, msg)
	}
	if got.Get("User-Agent") != "mine" || got.Get("X-Custom") != "1" || gotHost != "example.com" || got.Get("Accept") != "" {
		t.Errorf("custom headers %v host %q", got, gotHost)
	}
}
