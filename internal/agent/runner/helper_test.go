package runner

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
)

// TestMain lets the test binary act as a container: with GO_WANT_HELPER=1
// in its environment it runs helperMain instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("GO_WANT_HELPER") == "1" {
		helperMain(os.Args[1:])
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperMain is the helper container:
//
//	http PORT READYFILE   serve /healthz on 127.0.0.1:PORT: 200 while
//	                      READYFILE exists, else 503; log each User-Agent
//	grpc PORT             serve grpc.health.v1 on 127.0.0.1:PORT: "" is
//	                      SERVING, "down" NOT_SERVING
//	sigterm-exit          print "ready", exit 0 on SIGTERM
func helperMain(args []string) {
	if len(args) == 0 {
		os.Exit(2)
	}
	switch args[0] {
	case "http":
		port, readyFile := args[1], args[2]
		http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
			fmt.Printf("probe ua=%s\n", r.UserAgent())
			if _, err := os.Stat(readyFile); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			io.WriteString(w, "ok")
		})
		if err := http.ListenAndServe(net.JoinHostPort("127.0.0.1", port), nil); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
	case "grpc":
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", args[1]))
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		srv := grpc.NewServer()
		hs := health.NewServer()
		hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
		hs.SetServingStatus("down", healthpb.HealthCheckResponse_NOT_SERVING)
		healthpb.RegisterHealthServer(srv, hs)
		_ = srv.Serve(l)
		os.Exit(1)
	case "sigterm-exit":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM)
		fmt.Println("ready")
		<-ch
		fmt.Println("got SIGTERM")
		os.Exit(0)
	}
	os.Exit(2)
}

// helper returns a container running the test binary as helper.
func helper(name string, args ...string) corev1.Container {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return corev1.Container{
		Name:    name,
		Image:   "helper",
		Command: append([]string{exe}, args...),
		Env:     []corev1.EnvVar{{Name: "GO_WANT_HELPER", Value: "1"}},
	}
}

// sh returns a container running script with /bin/sh.
func sh(name, script string) corev1.Container {
	return corev1.Container{Name: name, Image: "busybox", Command: []string{"/bin/sh", "-c", script}}
}

func newPod(name string, policy corev1.RestartPolicy, containers ...corev1.Container) *corev1.Pod {
	grace := int64(1)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(uuid.NewUUID())},
		Spec: corev1.PodSpec{
			RestartPolicy:                 policy,
			Containers:                    containers,
			NodeName:                      "node-1",
			TerminationGracePeriodSeconds: &grace,
		},
	}
}

var testSandbox = Sandbox{PodIP: "127.0.0.1", NodeName: "node-1", HostIP: "127.0.0.1", ResolvConf: "/tmp/resolv.conf"}

type harness struct {
	t   *testing.T
	r   *Runner
	dir string

	mu   sync.Mutex
	pods []types.UID
}

// testLogger sends the runner's logs to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// start returns a running Runner with millisecond back-off; cleanup
// terminates every pod synced through it and stops Run.
func start(t *testing.T, mod ...func(*Config)) *harness {
	t.Helper()
	dir := t.TempDir()
	cfg := Config{
		RootDir:        dir,
		BackoffInitial: 50 * time.Millisecond,
		BackoffMax:     400 * time.Millisecond,
		Log:            slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	for _, f := range mod {
		f(&cfg)
	}
	h := &harness{t: t, r: New(cfg), dir: dir}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := h.r.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	go func() { // drain Changes
		for range h.r.Changes() {
		}
	}()
	t.Cleanup(func() {
		h.mu.Lock()
		pods := h.pods
		h.mu.Unlock()
		for _, uid := range pods {
			tctx, tcancel := context.WithTimeout(context.Background(), 20*time.Second)
			if err := h.r.Terminate(tctx, uid, 0); err != nil {
				t.Errorf("cleanup Terminate: %v", err)
			}
			tcancel()
			h.r.Forget(uid)
		}
		cancel()
		<-done
	})
	return h
}

func (h *harness) sync(pod *corev1.Pod) {
	h.t.Helper()
	h.mu.Lock()
	h.pods = append(h.pods, pod.UID)
	h.mu.Unlock()
	if err := h.r.Sync(context.Background(), pod, testSandbox); err != nil {
		h.t.Fatalf("Sync: %v", err)
	}
}

// waitFor polls the pod's status until cond holds (deadline 30s).
func (h *harness) waitFor(uid types.UID, desc string, cond func(s *corev1.PodStatus) bool) corev1.PodStatus {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var s corev1.PodStatus
	for time.Now().Before(deadline) {
		var ok bool
		s, ok = h.r.Status(uid)
		if ok && cond(&s) {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("timed out waiting for %s; status:\n%s", desc, dump(&s))
	return s
}

func dump(s *corev1.PodStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "phase=%s\n", s.Phase)
	for _, c := range s.Conditions {
		fmt.Fprintf(&b, "  cond %s=%s %s %s\n", c.Type, c.Status, c.Reason, c.Message)
	}
	for _, cs := range append(append([]corev1.ContainerStatus{}, s.InitContainerStatuses...), s.ContainerStatuses...) {
		fmt.Fprintf(&b, "  %s restarts=%d ready=%v started=%v state=%s last=%s\n", cs.Name, cs.RestartCount, cs.Ready, cs.Started != nil && *cs.Started, stateString(cs.State), stateString(cs.LastTerminationState))
	}
	return b.String()
}

func stateString(st corev1.ContainerState) string {
	switch {
	case st.Running != nil:
		return "Running"
	case st.Waiting != nil:
		return fmt.Sprintf("Waiting(%s: %s)", st.Waiting.Reason, st.Waiting.Message)
	case st.Terminated != nil:
		return fmt.Sprintf("Terminated(%d %s: %s)", st.Terminated.ExitCode, st.Terminated.Reason, st.Terminated.Message)
	}
	return "-"
}

// cs returns the named container's status (init or regular).
func cs(s *corev1.PodStatus, name string) *corev1.ContainerStatus {
	for i := range s.InitContainerStatuses {
		if s.InitContainerStatuses[i].Name == name {
			return &s.InitContainerStatuses[i]
		}
	}
	for i := range s.ContainerStatuses {
		if s.ContainerStatuses[i].Name == name {
			return &s.ContainerStatuses[i]
		}
	}
	return &corev1.ContainerStatus{}
}

func cond(s *corev1.PodStatus, t corev1.PodConditionType) corev1.PodCondition {
	for _, c := range s.Conditions {
		if c.Type == t {
			return c
		}
	}
	return corev1.PodCondition{}
}

func running(c *corev1.ContainerStatus) bool { return c.State.Running != nil }

// freePort returns a loopback port free at the time of the call.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeSource is an EnvSource over maps; it can be changed while running.
type fakeSource struct {
	mu         sync.Mutex
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
}

func (f *fakeSource) ConfigMap(_ context.Context, ns, name string) (*corev1.ConfigMap, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cm, ok := f.configMaps[ns+"/"+name]; ok {
		return cm.DeepCopy(), nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
}

func (f *fakeSource) Secret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.secrets[ns+"/"+name]; ok {
		return s.DeepCopy(), nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
}

func (f *fakeSource) setConfigMap(ns, name string, data map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.configMaps == nil {
		f.configMaps = map[string]*corev1.ConfigMap{}
	}
	f.configMaps[ns+"/"+name] = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: data}
}

func (f *fakeSource) setSecret(ns, name string, data map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.secrets == nil {
		f.secrets = map[string]*corev1.Secret{}
	}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	f.secrets[ns+"/"+name] = s
}
