package framework

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// RepoRoot is the module's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// Binary builds cmd/portal once per test process and returns its path.
// $PORTAL_BIN, when set, is used instead.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("PORTAL_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "portal-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "portal")
		cmd := exec.Command("go", "build", "-o", binary, "./cmd/portal")
		cmd.Dir = RepoRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// Kubectl is the kubectl binary the tests drive ($KUBECTL or on PATH).
func Kubectl(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("KUBECTL"); p != "" {
		return p
	}
	p, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("kubectl is required for the e2e suite: %v", err)
	}
	return p
}

// Cluster is a running `portal up`.
type Cluster struct {
	t          testing.TB
	DataDir    string
	Port       int
	Kubeconfig string
	Args       []string
	cmd        *exec.Cmd
	stdout     *syncBuffer
	logPath    string
	waitErr    chan error

	// Netns is the network namespace portal runs in ("" for the test's).
	Netns string
}

// Options tune a cluster.
type Options struct {
	// Args are extra flags for `portal up`.
	Args []string
	// Images builds the test images (cmd/portal-demo) and passes their
	// directory to `portal up --image-path`.
	Images bool
	// Netns, when set, runs `portal up` and kubectl inside that network
	// namespace (ip netns exec); the test process itself stays outside, so
	// Client and Config do not reach such a cluster.
	Netns string
}

// Start runs `portal up` in a fresh data directory and waits until it is
// ready. The cluster is stopped when the test ends.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	c := &Cluster{t: t, DataDir: t.TempDir(), Port: FreePort(t), Args: opts.Args, Netns: opts.Netns}
	if opts.Images {
		c.Args = append(c.Args, "--image-path", Images(t))
	}
	c.Kubeconfig = filepath.Join(c.DataDir, "kubeconfig")
	c.start()
	t.Cleanup(c.Stop)
	return c
}

func (c *Cluster) start() {
	c.t.Helper()
	args := append([]string{"up", "--data-dir", c.DataDir, "--secure-port", fmt.Sprint(c.Port)}, c.Args...)
	cmd := exec.Command(Binary(c.t), args...)
	if c.Netns != "" {
		cmd = exec.Command("ip", append([]string{"netns", "exec", c.Netns, Binary(c.t)}, args...)...)
	}
	c.stdout = &syncBuffer{}
	cmd.Stdout = c.stdout
	c.logPath = filepath.Join(c.DataDir, fmt.Sprintf("portal-%d.log", time.Now().UnixNano()))
	logFile, err := os.Create(c.logPath)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start portal: %v", err)
	}
	c.cmd = cmd
	c.waitErr = make(chan error, 1)
	go func() { c.waitErr <- cmd.Wait(); logFile.Close() }()
	// A generous bound so a broken build fails instead of hanging; not a
	// performance assertion.
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(c.stdout.String(), "portal is up") {
		select {
		case err := <-c.waitErr:
			c.t.Fatalf("portal exited before it was up: %v\n%s", err, c.Logs())
		default:
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("portal not up after 90s\n%s", c.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Logs returns the tail of the current run's stderr.
func (c *Cluster) Logs() string {
	data, _ := os.ReadFile(c.logPath)
	if len(data) > 8000 {
		data = data[len(data)-8000:]
	}
	return string(data)
}

// Stop sends SIGTERM and waits for a clean exit (SIGKILL after 30s).
func (c *Cluster) Stop() {
	if c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.waitErr:
		if err != nil {
			c.t.Errorf("portal exited uncleanly on SIGTERM: %v\n%s", err, c.Logs())
		}
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.waitErr
		c.t.Errorf("portal did not stop within 30s of SIGTERM")
	}
	c.cmd = nil
}

// Restart stops portal and starts it again on the same data directory and
// port.
func (c *Cluster) Restart() {
	c.t.Helper()
	c.Stop()
	c.start()
}

// Config returns a client config for the cluster.
func (c *Cluster) Config() *rest.Config {
	c.t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		c.t.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 500, 1000
	return cfg
}

// Client returns a typed client.
func (c *Cluster) Client() kubernetes.Interface {
	c.t.Helper()
	cs, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		c.t.Fatal(err)
	}
	return cs
}

// Kubectl runs kubectl against the cluster and returns its combined output.
func (c *Cluster) Kubectl(args ...string) (string, error) {
	return c.KubectlIn("", nil, args...)
}

// KubectlIn runs kubectl with stdin and extra environment.
func (c *Cluster) KubectlIn(stdin string, env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Kubectl(c.t), args...)
	if c.Netns != "" {
		cmd = exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", c.Netns, Kubectl(c.t)}, args...)...)
	}
	cmd.Env = append(append(os.Environ(), "KUBECONFIG="+c.Kubeconfig), env...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// MustKubectl runs kubectl and fails the test on a non-zero exit.
func (c *Cluster) MustKubectl(args ...string) string {
	c.t.Helper()
	out, err := c.Kubectl(args...)
	if err != nil {
		c.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Eventually polls cond every interval until it returns true, failing the
// test after timeout. The bound only keeps a broken feature from hanging
// the suite; tests never assert speed with it.
func Eventually(t testing.TB, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ok, msg := cond()
		if ok {
			return
		}
		last = msg
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("condition not met within %s: %s", timeout, last)
}
