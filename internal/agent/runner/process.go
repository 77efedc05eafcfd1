package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// This file starts and stops the processes of containers.
//
// Every container process leads its own process group (Setpgid), and the
// whole group is signalled: stopping a container stops what it forked.
// When the leader exits the rest of its group is killed with SIGKILL, as
// the kernel kills a PID namespace when its init exits; so a process that
// forks and exits ("daemonizes") ends its container. A descendant that
// leaves the group (setsid, setpgid) escapes this: there are no cgroups.
//
// In a pod with a network namespace (Sandbox.NetNS) the process is started
// through nsenter(1) --net=<path>, which joins the namespace and execs the
// program (same pid, same group). The runner needs the right to setns then
// (root or CAP_SYS_ADMIN).

// imageNotRunnable is the reason of a container whose image is not a local
// program and that has no command.
const imageNotRunnable = "ImageNotRunnable"

// imageProgramName returns the program an image reference names: the last
// path element without registry, tag or digest ("reg.io/team/demo:v2" →
// "demo").
func imageProgramName(image string) string {
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndexByte(image, '/'); i >= 0 {
		image = image[i+1:]
	}
	if i := strings.IndexByte(image, ':'); i >= 0 {
		image = image[:i]
	}
	return image
}

// imageError is a container that has neither a command nor an image found
// in the image path: Waiting, reason ImageNotRunnable.
type imageError struct {
	image string
	path  []string
}

func (e *imageError) Error() string {
	return fmt.Sprintf("image %q is not a local program in the image path %v and the container has no command", e.image, e.path)
}

// startError is a failure to start a process (kubelet: RunContainerError).
type startError struct{ err error }

func (e *startError) Error() string { return e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

// resolveImage finds the image's program in the image path dirs.
func resolveImage(image string, dirs []string) (string, error) {
	name := imageProgramName(image)
	if name != "" && name != "." && name != ".." {
		for _, dir := range dirs {
			p := filepath.Join(dir, name)
			if findExecutable(p) == nil {
				if abs, err := filepath.Abs(p); err == nil {
					p = abs
				}
				return p, nil
			}
		}
	}
	return "", &imageError{image: image, path: dirs}
}

// lookPath finds a command as a runtime does: a name with a slash is a path
// (relative to the working directory), any other is looked up in the
// container's PATH. Errors read as exec's: `exec: "nope": executable file
// not found in $PATH`.
func lookPath(file, pathEnv, dir string) (string, error) {
	if strings.Contains(file, "/") {
		p := file
		if !filepath.IsAbs(p) && dir != "" {
			p = filepath.Join(dir, p)
		}
		if err := findExecutable(p); err != nil {
			return "", &exec.Error{Name: file, Err: err}
		}
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		return p, nil
	}
	for _, d := range filepath.SplitList(pathEnv) {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, file)
		if !filepath.IsAbs(p) && dir != "" {
			p = filepath.Join(dir, p)
		}
		if findExecutable(p) == nil {
			if abs, err := filepath.Abs(p); err == nil {
				p = abs
			}
			return p, nil
		}
	}
	return "", &exec.Error{Name: file, Err: exec.ErrNotFound}
}

func findExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return syscall.EISDIR
	}
	if fi.Mode()&0o111 == 0 {
		return fs.ErrPermission
	}
	return nil
}

// launch is everything needed to start one process of a container.
type launch struct {
	program string   // resolved path of the program
	args    []string // arguments after the program
	env     []string // NAME=value
	dir     string   // working directory ("" = the runner's)
	netns   string   // network namespace path ("" = the runner's)
}

