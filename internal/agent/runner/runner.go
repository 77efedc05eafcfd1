package runner

import (
	"context"
	"errors"
	"log/slog"
	"os/exec"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
)

// Config configures a Runner. Only RootDir is required.
type Config struct {
	// RootDir holds the runner's files: <RootDir>/pods/<uid>/<container>/
	// <restartCount>.log is the output of one run of a container.
	RootDir string
	// ImagePath lists the directories searched for an image's program (a
	// container without command runs the program named after its image).
	ImagePath []string
	// Env resolves ConfigMap and Secret references; nil makes every such
	// reference a CreateContainerConfigError (optional ones are skipped).
	Env EnvSource
	// ServiceEnv, when set, returns the service environment variables
	// (FOO_SERVICE_HOST, ...) of a namespace, as the kubelet injects them;
	// enableServiceLinks is the pod's spec.enableServiceLinks (default
	// true). Optional.
	ServiceEnv func(ctx context.Context, namespace string, enableServiceLinks bool) (map[string]string, error)
	// HostIP is status.hostIP when the Sandbox carries none.
	HostIP string
	// Log receives the runner's logs (default slog.Default()), with keys
	// pod, namespace, container and err.
	Log *slog.Logger
	// Clock is the time source of back-off, probes and grace periods
	// (default the real clock).
	Clock clock.WithTicker
	// BackoffInitial and BackoffMax bound the crash-loop back-off (kubelet:
	// 10s doubling up to 5m, reset after a run of 2×BackoffMax). Zero means
	// the kubelet's value. BackoffInitial is also the period at which a
	// container Waiting for its image or configuration is retried.
	BackoffInitial, BackoffMax time.Duration
	// Metrics, when set, registers the runner's Prometheus counters.
	Metrics prometheus.Registerer
	// NSEnter is the nsenter(1) used to start processes in a pod's network
	// namespace (default: looked up in PATH when first needed).
	NSEnter string
}

// Runner runs pods' containers as local processes; see the package doc.
// It is safe for concurrent use.
type Runner struct {
	cfg     Config
	log     *slog.Logger
	clock   clock.WithTicker
	metrics *metrics

	mu      sync.Mutex
	pods    map[types.UID]*podState
	dirty   map[types.UID]struct{}
	runCtx  context.Context // set while Run runs: the probe workers' parent
	ran     bool
	nsenter string
	workers sync.WaitGroup // probe workers: Run waits for them

	wake    chan struct{} // kicks the Run loop
	notify  chan struct{} // kicks the delivery of Changes
	changes chan types.UID
}

var _ Interface = (*Runner)(nil)

// New returns a Runner; it starts nothing (see Run).
func New(cfg Config) *Runner {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.BackoffInitial <= 0 {
		cfg.BackoffInitial = 10 * time.Second
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 5 * time.Minute
	}
	if cfg.BackoffMax < cfg.BackoffInitial {
		cfg.BackoffMax = cfg.BackoffInitial
	}
	return &Runner{
		cfg:     cfg,
		log:     cfg.Log,
		clock:   cfg.Clock,
		metrics: newMetrics(cfg.Metrics),
		pods:    map[types.UID]*podState{},
		dirty:   map[types.UID]struct{}{},
		wake:    make(chan struct{}, 1),
		notify:  make(chan struct{}, 1),
		changes: make(chan types.UID, 64),
	}
}

// podState is what the runner knows of one pod. Its fields are guarded by
// Runner.mu, except syncMu, which serialises the pod's reconciliations.
type podState struct {
	uid    types.UID
	syncMu sync.Mutex
	pod    *corev1.Pod
	sb     Sandbox
	log    *slog.Logger

	startTime metav1.Time
	init, app []*ctr
	// initialized: every init container completed once; they never run
	// again (regular containers may start).
	initialized bool
	// finished: the pod's regular containers are done for good (or an init
	// container failed under restartPolicy Never): nothing starts again and
	// sidecars are being stopped.
	finished    bool
	terminating bool // Terminate was called: nothing starts again
	terminated  bool // Terminate returned: every process is gone

	status   corev1.PodStatus // last observed status
	nextWake time.Time        // when a back-off or retry falls due
}

// ctr is one container of a pod.
type ctr struct {
	spec          corev1.Container
	init, sidecar bool
	log           *slog.Logger

	attempts int32 // processes started or tried: the next run's restartCount
	cur      *proc // the latest run (running or ended); nil before the first
	prevTerm *corev1.ContainerStateTerminated
	prevLog  string

	// waiting overrides the state while the container is not running:
	// ImageNotRunnable, CreateContainerConfigError, RunContainerError,
	// CrashLoopBackOff.
	waiting      *corev1.ContainerStateWaiting
	retryAt      time.Time // a failed preparation is retried then
	bo           backoff
	started      bool // startup probe passed (or none) for cur
	readyResult  bool // last readiness result of cur is success
	forceRestart bool // cur was killed to be restarted (probe, new image)
	starting     bool // a reconciliation is preparing its start
}

