package runner

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// This file runs startup, readiness and liveness probes as the kubelet's
// prober workers do. Each probe of each run has its own goroutine, so a
// probe that hangs delays nobody else, and every check (exec, httpGet,
// tcpSocket, grpc) is bounded by timeoutSeconds. A readiness worker probes
// at once, liveness and startup workers one period after the start; then
// every periodSeconds, skipping while the run is younger than
// initialDelaySeconds, and readiness and liveness until the startup probe
// passed. A result counts
// once it repeats successThreshold (success) or failureThreshold (failure)
// times in a row; a probe that could not be run (say, a named port the
// container does not declare) counts for nothing.
//
// Initial results: readiness failure (not ready until a success), liveness
// success, startup none (not started until a success). A liveness or
// startup failure kills the run (preStop, SIGTERM, SIGKILL after the
// probe's or pod's grace) and restarts it unless restartPolicy is Never;
// that probe then holds until the next run.

// probeUserAgent is the User-Agent of HTTP and gRPC probes, kube's for
// 1.37.
const probeUserAgent = "kube-probe/1.37"

// maxProbeOutput bounds what is read of a probe's output or body.
const maxProbeOutput = 10 * 1024

type probeKind int

const (
	startupProbe probeKind = iota
	readinessProbe
	livenessProbe
)

func (k probeKind) String() string {
	return [...]string{"startup", "readiness", "liveness"}[k]
}

type result int

const (
	unknown result = iota
	success
	failure
)

func (r result) String() string {
	return [...]string{"unknown", "success", "failure"}[r]
}

// worker is the counting state of one probe worker.
type worker struct {
	last   result
	run    int
	onHold bool
}

// startProbesLocked starts the probe workers of a run; without Run yet
// they start when Run does.
func (r *Runner) startProbesLocked(p *podState, c *ctr, pr *proc) {
	if r.runCtx == nil || pr.probing || pr.exited {
		return
	}
	probes := []struct {
		kind probeKind
		spec *corev1.Probe
	}{
		{startupProbe, c.spec.StartupProbe},
		{readinessProbe, c.spec.ReadinessProbe},
		{livenessProbe, c.spec.LivenessProbe},
	}
	ctx, cancel := context.WithCancel(r.runCtx)
	pr.cancel, pr.probing = cancel, true
	for _, pb := range probes {
		if pb.spec == nil {
			continue
		}
		spec := pb.spec.DeepCopy()
		kind := pb.kind
		r.workers.Add(1)
		go func() {
			defer r.workers.Done()
			r.probeWorker(ctx, p, c, pr, kind, spec)
		}()
	}
}

func seconds(v, def int32) time.Duration {
	if v <= 0 {
		v = def
	}
	return time.Duration(v) * time.Second
}

func threshold(v, def int32) int {
	if v <= 0 {
		return int(def)
	}
	return int(v)
}

// probeWorker probes one run until it ends (or, for startup, until it
// started).
func (r *Runner) probeWorker(ctx context.Context, p *podState, c *ctr, pr *proc, kind probeKind, spec *corev1.Probe) {
	ticker := r.clock.NewTicker(seconds(spec.PeriodSeconds, 10))
	defer ticker.Stop()
	var trigger <-chan struct{}
	if kind == readinessProbe {
		trigger = pr.trigger
	}
	w := &worker{}
	if kind != readinessProbe {
		// The kubelet's probe ticker runs independently of the container,
		// so its first liveness or startup probe lands somewhere within
		// the first period after the start, never at the very instant the
		// process was launched (which would kill any server that had not
		// bound its port yet). portal takes the end of that period.
		// Readiness probes at once: a failure only confirms the initial
		// not-ready state, and a success makes the pod ready sooner.
		select {
		case <-ctx.Done():
			return
		case <-ticker.C():
		}
	}
	for r.probeOnce(ctx, p, c, pr, kind, spec, w) {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C():
		case <-trigger:
		}
	}
}

