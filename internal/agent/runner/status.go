package runner

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// This file renders what the runner observes as a corev1.PodStatus, with
// the kubelet's rules (kubelet_pods.go getPhase and
// convertToAPIContainerStatuses, status/generate.go).

// Condition reasons, as the kubelet words them.
const (
	reasonUnknownContainerStatuses = "UnknownContainerStatuses"
	reasonPodCompleted             = "PodCompleted"
	reasonPodFailed                = "PodFailed"
	reasonContainersNotReady       = "ContainersNotReady"
	reasonContainersNotInitialized = "ContainersNotInitialized"
	reasonReadinessGatesNotReady   = "ReadinessGatesNotReady"
)

// kubeletConditions are the conditions the kubelet owns; the pod's other
// conditions (readiness gates, DisruptionTarget, ...) are kept as the API
// has them.
var kubeletConditions = map[corev1.PodConditionType]bool{
	corev1.PodScheduled:              true,
	corev1.PodReady:                  true,
	corev1.PodInitialized:            true,
	corev1.ContainersReady:           true,
	corev1.PodReadyToStartContainers: true,
}

func isTerminalPhase(p corev1.PodPhase) bool {
	return p == corev1.PodSucceeded || p == corev1.PodFailed
}

// buildStatusLocked computes the pod's status at now.
func (r *Runner) buildStatusLocked(p *podState, now time.Time) corev1.PodStatus {
	pod := p.pod
	hasInit := len(pod.Spec.InitContainers) > 0
	s := corev1.PodStatus{
		ObservedGeneration: pod.Generation,
		QOSClass:           pod.Status.QOSClass,
		StartTime:          p.startTime.DeepCopy(),
	}
	if s.QOSClass == "" {
		s.QOSClass = qosClass(pod)
	}
	if ip := r.hostIP(p.sb); ip != "" {
		s.HostIP, s.HostIPs = ip, []corev1.HostIP{{IP: ip}}
	}
	if ip := p.sb.PodIP; ip != "" {
		s.PodIP, s.PodIPs = ip, []corev1.PodIP{{IP: ip}}
	}
	for _, c := range p.init {
		s.InitContainerStatuses = append(s.InitContainerStatuses, containerStatus(c, hasInit))
	}
	for _, c := range p.app {
		s.ContainerStatuses = append(s.ContainerStatuses, containerStatus(c, hasInit))
	}
	all := append(append([]corev1.ContainerStatus{}, s.InitContainerStatuses...), s.ContainerStatuses...)

	s.Phase = podPhase(pod, all, p.terminated, p.initialized)
	if !isTerminalPhase(s.Phase) {
		// Phases never leave Succeeded or Failed.
		switch {
		case isTerminalPhase(p.status.Phase):
			s.Phase = p.status.Phase
		case isTerminalPhase(pod.Status.Phase):
			s.Phase = pod.Status.Phase
		case p.terminated:
			s.Phase = corev1.PodFailed
		}
	}
	if s.Phase == pod.Status.Phase {
		s.Reason, s.Message = pod.Status.Reason, pod.Status.Message
	}

	for _, c := range pod.Status.Conditions {
		if !kubeletConditions[c.Type] {
			s.Conditions = append(s.Conditions, c)
		}
	}
	s.Conditions = append(s.Conditions, corev1.PodCondition{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue})
	if p.terminated {
		// The sandbox is gone with the processes.
		s.Conditions[len(s.Conditions)-1].Status = corev1.ConditionFalse
	}
	s.Conditions = append(s.Conditions, initializedCondition(pod, all, s.Phase))
	s.Conditions = append(s.Conditions, readyCondition(pod, s.Conditions, all, s.Phase))
	s.Conditions = append(s.Conditions, containersReadyCondition(pod, all, s.Phase))
	s.Conditions = append(s.Conditions, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue})
	for i := range s.Conditions {
		c := &s.Conditions[i]
		if !kubeletConditions[c.Type] {
			continue
		}
		c.ObservedGeneration = pod.Generation
		c.LastTransitionTime = metav1.NewTime(now)
		// A condition keeps its transition time while its status holds.
		old := findCondition(p.status.Conditions, c.Type)
		if old == nil {
			old = findCondition(pod.Status.Conditions, c.Type)
		}
		if old != nil && old.Status == c.Status && !old.LastTransitionTime.IsZero() {
			c.LastTransitionTime = old.LastTransitionTime
		}
	}
	return s
}

// statusEqual compares two statuses, transition times included.
func statusEqual(a, b *corev1.PodStatus) bool {
	return apiequality.Semantic.DeepEqual(a, b)
}

func findCondition(cs []corev1.PodCondition, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range cs {
		if cs[i].Type == t {
			return &cs[i]
		}
	}
	return nil
}

