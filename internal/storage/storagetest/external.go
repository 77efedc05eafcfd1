package storagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long a starting etcd may take to report healthy;
// it only keeps a broken start from hanging the test.
const startTimeout = 2 * time.Minute

// ExternalEtcd is an etcd server running as a separate process: a
// single member on two free loopback ports, its data in a test directory.
type ExternalEtcd struct {
	bin, dir             string
	clientURL, peerURL   string
	cmd                  *exec.Cmd
	exited               chan struct{} // closed when cmd has been waited for
	exitErr              error
	logPath              string
	restarts             int
	clientPort, peerPort int
}

// StartExternalEtcd starts an etcd process for the test and returns its
// client endpoints; the process is stopped in t.Cleanup.
func StartExternalEtcd(t testing.TB) (endpoints []string) {
	t.Helper()
	return NewExternalEtcd(t).Endpoints()
}

// NewExternalEtcd starts an etcd process for the test, healthy on return.
// The process is stopped in t.Cleanup.
func NewExternalEtcd(t testing.TB) *ExternalEtcd {
	t.Helper()
	bin := EtcdBinary(t)
	e := &ExternalEtcd{bin: bin, dir: filepath.Join(t.TempDir(), "etcd")}
	t.Cleanup(e.Stop)
	// A free port is free when asked for, not necessarily when etcd binds
	// it; another picking is the remedy for that race.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if e.clientPort, e.peerPort, err = twoFreePorts(); err != nil {
			t.Fatalf("external etcd: %v", err)
		}
		if err = e.start(); err == nil {
			t.Logf("external etcd %s (%s) at %s", bin, etcdBinaryVersion(bin), e.clientURL)
			return e
		}
		e.Stop()
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("external etcd: %v", err)
	return nil
}

// Endpoints returns the client URLs; they stay the same across Restart.
func (e *ExternalEtcd) Endpoints() []string { return []string{e.clientURL} }

// Restart stops the process and starts a new one on the same data
// directory and ports, healthy on return.
func (e *ExternalEtcd) Restart(t testing.TB) {
	t.Helper()
	e.Stop()
	e.restarts++
	if err := e.start(); err != nil {
		t.Fatalf("restart external etcd: %v", err)
	}
}

func (e *ExternalEtcd) start() error {
	host := "127.0.0.1"
	e.clientURL = "http://" + net.JoinHostPort(host, strconv.Itoa(e.clientPort))
	e.peerURL = "http://" + net.JoinHostPort(host, strconv.Itoa(e.peerPort))
	if err := os.MkdirAll(e.dir, 0o700); err != nil {
		return err
	}
	e.logPath = filepath.Join(filepath.Dir(e.dir), fmt.Sprintf("etcd-%d.log", e.restarts))
	logFile, err := os.Create(e.logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(e.bin,
		"--name", "portal-test",
		"--data-dir", e.dir,
		"--listen-client-urls", e.clientURL,
		"--advertise-client-urls", e.clientURL,
		"--listen-peer-urls", e.peerURL,
		"--initial-advertise-peer-urls", e.peerURL,
		"--initial-cluster", "portal-test="+e.peerURL,
		"--initial-cluster-state", "new",
		// As portal's embedded member: the API server compacts, not etcd.
		"--auto-compaction-retention", "0",
		"--log-level", "warn",
	)
	cmd.Env = etcdEnv()
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", e.bin, err)
	}
	e.cmd = cmd
	e.exited = make(chan struct{})
	go func(exited chan struct{}) {
		e.exitErr = cmd.Wait()
		close(exited)
	}(e.exited)
	return e.waitHealthy()
}

// waitHealthy polls etcd's /health until it answers true, the process
// exits, or startTimeout passes.
func (e *ExternalEtcd) waitHealthy() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		if healthy(ctx, client, e.clientURL+"/health") {
			return nil
		}
		select {
		case <-e.exited:
			return fmt.Errorf("etcd exited before it was healthy (%v): %s", e.exitErr, e.logTail())
		case <-ctx.Done():
			return fmt.Errorf("etcd not healthy after %v: %s", startTimeout, e.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func healthy(ctx context.Context, client *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var h struct {
		Health string `json:"health"`
	}
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&h) == nil && h.Health == "true"
}

// Stop ends the process, gracefully first; it is safe to call twice.
func (e *ExternalEtcd) Stop() {
	if e.cmd == nil {
		return
	}
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.exited:
	case <-time.After(30 * time.Second):
		_ = e.cmd.Process.Kill()
		<-e.exited
	}
	e.cmd = nil
}

func (e *ExternalEtcd) logTail() string {
	b, err := os.ReadFile(e.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// etcdEnv is the test's environment without ETCD_* variables, which etcd
// would read as flags.
func etcdEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ETCD_") {
			env = append(env, kv)
		}
	}
	return env
}

// twoFreePorts returns two distinct loopback ports that were free a moment
// ago.
func twoFreePorts() (int, int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for len(ports) < 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, 0, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports[0], ports[1], nil
}