// proc is one run of a container.
type proc struct {
	n       int32  // restartCount of this run
	id      string // containerID: portal://<uid>/<name>/<n>
	imageID string // portal://<program path>
	cmd     *exec.Cmd
	pgid    int
	launch  *launch
	logPath string

	startedAt  time.Time
	exited     bool
	finishedAt time.Time
	term       corev1.ContainerStateTerminated
	done       chan struct{} // closed when the process and its group are gone

	cancel   context.CancelFunc // stops the probe workers
	probing  bool
	trigger  chan struct{} // runs the readiness probe at once
	hookDone bool          // preStop ran (once per run)
}

func (c *ctr) running() bool { return c.cur != nil && !c.cur.exited }

// Changes implements Interface.
func (r *Runner) Changes() <-chan types.UID { return r.changes }

// kick wakes the Run loop.
func (r *Runner) kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// markDirtyLocked queues a change notification for uid.
func (r *Runner) markDirtyLocked(uid types.UID) {
	r.dirty[uid] = struct{}{}
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// Sync implements Interface. It records the pod and its sandbox and starts
// what is due now; back-offs and retries fall due in Run.
func (r *Runner) Sync(ctx context.Context, pod *corev1.Pod, sb Sandbox) error {
	if pod == nil || pod.UID == "" {
		return errors.New("runner: Sync of a pod without UID")
	}
	r.mu.Lock()
	p, ok := r.pods[pod.UID]
	if !ok {
		p = &podState{
			uid: pod.UID,
			log: r.log.With("pod", pod.Name, "namespace", pod.Namespace),
		}
		p.startTime = metav1.NewTime(r.clock.Now())
		if pod.Status.StartTime != nil {
			p.startTime = *pod.Status.StartTime
		}
		r.pods[pod.UID] = p
	}
	if p.terminating {
		r.mu.Unlock()
		return nil
	}
	changed := !ok || p.sb != sb || p.pod.ResourceVersion != pod.ResourceVersion || pod.ResourceVersion == ""
	if changed {
		r.setSpecLocked(p, pod.DeepCopy(), sb)
	}
	r.refreshLocked(p)
	r.mu.Unlock()

	r.reconcile(ctx, p)
	r.kick()
	return nil
}

// setSpecLocked installs a new revision of the pod. Containers are matched
// by name; a running container whose image changed is restarted, as the
// kubelet restarts a container whose spec hash changed.
func (r *Runner) setSpecLocked(p *podState, pod *corev1.Pod, sb Sandbox) {
	p.pod, p.sb = pod, sb
	match := func(old []*ctr, specs []corev1.Container, init bool) []*ctr {
		byName := map[string]*ctr{}
		for _, c := range old {
			byName[c.spec.Name] = c
		}
		out := make([]*ctr, 0, len(specs))
		for _, s := range specs {
			c, ok := byName[s.Name]
			if !ok {
				c = &ctr{init: init, log: p.log.With("container", s.Name)}
			}
			delete(byName, s.Name)
			if ok && c.running() && c.spec.Image != s.Image {
				c.log.Info("container image changed, will be restarted", "image", s.Image)
				c.forceRestart = true
				r.stopAsync(p, c, c.cur, podGrace(pod))
			}
			c.spec = s
			c.sidecar = init && s.RestartPolicy != nil && *s.RestartPolicy == corev1.ContainerRestartPolicyAlways
			// A changed pod may have fixed what a preparation lacked.
			if c.waiting != nil && (c.waiting.Reason == imageNotRunnable || c.waiting.Reason == "CreateContainerConfigError") {
				c.retryAt = time.Time{}
			}
			out = append(out, c)
		}
		for _, c := range byName {
			if c.running() {
				r.stopAsync(p, c, c.cur, podGrace(pod))
			}
		}
		return out
	}
	p.init = match(p.init, pod.Spec.InitContainers, true)
	p.app = match(p.app, pod.Spec.Containers, false)
}

// podGrace is the pod's termination grace period (default 30s).
func podGrace(pod *corev1.Pod) time.Duration {
	if g := pod.Spec.TerminationGracePeriodSeconds; g != nil {
		return time.Duration(*g) * time.Second
	}
	return 30 * time.Second
}

// restartPolicy returns the pod's restart policy (default Always).
func restartPolicy(pod *corev1.Pod) corev1.RestartPolicy {
	if pod.Spec.RestartPolicy == "" {
		return corev1.RestartPolicyAlways
	}
	return pod.Spec.RestartPolicy
}

// Status implements Interface.
func (r *Runner) Status(uid types.UID) (corev1.PodStatus, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.pods[uid]
	if !ok {
		return corev1.PodStatus{}, false
	}
	return *p.status.DeepCopy(), true
}

// LogPath implements Interface: the log of the latest run of the container
// (running or ended), or of the run before it with previous.
func (r *Runner) LogPath(uid types.UID, container string, previous bool) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.pods[uid]
	if !ok {
		return "", false
	}
	for _, c := range append(append([]*ctr{}, p.init...), p.app...) {
		if c.spec.Name != container {
			continue
		}
		if previous {
			return c.prevLog, c.prevLog != ""
		}
		if c.cur == nil || c.cur.logPath == "" {
			return "", false
		}
		return c.cur.logPath, true
	}
	return "", false
}

