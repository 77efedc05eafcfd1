package runner

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// This file is the contract between the pod runner and the node agent that
// drives it. The agent watches the pods bound to its node and calls Sync on
// every change; the runner starts, watches, probes, restarts and stops the
// processes, and reports status back through Status and Changes.

// Sandbox is what the agent prepares for a pod before its containers run.
type Sandbox struct {
	// PodIP is the address the pod's processes bind ($POD_IP, status.podIP).
	PodIP string
	// ResolvConf is the path of the pod's resolv.conf (written by the agent);
	// offered to processes as $RESOLV_CONF in rootless mode.
	ResolvConf string
	// NetNS, when set, is the path of the pod's network namespace
	// (/var/run/netns/<name>); processes are started inside it.
	NetNS string
	// NodeName is the node the pod runs on (spec.nodeName).
	NodeName string
	// HostIP is the node's address (status.hostIP, the downward API's
	// status.hostIP); when empty the runner's Config.HostIP is used.
	HostIP string
}

// EnvSource resolves the ConfigMap and Secret references in env and envFrom.
type EnvSource interface {
	ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error)
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
}

// Interface is what the agent needs of a runner; *Runner implements it.
type Interface interface {
	// Sync makes the pod's processes match its spec: start containers not
	// running, leave running ones alone, restart per restartPolicy with
	// back-off. It is idempotent and cheap when nothing changed, and does
	// not block on processes.
	Sync(ctx context.Context, pod *corev1.Pod, sb Sandbox) error
	// Terminate stops the pod's processes: SIGTERM, then SIGKILL after
	// grace. It returns once every process is gone (or ctx ends).
	Terminate(ctx context.Context, uid types.UID, grace time.Duration) error
	// Forget drops all state of a terminated pod (logs stay on disk).
	Forget(uid types.UID)
	// Status returns the pod status the runner observes: phase, conditions
	// (PodScheduled, Initialized, ContainersReady, Ready), containerStatuses
	// with state, ready, started and restartCount, and podIP(s) from the
	// Sandbox. ok is false for a pod the runner does not know.
	Status(uid types.UID) (status corev1.PodStatus, ok bool)
	// Changes delivers the UID of a pod whose observed status changed
	// (process exit, probe result, restart). It is closed when Run returns.
	Changes() <-chan types.UID
	// LogPath returns the log file of a container (current run; previous
	// with previous=true), for the pods/log endpoint.
	LogPath(uid types.UID, container string, previous bool) (string, bool)
	// Run runs the probe and restart machinery until ctx ends.
	Run(ctx context.Context) error
}