// probeOnce runs one period of a worker; false ends the worker.
func (r *Runner) probeOnce(ctx context.Context, p *podState, c *ctr, pr *proc, kind probeKind, spec *corev1.Probe, w *worker) bool {
	r.mu.Lock()
	if c.cur != pr || pr.exited || ctx.Err() != nil {
		r.mu.Unlock()
		return false
	}
	started := c.started
	age := r.clock.Since(pr.startedAt)
	podIP := p.sb.PodIP
	nsenter := r.nsenterPathLocked()
	cspec := c.spec
	r.mu.Unlock()

	switch {
	case kind == startupProbe && started:
		return false
	case kind != startupProbe && !started:
		return true
	case age < time.Duration(spec.InitialDelaySeconds)*time.Second:
		return true
	case w.onHold:
		return true
	}

	pctx, cancel := context.WithTimeout(ctx, seconds(spec.TimeoutSeconds, 1))
	res, msg := check(pctx, &spec.ProbeHandler, &cspec, pr.launch, podIP, nsenter)
	cancel()
	if ctx.Err() != nil {
		return false
	}
	r.metrics.probed(kind, res)
	if res == unknown {
		c.log.Debug("probe errored", "probe", kind.String(), "err", msg)
		return true
	}
	if res == failure {
		c.log.Debug("probe failed", "probe", kind.String(), "output", msg)
	}
	if res == w.last {
		w.run++
	} else {
		w.last, w.run = res, 1
	}
	if (res == failure && w.run < threshold(spec.FailureThreshold, 3)) ||
		(res == success && w.run < threshold(spec.SuccessThreshold, 1)) {
		return true
	}
	r.setProbeResult(p, c, pr, kind, res, msg, spec)
	if kind != readinessProbe && res == failure {
		w.onHold, w.run = true, 0
	}
	return true
}

// setProbeResult applies a probe result that crossed its threshold.
func (r *Runner) setProbeResult(p *podState, c *ctr, pr *proc, kind probeKind, res result, msg string, spec *corev1.Probe) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.cur != pr || pr.exited || p.terminating {
		return
	}
	switch {
	case kind == startupProbe && res == success:
		if !c.started {
			c.started = true
			c.log.Info("startup probe succeeded")
			select {
			case pr.trigger <- struct{}{}:
			default:
			}
			r.kick() // a started sidecar lets the next init container run
		}
	case kind == readinessProbe:
		if ready := res == success; ready != c.readyResult {
			c.readyResult = ready
			c.log.Info("readiness changed", "ready", ready, "output", msg)
		}
	case res == failure: // liveness or startup
		grace := podGrace(p.pod)
		if spec.TerminationGracePeriodSeconds != nil {
			grace = time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
		}
		c.forceRestart = restartPolicy(p.pod) != corev1.RestartPolicyNever
		word := "failed " + kind.String() + " probe"
		if c.forceRestart {
			word += ", will be restarted"
		}
		c.log.Info("container "+word, "output", msg)
		r.stopAsync(p, c, pr, grace)
	}
	r.refreshLocked(p)
}

// check runs one probe or hook handler.
func check(ctx context.Context, h *corev1.ProbeHandler, spec *corev1.Container, l *launch, podIP, nsenter string) (result, string) {
	switch {
	case h.Exec != nil:
		return execCheck(ctx, h.Exec.Command, spec, l, nsenter)
	case h.HTTPGet != nil:
		return httpCheck(ctx, h.HTTPGet, spec, podIP)
	case h.TCPSocket != nil:
		return tcpCheck(ctx, h.TCPSocket, spec, podIP)
	case h.GRPC != nil:
		return grpcCheck(ctx, h.GRPC, podIP)
	}
	return unknown, "probe has no handler"
}

// execCheck runs a command in the run's environment, working directory
// and network namespace. Its $(VAR)s are expanded against the spec's
// literal env values, as the kubelet does. Exit 0 is success; another code,
// a command that cannot run, or the timeout is failure.
func execCheck(ctx context.Context, command []string, spec *corev1.Container, l *launch, nsenter string) (result, string) {
	if l == nil {
		return unknown, "container is not running"
	}
	if len(command) == 0 {
		return failure, "exec: no command"
	}
	static := map[string]string{}
	for _, e := range spec.Env {
		static[e.Name] = e.Value
	}
	argv := expandAll(command, mapLookup(static))
	pathEnv := defaultPath
	for _, kv := range l.env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathEnv = v
		}
	}
	prog, err := lookPath(argv[0], pathEnv, l.dir)
	if err != nil {
		return failure, err.Error()
	}
	el := &launch{program: prog, args: argv[1:], env: l.env, dir: l.dir, netns: l.netns}
	out, code, err := runCommand(ctx, el, nsenter, maxProbeOutput)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return failure, fmt.Sprintf("command %q timed out", strings.Join(argv, " "))
	case err != nil:
		return failure, err.Error()
	case code != 0:
		return failure, strings.TrimSpace(string(out))
	}
	return success, string(out)
}