// command builds the exec.Cmd for l; stdout and stderr go to out (nil:
// /dev/null). The process leads a new process group.
func (l *launch) command(nsenter string, out *os.File) (*exec.Cmd, error) {
	argv := append([]string{l.program}, l.args...)
	if l.netns != "" {
		if nsenter == "" {
			return nil, fmt.Errorf("cannot enter network namespace %s: nsenter not found", l.netns)
		}
		argv = append([]string{nsenter, "--net=" + l.netns, "--"}, argv...)
	}
	cmd := &exec.Cmd{
		Path: argv[0],
		Args: argv,
		Env:  l.env,
		Dir:  l.dir,
		// Pdeathsig: a runner that dies without stopping its pods (kill -9)
		// takes their leaders with it rather than leaving orphans that hold
		// the pods' addresses and ports.
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL},
	}
	if out != nil {
		cmd.Stdout, cmd.Stderr = out, out
	}
	return cmd, nil
}

// signalGroup sends sig to the process group pgid; a group already gone is
// not an error.
func signalGroup(pgid int, sig syscall.Signal) {
	if pgid <= 0 {
		return
	}
	_ = syscall.Kill(-pgid, sig)
}

// groupAlive reports whether the process group pgid still has a member
// that is not a zombie (an orphaned zombie may wait long for a reaper that
// is not there).
func groupAlive(pgid int) bool {
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, _ := strconv.Atoi(f[2]); g == pgid {
			return true
		}
	}
	return false
}

// waitGroupGone waits until the group has no live member or ctx ends.
func waitGroupGone(ctx context.Context, pgid int) error {
	for groupAlive(pgid) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// exitStatus turns a process's end into kube's terms: exit code (128+n for
// a signal), reason Completed or Error.
func exitStatus(st *os.ProcessState) (code int32, reason string) {
	if st == nil {
		return 128, "Error"
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int32(ws.Signal()), "Error"
	}
	code = int32(st.ExitCode())
	if code == 0 {
		return 0, "Completed"
	}
	return code, "Error"
}

// runCommand runs a short-lived process (exec probe, exec hook) to its end
// or ctx's: on ctx's end its whole group is killed. It returns the combined
// output (at most limit bytes) and the exit code; err is set when the
// process could not run or ctx ended first.
func runCommand(ctx context.Context, l *launch, nsenter string, limit int) (out []byte, code int, err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, -1, err
	}
	cmd, err := l.command(nsenter, w)
	if err != nil {
		r.Close()
		w.Close()
		return nil, -1, err
	}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, -1, err
	}
	w.Close()
	pgid := cmd.Process.Pid
	read := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(r, int64(limit)))
		_, _ = io.Copy(io.Discard, r)
		read <- b
	}()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-ctx.Done():
		signalGroup(pgid, syscall.SIGKILL)
		<-waited
		err = ctx.Err()
	}
	// Whatever the command left behind in its group goes with it; that
	// also closes the pipe's last writers.
	signalGroup(pgid, syscall.SIGKILL)
	r.SetReadDeadline(time.Now().Add(time.Second))
	out = <-read
	r.Close()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			c, _ := exitStatus(ee.ProcessState)
			return out, int(c), nil
		}
		return out, -1, err
	}
	return out, 0, nil
}

// tailLog returns the end of a log file as kube's FallbackToLogsOnError
// does: at most the last 80 lines and 2048 bytes.
func tailLog(path string) string {
	const maxBytes, maxLines = 2048, 80
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(fi.Size()-maxBytes, 0)
	b := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
		return ""
	}
	lines := strings.SplitAfter(string(b), "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return strings.Join(lines, "")
}

const (
	sigKill = syscall.SIGKILL
	sigTerm = syscall.SIGTERM
)

// openLog creates (truncating) a run's log file and its directory.
func openLog(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_APPEND, 0o640)
}

