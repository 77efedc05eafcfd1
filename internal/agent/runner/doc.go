// Package runner runs a pod's containers as local processes: it expands
// command and args with Kubernetes' $(VAR) rules, builds the environment
// (env, envFrom, the downward API, ConfigMap and Secret references), honours
// workingDir, writes each container's output to a log file, restarts
// containers per restartPolicy with back-off, runs startup, readiness and
// liveness probes (httpGet, tcpSocket, exec), and stops pods gracefully.
// It reports what it observes as a corev1.PodStatus.
//
// An image is a local program: a container with no command runs the program
// named after the image (registry and tag stripped) found in the configured
// image path. A container with neither is left Waiting with reason
// ImageNotRunnable; it is never faked as running.
//
// The runner owns processes and their status only. It must not talk to the
// API server: the agent (internal/agent) feeds it pods and publishes its
// status. api.go is the contract between the two.
package runner