// containerStatus renders one container. Before its first run it is
// Waiting (PodInitializing in a pod with init containers, else
// ContainerCreating, or the reason it cannot start). While not running
// after a run it is Terminated, or Waiting with the run as lastState when
// it will run again (CrashLoopBackOff, RunContainerError, ...).
func containerStatus(c *ctr, hasInit bool) corev1.ContainerStatus {
	started := false
	cs := corev1.ContainerStatus{Name: c.spec.Name, Image: c.spec.Image, Started: &started}
	pr := c.cur
	if pr == nil {
		switch {
		case c.waiting != nil:
			cs.State.Waiting = c.waiting.DeepCopy()
		case hasInit:
			cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "PodInitializing"}
		default:
			cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
		}
		return cs
	}
	cs.RestartCount = pr.n
	cs.ContainerID = pr.id
	cs.ImageID = pr.imageID
	switch {
	case !pr.exited:
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(pr.startedAt)}
		if c.prevTerm != nil {
			cs.LastTerminationState.Terminated = c.prevTerm.DeepCopy()
		}
		started = c.started
		if !c.init || c.sidecar {
			cs.Ready = started && (c.spec.ReadinessProbe == nil || c.readyResult)
		}
	case c.waiting != nil:
		cs.State.Waiting = c.waiting.DeepCopy()
		cs.LastTerminationState.Terminated = pr.term.DeepCopy()
	default:
		cs.State.Terminated = pr.term.DeepCopy()
		if c.prevTerm != nil {
			cs.LastTerminationState.Terminated = c.prevTerm.DeepCopy()
		}
		// A completed regular init container is ready.
		cs.Ready = c.init && !c.sidecar && pr.term.ExitCode == 0
	}
	return cs
}

func statusOf(all []corev1.ContainerStatus, name string) (corev1.ContainerStatus, bool) {
	for _, s := range all {
		if s.Name == name {
			return s, true
		}
	}
	return corev1.ContainerStatus{}, false
}

func isSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// podPhase is the kubelet's getPhase: Pending while init containers or
// containers have yet to run, Running while one runs (or all are being
// restarted), Succeeded/Failed when all are done for good.
func podPhase(pod *corev1.Pod, all []corev1.ContainerStatus, podIsTerminal, podHasInitialized bool) corev1.PodPhase {
	spec := &pod.Spec
	pendingInit, pendingSidecars, failedInit := 0, 0, 0
	unknown, running, waiting, stopped, succeeded := 0, 0, 0, 0, 0
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		s, ok := statusOf(all, c.Name)
		if isSidecar(c) {
			switch {
			case !ok:
				unknown++
			case s.State.Running != nil:
				if s.Started == nil || !*s.Started {
					pendingSidecars++
				}
				running++
			case s.State.Terminated != nil:
			case s.State.Waiting != nil:
				if s.LastTerminationState.Terminated == nil {
					pendingSidecars++
					waiting++
				}
			default:
				pendingSidecars++
				unknown++
			}
			continue
		}
		switch {
		case !ok, s.State.Running != nil:
			pendingInit++
		case s.State.Terminated != nil:
			if s.State.Terminated.ExitCode != 0 {
				failedInit++
			}
		case s.State.Waiting != nil:
			if t := s.LastTerminationState.Terminated; t != nil {
				if t.ExitCode != 0 {
					failedInit++
				}
			} else {
				pendingInit++
			}
		default:
			pendingInit++
		}
	}
	for i := range spec.Containers {
		s, ok := statusOf(all, spec.Containers[i].Name)
		switch {
		case !ok:
			unknown++
		case s.State.Running != nil:
			running++
		case s.State.Terminated != nil:
			stopped++
			if s.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case s.State.Waiting != nil:
			if s.LastTerminationState.Terminated != nil {
				stopped++
			} else {
				waiting++
			}
		default:
			unknown++
		}
	}

	policy := restartPolicy(pod)
	if failedInit > 0 && policy == corev1.RestartPolicyNever {
		return corev1.PodFailed
	}
	switch {
	case pendingInit > 0 || (pendingSidecars > 0 && !podHasInitialized):
		return corev1.PodPending
	case waiting > 0:
		return corev1.PodPending
	case running > 0 && unknown == 0:
		return corev1.PodRunning
	case running == 0 && stopped > 0 && unknown == 0:
		if podIsTerminal {
			if stopped == succeeded {
				return corev1.PodSucceeded
			}
			return corev1.PodFailed
		}
		if policy == corev1.RestartPolicyAlways {
			return corev1.PodRunning
		}
		if stopped == succeeded {
			return corev1.PodSucceeded
		}
		if policy == corev1.RestartPolicyNever {
			return corev1.PodFailed
		}
		return corev1.PodRunning
	}
	return corev1.PodPending
}

// anyRegularStarted reports whether a regular container has run.
func anyRegularStarted(pod *corev1.Pod, all []corev1.ContainerStatus) bool {
	for i := range pod.Spec.Containers {
		if s, ok := statusOf(all, pod.Spec.Containers[i].Name); ok && s.ContainerID != "" {
			return true
		}
	}
	return false
}