// Forget implements Interface. A pod forgotten before Terminate returned
// has its remaining processes killed (SIGKILL) rather than leaked.
func (r *Runner) Forget(uid types.UID) {
	r.mu.Lock()
	p, ok := r.pods[uid]
	delete(r.pods, uid)
	delete(r.dirty, uid)
	if ok {
		p.terminating = true
		for _, c := range append(append([]*ctr{}, p.init...), p.app...) {
			if c.cur != nil && c.cur.cancel != nil {
				c.cur.cancel()
			}
			if c.running() {
				signalGroup(c.cur.pgid, sigKill)
			}
		}
	}
	r.mu.Unlock()
}

// Run implements Interface: it delivers Changes, starts containers whose
// back-off or retry falls due and runs the probes, until ctx ends. It may
// be called once.
func (r *Runner) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.ran {
		r.mu.Unlock()
		return errors.New("runner: Run called twice")
	}
	r.ran = true
	r.runCtx = ctx
	for _, p := range r.pods {
		for _, c := range append(append([]*ctr{}, p.init...), p.app...) {
			if c.running() {
				r.startProbesLocked(p, c, c.cur)
			}
		}
	}
	r.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.deliver(ctx)
	}()

	for {
		next := r.reconcileAll(ctx)
		var timer clock.Timer
		var due <-chan time.Time
		if !next.IsZero() {
			timer = r.clock.NewTimer(max(next.Sub(r.clock.Now()), time.Millisecond))
			due = timer.C()
		}
		select {
		case <-ctx.Done():
		case <-r.wake:
		case <-due:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			break
		}
	}
	wg.Wait()
	// Processes die with the runner: nothing adopts them after a restart,
	// and an orphan would keep its pod's address and ports.
	r.stopAll(shutdownGrace)
	r.workers.Wait()
	close(r.changes)
	return nil
}

// shutdownGrace bounds how long stopping the runner waits for each pod's
// processes to go after SIGTERM.
const shutdownGrace = 2 * time.Second

// stopAll terminates every pod's processes, all pods at once.
func (r *Runner) stopAll(grace time.Duration) {
	r.mu.Lock()
	uids := make([]types.UID, 0, len(r.pods))
	for uid := range r.pods {
		uids = append(uids, uid)
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, uid := range uids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), grace+time.Second)
			defer cancel()
			if err := r.Terminate(ctx, uid, grace); err != nil {
				r.log.Warn("stopping pod at shutdown", "pod", string(uid), "err", err)
			}
		}()
	}
	wg.Wait()
}

// deliver sends the UIDs of changed pods on Changes until ctx ends.
func (r *Runner) deliver(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.notify:
		}
		r.mu.Lock()
		uids := make([]types.UID, 0, len(r.dirty))
		for uid := range r.dirty {
			uids = append(uids, uid)
		}
		clear(r.dirty)
		r.mu.Unlock()
		for _, uid := range uids {
			select {
			case r.changes <- uid:
			case <-ctx.Done():
				return
			}
		}
	}
}

// reconcileAll reconciles every pod and returns the earliest time one has
// something falling due (zero: none).
func (r *Runner) reconcileAll(ctx context.Context) time.Time {
	r.mu.Lock()
	pods := make([]*podState, 0, len(r.pods))
	for _, p := range r.pods {
		pods = append(pods, p)
	}
	r.mu.Unlock()
	var next time.Time
	for _, p := range pods {
		if ctx.Err() != nil {
			break
		}
		r.reconcile(ctx, p)
		r.mu.Lock()
		if w := p.nextWake; !w.IsZero() && (next.IsZero() || w.Before(next)) {
			next = w
		}
		r.mu.Unlock()
	}
	return next
}

// reconcile starts the pod's containers that are due now, one at a time
// (init containers strictly in order), and records when the next falls due.
func (r *Runner) reconcile(ctx context.Context, p *podState) {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	r.mu.Lock()
	rounds := 2*(len(p.init)+len(p.app)) + 1
	r.mu.Unlock()
	for range rounds {
		r.mu.Lock()
		c := r.planLocked(p, r.clock.Now())
		if c == nil {
			r.refreshLocked(p)
			r.mu.Unlock()
			return
		}
		c.starting = true
		pod, sb, spec := p.pod, p.sb, c.spec
		r.mu.Unlock()

		l, err := r.prepare(ctx, pod, &spec, sb)

		r.mu.Lock()
		c.starting = false
		switch {
		case p.terminating || p.finished:
		case err != nil:
			r.prepareFailedLocked(p, c, err)
		default:
			r.startLocked(p, c, l)
		}
		r.refreshLocked(p)
		r.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
	}
}

// refreshLocked recomputes the pod's status and queues a change
// notification when it differs from the last one.
func (r *Runner) refreshLocked(p *podState) {
	if p.pod == nil {
		return
	}
	s := r.buildStatusLocked(p, r.clock.Now())
	if !statusEqual(&s, &p.status) {
		p.status = s
		if r.pods[p.uid] == p { // not forgotten
			r.markDirtyLocked(p.uid)
		}
	}
}
