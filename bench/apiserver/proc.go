package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is a child process (etcd or portal) with its output in a log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // Wait's result, set before done closes
	marker  *markerWriter // nil unless start was given a marker
}

// start runs bin with its stdout and stderr in logPath. When marker is not
// empty, ready() closes once stdout has printed it.
func start(name, bin, logPath, marker string, args ...string) (*process, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = logFile
	cmd.Stdout = logFile
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	if marker != "" {
		p.marker = &markerWriter{w: logFile, marker: []byte(marker), seen: make(chan struct{})}
		cmd.Stdout = p.marker
	}
	// Own process group: a Ctrl-C in the terminal reaches only this
	// program, which then stops the children in order.
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// ready is closed once the marker has been printed.
func (p *process) ready() <-chan struct{} { return p.marker.seen }

// stop sends SIGTERM, waits up to 15s, then kills. It is safe to call twice.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		logf("%s stopped", p.name)
	case <-time.After(15 * time.Second):
		logf("%s did not stop in 15s; killing it", p.name)
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// exitErr describes an early exit, with the end of the log.
func (p *process) exitErr() error {
	return fmt.Errorf("%s exited: %v\n--- %s (tail)\n%s", p.name, p.err, p.logPath, tail(p.logPath, 30))
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// markerWriter passes output through and closes seen when marker appears.
type markerWriter struct {
	w      io.Writer
	marker []byte
	mu     sync.Mutex
	buf    []byte
	once   sync.Once
	seen   chan struct{}
}

func (m *markerWriter) Write(p []byte) (int, error) {
	m.mu.Lock()
	m.buf = append(m.buf, p...)
	if bytes.Contains(m.buf, m.marker) {
		m.once.Do(func() { close(m.seen) })
	}
	if keep := len(m.marker); len(m.buf) > keep {
		m.buf = append(m.buf[:0], m.buf[len(m.buf)-keep:]...)
	}
	m.mu.Unlock()
	return m.w.Write(p)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run this inside the portal module (go env GOMOD is empty)")
	}
	return filepath.Dir(gomod), nil
}

// goCmd runs the go command in dir, its output on stderr.
func goCmd(ctx context.Context, dir string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	return cmd.Run()
}