// initializedCondition: every regular init container completed and every
// sidecar started (or a regular container has run already).
func initializedCondition(pod *corev1.Pod, all []corev1.ContainerStatus, phase corev1.PodPhase) corev1.PodCondition {
	cond := corev1.PodCondition{Type: corev1.PodInitialized, Status: corev1.ConditionTrue}
	var unknown, incomplete []string
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		s, ok := statusOf(all, c.Name)
		switch {
		case !ok:
			unknown = append(unknown, c.Name)
		case isSidecar(c) && (s.Started == nil || !*s.Started):
			incomplete = append(incomplete, c.Name)
		case !isSidecar(c) && !s.Ready:
			incomplete = append(incomplete, c.Name)
		}
	}
	if phase == corev1.PodSucceeded && len(unknown) == 0 {
		cond.Reason = reasonPodCompleted
		return cond
	}
	if anyRegularStarted(pod, all) {
		return cond
	}
	var msgs []string
	if len(unknown) > 0 {
		msgs = append(msgs, fmt.Sprintf("containers with unknown status: %s", unknown))
	}
	if len(incomplete) > 0 {
		msgs = append(msgs, fmt.Sprintf("containers with incomplete status: %s", incomplete))
	}
	if len(msgs) > 0 {
		cond.Status, cond.Reason, cond.Message = corev1.ConditionFalse, reasonContainersNotInitialized, strings.Join(msgs, ", ")
	}
	return cond
}

// containersReadyCondition: every container and sidecar is ready.
func containersReadyCondition(pod *corev1.Pod, all []corev1.ContainerStatus, phase corev1.PodPhase) corev1.PodCondition {
	cond := corev1.PodCondition{Type: corev1.ContainersReady, Status: corev1.ConditionFalse}
	if all == nil {
		cond.Reason = reasonUnknownContainerStatuses
		return cond
	}
	var unknown, unready []string
	check := func(name string) {
		if s, ok := statusOf(all, name); !ok {
			unknown = append(unknown, name)
		} else if !s.Ready {
			unready = append(unready, name)
		}
	}
	for i := range pod.Spec.InitContainers {
		if isSidecar(&pod.Spec.InitContainers[i]) {
			check(pod.Spec.InitContainers[i].Name)
		}
	}
	for i := range pod.Spec.Containers {
		check(pod.Spec.Containers[i].Name)
	}
	if phase == corev1.PodSucceeded && len(unknown) == 0 {
		cond.Reason = reasonPodCompleted
		return cond
	}
	if phase == corev1.PodFailed {
		cond.Reason = reasonPodFailed
		return cond
	}
	var msgs []string
	if len(unknown) > 0 {
		msgs = append(msgs, fmt.Sprintf("containers with unknown status: %s", unknown))
	}
	if len(unready) > 0 {
		msgs = append(msgs, fmt.Sprintf("containers with unready status: %s", unready))
	}
	if len(msgs) > 0 {
		cond.Reason, cond.Message = reasonContainersNotReady, strings.Join(msgs, ", ")
		return cond
	}
	cond.Status = corev1.ConditionTrue
	return cond
}

// readyCondition: ContainersReady, and every readiness gate's condition
// True.
func readyCondition(pod *corev1.Pod, conds []corev1.PodCondition, all []corev1.ContainerStatus, phase corev1.PodPhase) corev1.PodCondition {
	cr := containersReadyCondition(pod, all, phase)
	if cr.Status != corev1.ConditionTrue {
		return corev1.PodCondition{Type: corev1.PodReady, Status: cr.Status, Reason: cr.Reason, Message: cr.Message}
	}
	var msgs []string
	for _, g := range pod.Spec.ReadinessGates {
		c := findCondition(conds, g.ConditionType)
		if c == nil {
			msgs = append(msgs, fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist.", string(g.ConditionType)))
		} else if c.Status != corev1.ConditionTrue {
			msgs = append(msgs, fmt.Sprintf("the status of pod readiness gate %q is not \"True\", but %v", string(g.ConditionType), c.Status))
		}
	}
	if len(msgs) > 0 {
		return corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: reasonReadinessGatesNotReady, Message: strings.Join(msgs, ", ")}
	}
	return corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue}
}

// qosClass is a pod's QoS class when the API did not record one:
// BestEffort without any CPU or memory request or limit, Guaranteed when
// every container limits both and requests (if any) equal the limits,
// Burstable otherwise.
func qosClass(pod *corev1.Pod) corev1.PodQOSClass {
	any, guaranteed := false, true
	cs := append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
	for _, c := range cs {
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, hasReq := c.Resources.Requests[name]
			lim, hasLim := c.Resources.Limits[name]
			if (hasReq && !req.IsZero()) || (hasLim && !lim.IsZero()) {
				any = true
			}
			if !hasLim || (hasReq && req.Cmp(lim) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !any:
		return corev1.PodQOSBestEffort
	case guaranteed:
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}