// prepare resolves a container's program, environment, command and args.
// Its errors are *imageError, *configError or *startError.
func (r *Runner) prepare(ctx context.Context, pod *corev1.Pod, c *corev1.Container, sb Sandbox) (*launch, error) {
	var svc map[string]string
	if r.cfg.ServiceEnv != nil {
		links := pod.Spec.EnableServiceLinks == nil || *pod.Spec.EnableServiceLinks
		m, err := r.cfg.ServiceEnv(ctx, pod.Namespace, links)
		if err != nil {
			return nil, &configError{err}
		}
		svc = m
	}
	env, skipped, err := buildEnv(ctx, r.cfg.Env, svc, pod, c, sb, r.hostIP(sb))
	if err != nil {
		return nil, err
	}
	for _, msg := range skipped {
		r.log.Warn(msg, "pod", pod.Name, "namespace", pod.Namespace, "container", c.Name)
	}
	lookup := mapLookup(env.asMap())
	command := expandAll(c.Command, lookup)
	args := expandAll(c.Args, lookup)
	addRuntimeEnv(env, sb)

	l := &launch{env: env.environ(), dir: c.WorkingDir, netns: sb.NetNS}
	if l.dir != "" {
		// Checked here: exec would blame the program for a missing dir.
		if fi, err := os.Stat(l.dir); err != nil || !fi.IsDir() {
			if err == nil {
				err = syscall.ENOTDIR
			} else if pe, ok := err.(*fs.PathError); ok {
				err = pe.Err
			}
			return nil, &startError{fmt.Errorf("chdir %s: %w", l.dir, err)}
		}
	}
	if len(command) > 0 {
		path, _ := env.get("PATH")
		prog, err := lookPath(command[0], path, c.WorkingDir)
		if err != nil {
			return nil, &startError{err}
		}
		l.program, l.args = prog, append(command[1:len(command):len(command)], args...)
	} else {
		prog, err := resolveImage(c.Image, r.cfg.ImagePath)
		if err != nil {
			return nil, err
		}
		l.program, l.args = prog, args
	}
	return l, nil
}

func (r *Runner) hostIP(sb Sandbox) string {
	if sb.HostIP != "" {
		return sb.HostIP
	}
	return r.cfg.HostIP
}

// nsenterPath returns nsenter's path, looked up once.
func (r *Runner) nsenterPathLocked() string {
	if r.nsenter == "" {
		if r.cfg.NSEnter != "" {
			r.nsenter = r.cfg.NSEnter
		} else if p, err := exec.LookPath("nsenter"); err == nil {
			r.nsenter = p
		}
	}
	return r.nsenter
}

// prepareFailedLocked records a preparation failure. An image or
// configuration problem leaves the container Waiting (no restart counted)
// and is retried after BackoffInitial; a missing command is a failed start.
func (r *Runner) prepareFailedLocked(p *podState, c *ctr, err error) {
	var se *startError
	if errors.As(err, &se) {
		r.startFailedLocked(p, c, "", err)
		return
	}
	reason := "CreateContainerConfigError"
	var ie *imageError
	if errors.As(err, &ie) {
		reason = imageNotRunnable
	}
	if c.waiting == nil || c.waiting.Reason != reason || c.waiting.Message != err.Error() {
		c.log.Warn("container cannot start", "reason", reason, "err", err)
	}
	c.waiting = &corev1.ContainerStateWaiting{Reason: reason, Message: err.Error()}
	c.retryAt = r.clock.Now().Add(r.cfg.BackoffInitial)
}

// newRunLocked opens a new run of c: restartCount, ID, log file. The
// previous run becomes lastState, and a restart after an exit advances the
// back-off.
func (r *Runner) newRunLocked(p *podState, c *ctr, program string) *proc {
	now := r.clock.Now()
	if c.cur != nil {
		if c.cur.exited {
			c.bo.next(c.cur.finishedAt, now, r.cfg.BackoffInitial, r.cfg.BackoffMax)
		}
		t := c.cur.term
		c.prevTerm, c.prevLog = &t, c.cur.logPath
	}
	n := c.attempts
	c.attempts++
	pr := &proc{
		n:         n,
		id:        fmt.Sprintf("portal://%s/%s/%d", p.uid, c.spec.Name, n),
		startedAt: now,
		done:      make(chan struct{}),
		trigger:   make(chan struct{}, 1),
	}
	if program != "" {
		pr.imageID = "portal://" + program
	}
	c.cur = pr
	c.waiting, c.retryAt = nil, time.Time{}
	c.started, c.readyResult, c.forceRestart = false, false, false
	r.rotateLogs(p, c, pr)
	return pr
}

