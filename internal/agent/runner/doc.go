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
//
// # Processes
//
// Each run of a container is one process leading its own process group;
// signals go to the group, and when the leader exits whatever is left of
// the group is killed, as a container's processes die with its init. A
// descendant that leaves the group (setsid) escapes: there are no cgroups.
// The environment is the spec's only, plus what a runtime adds: PATH and
// HOME when the spec sets none, and in rootless mode (a pod without network
// namespace) RESOLV_CONF=<Sandbox.ResolvConf>, since /etc/resolv.conf cannot
// be the pod's, and POD_IP=<Sandbox.PodIP>, the 127.x address the pod must
// bind (kube sets no POD_IP; a spec that declares one wins). With Sandbox.NetNS set, processes (and exec probes
// and hooks) start through `nsenter --net=<path> --`, which needs the right
// to enter the namespace. Stdout and stderr of run n go to
// <RootDir>/pods/<uid>/<container>/<n>.log; the current and the previous
// run's logs are kept.
//
// # Status
//
// Phase, conditions and container states follow the kubelet: a missing
// program is a failed start (Terminated StartError, exit code 128; Waiting
// RunContainerError while it will be retried), restarts back off (Waiting
// CrashLoopBackOff "back-off 10s restarting failed container=..."), a
// missing ConfigMap or Secret is Waiting CreateContainerConfigError. The
// containerID of run n is portal://<uid>/<container>/<n> and the imageID
// portal://<program path>.
package runner