// resolvePort turns a probe's port (number or the name of one of the
// container's ports) into a number.
func resolvePort(port intstr.IntOrString, spec *corev1.Container) (int, error) {
	n := -1
	if port.Type == intstr.String {
		for _, p := range spec.Ports {
			if p.Name == port.StrVal {
				n = int(p.ContainerPort)
			}
		}
		if n < 0 {
			if v, err := strconv.Atoi(port.StrVal); err == nil {
				n = v
			} else {
				return -1, fmt.Errorf("couldn't find port: %v in %v", port.StrVal, spec.Name)
			}
		}
	} else {
		n = port.IntValue()
	}
	if n <= 0 || n > 65535 {
		return -1, fmt.Errorf("invalid port number: %v", n)
	}
	return n, nil
}

// httpCheck GETs the probe's URL (host defaults to the pod IP; HTTPS is
// not verified). 200–399 is success; redirects are followed on the same
// host only (a redirect elsewhere counts as success, kube's warning).
func httpCheck(ctx context.Context, a *corev1.HTTPGetAction, spec *corev1.Container, podIP string) (result, string) {
	port, err := resolvePort(a.Port, spec)
	if err != nil {
		return unknown, err.Error()
	}
	scheme := strings.ToLower(string(a.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	host := a.Host
	if host == "" {
		host = podIP
	}
	u, err := url.Parse(a.Path)
	if err != nil {
		u = &url.URL{Path: a.Path}
	}
	u.Scheme, u.Host = scheme, net.JoinHostPort(host, strconv.Itoa(port))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return unknown, err.Error()
	}
	headers := http.Header{}
	for _, h := range a.HTTPHeaders {
		headers.Add(h.Name, h.Value)
	}
	if _, ok := headers["User-Agent"]; !ok {
		headers.Set("User-Agent", probeUserAgent)
	}
	if _, ok := headers["Accept"]; !ok {
		headers.Set("Accept", "*/*")
	} else if headers.Get("Accept") == "" {
		headers.Del("Accept")
	}
	req.Header = headers
	req.Host = headers.Get("Host")

	client := &http.Client{
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // probes do not verify, as kube's
			DisableKeepAlives: true,
			Proxy:             nil,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Hostname() != via[0].URL.Hostname() || len(via) >= 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	defer client.CloseIdleConnections()
	res, err := client.Do(req)
	if err != nil {
		return failure, err.Error()
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxProbeOutput))
	if res.StatusCode >= http.StatusOK && res.StatusCode < http.StatusBadRequest {
		return success, string(body)
	}
	return failure, fmt.Sprintf("HTTP probe failed with statuscode: %d", res.StatusCode)
}

// grpcCheck calls the gRPC health service (grpc.health.v1) on the pod IP:
// SERVING is success; any other answer, error or the timeout is failure.
func grpcCheck(ctx context.Context, a *corev1.GRPCAction, podIP string) (result, string) {
	addr := net.JoinHostPort(podIP, strconv.Itoa(int(a.Port)))
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUserAgent(probeUserAgent))
	if err != nil {
		return failure, fmt.Sprintf("failed to connect service %q: %v", addr, err)
	}
	defer conn.Close()
	service := ""
	if a.Service != nil {
		service = *a.Service
	}
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return failure, "timeout: health rpc did not complete within the probe's timeout"
		}
		return failure, fmt.Sprintf("error: health rpc probe failed: %v", err)
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return failure, fmt.Sprintf("service unhealthy (responded with %q)", resp.GetStatus().String())
	}
	return success, "service healthy"
}

// tcpCheck connects to the probe's port (host defaults to the pod IP).
func tcpCheck(ctx context.Context, a *corev1.TCPSocketAction, spec *corev1.Container, podIP string) (result, string) {
	port, err := resolvePort(a.Port, spec)
	if err != nil {
		return unknown, err.Error()
	}
	host := a.Host
	if host == "" {
		host = podIP
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return failure, err.Error()
	}
	conn.Close()
	return success, ""
}