// startFailedLocked records a run that could not start: Terminated with
// exit code 128 and reason StartError, and Waiting RunContainerError when
// it will be restarted (kubelet's wording for exec failures).
func (r *Runner) startFailedLocked(p *podState, c *ctr, program string, err error) {
	pr := c.cur
	if pr == nil || pr.exited || pr.cmd != nil {
		pr = r.newRunLocked(p, c, program)
	}
	now := r.clock.Now()
	pr.exited, pr.finishedAt = true, now
	pr.term = corev1.ContainerStateTerminated{
		ExitCode:    128,
		Reason:      "StartError",
		Message:     err.Error(),
		StartedAt:   metav1.NewTime(pr.startedAt),
		FinishedAt:  metav1.NewTime(now),
		ContainerID: pr.id,
	}
	close(pr.done)
	// The run has a (empty) log like any other, for kubectl logs.
	if f, err := openLog(pr.logPath); err == nil {
		f.Close()
	}
	c.log.Error("container failed to start", "err", err, "restartCount", pr.n)
	if r.shouldRestartLocked(p, c) {
		c.waiting = &corev1.ContainerStateWaiting{Reason: "RunContainerError", Message: err.Error()}
	}
	r.kick()
}

// startLocked starts a run of c with l. It never blocks on the process.
func (r *Runner) startLocked(p *podState, c *ctr, l *launch) {
	pr := r.newRunLocked(p, c, l.program)
	pr.launch = l
	f, err := openLog(pr.logPath)
	if err != nil {
		r.startFailedLocked(p, c, l.program, fmt.Errorf("open log: %w", err))
		return
	}
	cmd, err := l.command(r.nsenterPathLocked(), f)
	if err == nil {
		err = cmd.Start()
	}
	f.Close()
	if err != nil {
		r.startFailedLocked(p, c, l.program, err)
		return
	}
	pr.cmd, pr.pgid = cmd, cmd.Process.Pid
	r.metrics.started()
	c.log.Info("container started", "restartCount", pr.n, "pid", pr.pgid, "program", l.program)
	c.started = c.spec.StartupProbe == nil
	go r.wait(p, c, pr)
	r.startProbesLocked(p, c, pr)
}

// wait reaps a run's process, kills what is left of its group, and records
// the exit.
func (r *Runner) wait(p *podState, c *ctr, pr *proc) {
	_ = pr.cmd.Wait()
	signalGroup(pr.pgid, sigKill)
	now := r.clock.Now()
	code, reason := exitStatus(pr.cmd.ProcessState)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_ = waitGroupGone(ctx, pr.pgid)
	cancel()

	r.mu.Lock()
	pr.exited, pr.finishedAt = true, now
	pr.term = corev1.ContainerStateTerminated{
		ExitCode:    code,
		Reason:      reason,
		StartedAt:   metav1.NewTime(pr.startedAt),
		FinishedAt:  metav1.NewTime(now),
		ContainerID: pr.id,
	}
	if code != 0 && c.spec.TerminationMessagePolicy == corev1.TerminationMessageFallbackToLogsOnError {
		pr.term.Message = tailLog(pr.logPath)
	}
	if pr.cancel != nil {
		pr.cancel()
	}
	if c.cur == pr {
		c.started, c.readyResult = false, false
	}
	c.log.Info("container exited", "exitCode", code, "reason", reason, "restartCount", pr.n)
	r.refreshLocked(p)
	r.mu.Unlock()
	close(pr.done)
	r.kick()
}
