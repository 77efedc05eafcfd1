package agent

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/portal-dev/portal/internal/agent/runner"
)

// logPollInterval is how often a followed log file is checked for more.
const logPollInterval = 100 * time.Millisecond

// logHandler serves, as kubelet's server does on its port:
//
//	GET /containerLogs/<namespace>/<pod>/<container>  a container's log
//	GET /metrics                                       the agent's metrics
//	GET /healthz                                       ok
//
// The log endpoint takes kubelet's query parameters: follow, previous,
// timestamps, tailLines, limitBytes, sinceSeconds, sinceTime and stream.
// Errors are plain text with kubelet's wording, which the API server
// relays (a 400 becomes BadRequest, a 404 NotFound).
//
// The server does not authenticate: it listens on the node address, which
// is loopback by default. See docs/agent.md.
func (a *Agent) logHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", a.serveContainerLog)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.opts.Metrics, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	})
	return mux
}

// textError writes msg as kubelet does: plain text, no trailing newline
// (the API server quotes the body verbatim).
func (a *Agent) textError(w http.ResponseWriter, code int, msg string) {
	a.metrics.logRequests.WithLabelValues(strconv.Itoa(code)).Inc()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg))
}

func (a *Agent) serveContainerLog(w http.ResponseWriter, r *http.Request) {
	ns, name, container := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	opts, err := parseLogOptions(r.URL.Query(), time.Now())
	if err != nil {
		a.textError(w, http.StatusBadRequest, err.Error())
		return
	}
	pod, err := a.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		a.textError(w, http.StatusNotFound, fmt.Sprintf("pod %q does not exist", name))
		return
	}
	if err != nil {
		a.textError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if !podHasContainer(pod, container) {
		a.textError(w, http.StatusNotFound, fmt.Sprintf("container %q not found in pod %q", container, name))
		return
	}
	path, ok := a.runner.LogPath(pod.UID, container, opts.previous)
	if !ok {
		a.textError(w, http.StatusBadRequest, a.noLogReason(pod, container, opts.previous))
		return
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		a.textError(w, http.StatusBadRequest, a.noLogReason(pod, container, opts.previous))
		return
	}
	if err != nil {
		a.textError(w, http.StatusInternalServerError, fmt.Sprintf("failed to open log of container %q in pod %q: %v", container, name, err))
		return
	}
	defer f.Close()
	// The tail is taken when the request is answered, before the client
	// can see the stream start.
	if err := seekTail(f, opts); err != nil {
		a.textError(w, http.StatusInternalServerError, fmt.Sprintf("failed to read log of container %q in pod %q: %v", container, name, err))
		return
	}
	a.metrics.logRequests.WithLabelValues("200").Inc()
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	// A followed log ends when the container run that writes it is over.
	uid := pod.UID
	over := func() bool {
		cur, ok := a.runner.LogPath(uid, container, false)
		if !ok || cur != path {
			return true
		}
		return !containerRunning(a.runner, uid, container)
	}
	if opts.previous {
		opts.follow = false
	}
	err = copyLog(r.Context(), w, func() { _ = rc.Flush() }, f, opts, over, logPollInterval)
	if err != nil && r.Context().Err() == nil {
		a.log.Debug("log stream ended", "namespace", ns, "pod", name, "err", err)
	}
}

func podHasContainer(pod *corev1.Pod, name string) bool {
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range list {
			if c.Name == name {
				return true
			}
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == name {
			return true
		}
	}
	return false
}

// containerStatus finds a container's status in the runner's view, else
// in the pod's published status.
func (a *Agent) containerStatus(pod *corev1.Pod, container string) (corev1.ContainerStatus, bool) {
	st, ok := a.runner.Status(pod.UID)
	if !ok {
		st = pod.Status
	}
	return findContainerStatus(st, container)
}

func findContainerStatus(st corev1.PodStatus, container string) (corev1.ContainerStatus, bool) {
	for _, list := range [][]corev1.ContainerStatus{st.InitContainerStatuses, st.ContainerStatuses, st.EphemeralContainerStatuses} {
		for _, cs := range list {
			if cs.Name == container {
				return cs, true
			}
		}
	}
	return corev1.ContainerStatus{}, false
}

func containerRunning(r runner.Interface, uid types.UID, container string) bool {
	st, ok := r.Status(uid)
	if !ok {
		return false
	}
	cs, ok := findContainerStatus(st, container)
	return ok && cs.State.Running != nil
}

// noLogReason says why a container has no log, in kubelet's words.
func (a *Agent) noLogReason(pod *corev1.Pod, container string, previous bool) string {
	if previous {
		return fmt.Sprintf("previous terminated container %q in pod %q not found", container, pod.Name)
	}
	cs, ok := a.containerStatus(pod, container)
	switch {
	case !ok:
		return fmt.Sprintf("container %q in pod %q is waiting to start: ContainerCreating", container, pod.Name)
	case cs.State.Waiting != nil && cs.State.Waiting.Reason != "":
		return fmt.Sprintf("container %q in pod %q is waiting to start: %s", container, pod.Name, cs.State.Waiting.Reason)
	case cs.State.Terminated != nil:
		return fmt.Sprintf("container %q in pod %q is terminated", container, pod.Name)
	}
	return fmt.Sprintf("container %q in pod %q is waiting to start - no logs yet", container, pod.Name)
}
