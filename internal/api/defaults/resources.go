package defaults

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// milliScale is the scale resource quantities are rounded up to on decode,
// so that a quantity finer than 1m (for example "0.0001" CPU) reads back as
// "1m", as it does from kube-apiserver.
const milliScale = -3

// roundResourceList rounds every quantity of rl up to milli scale in place.
// A nil list stays nil.
func roundResourceList(rl corev1.ResourceList) {
	for name, q := range rl {
		q.RoundUp(milliScale)
		rl[name] = q
	}
}

func roundRequirements(r *corev1.ResourceRequirements) {
	if r == nil {
		return
	}
	roundResourceList(r.Limits)
	roundResourceList(r.Requests)
}

// podLevelResourceDefaults fills pod-level resources (spec.resources) from
// the containers when they are partly given, as kube does with the
// PodLevelResources feature (beta, on by default): hugepage limits from the
// containers' hugepage limits, requests from the containers' aggregated
// requests or else from the pod-level limits, and cpu/memory limits from the
// containers' aggregated limits when every container sets one. Pods without
// spec.resources are untouched.
func podLevelResourceDefaults(pod *corev1.Pod) {
	podHugePageLimits(pod)
	podRequests(pod)
	podLimits(pod)
}

func podHugePageLimits(pod *corev1.Pod) {
	res := pod.Spec.Resources
	if res == nil || (len(res.Limits) == 0 && len(res.Requests) == 0) {
		return
	}
	limits := res.Limits
	if limits == nil {
		limits = corev1.ResourceList{}
	}
	for name, q := range aggregateContainers(pod, limitsOf) {
		if !isHugePages(name) {
			continue
		}
		if _, requested := res.Requests[name]; requested {
			continue
		}
		if _, ok := limits[name]; !ok {
			limits[name] = q.DeepCopy()
		}
	}
	if len(limits) > 0 {
		res.Limits = limits
	}
}

func podRequests(pod *corev1.Pod) {
	res := pod.Spec.Resources
	if res == nil || len(res.Limits) == 0 {
		return
	}
	requests := res.Requests
	if requests == nil {
		requests = corev1.ResourceList{}
	}
	for name, q := range aggregateContainers(pod, requestsOf) {
		if _, ok := requests[name]; !ok && podLevelSupported(name) && overcommitAllowed(name) {
			requests[name] = q.DeepCopy()
		}
	}
	for name, q := range res.Limits {
		if _, ok := requests[name]; !ok && podLevelSupported(name) {
			requests[name] = q.DeepCopy()
		}
	}
	if len(requests) > 0 {
		res.Requests = requests
	}
}

func podLimits(pod *corev1.Pod) {
	res := pod.Spec.Resources
	if res == nil || anySupported(res.Limits) || !anySupported(res.Requests) {
		return
	}
	limits := res.Limits
	if limits == nil {
		limits = corev1.ResourceList{}
	}
	for name, q := range aggregateContainers(pod, limitsOf) {
		if _, ok := limits[name]; ok {
			continue
		}
		if !podLevelSupported(name) || !overcommitAllowed(name) || !everyContainerLimits(pod, name) {
			continue
		}
		limits[name] = q.DeepCopy()
	}
	if len(limits) > 0 {
		res.Limits = limits
	}
}

func requestsOf(c *corev1.Container) corev1.ResourceList { return c.Resources.Requests }
func limitsOf(c *corev1.Container) corev1.ResourceList   { return c.Resources.Limits }

// aggregateContainers sums a resource list over a pod's containers the way
// the scheduler sees it: regular and restartable (sidecar) init containers
// add up, and each ordinary init container, together with the sidecars
// started before it, only raises the total to its own peak.
func aggregateContainers(pod *corev1.Pod, of func(*corev1.Container) corev1.ResourceList) corev1.ResourceList {
	total := corev1.ResourceList{}
	for i := range pod.Spec.Containers {
		addResources(total, of(&pod.Spec.Containers[i]))
	}
	sidecars := corev1.ResourceList{}
	initPeak := corev1.ResourceList{}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		var use corev1.ResourceList
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			addResources(total, of(c))
			addResources(sidecars, of(c))
			use = sidecars
		} else {
			use = corev1.ResourceList{}
			addResources(use, of(c))
			addResources(use, sidecars)
		}
		maxResources(initPeak, use)
	}
	maxResources(total, initPeak)
	return total
}

func addResources(into, add corev1.ResourceList) {
	for name, q := range add {
		if cur, ok := into[name]; ok {
			cur.Add(q)
			into[name] = cur
		} else {
			into[name] = q.DeepCopy()
		}
	}
}

func maxResources(into, other corev1.ResourceList) {
	for name, q := range other {
		if cur, ok := into[name]; !ok || q.Cmp(cur) > 0 {
			into[name] = q.DeepCopy()
		}
	}
}

// everyContainerLimits reports whether every container and init container
// of the pod sets a limit for the resource. kube's helper for this
// (AllContainersHaveLimitForResource) could not be read; counting init
// containers is this package's reading of "all containers".
func everyContainerLimits(pod *corev1.Pod, name corev1.ResourceName) bool {
	for _, containers := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for i := range containers {
			if _, ok := containers[i].Resources.Limits[name]; !ok {
				return false
			}
		}
	}
	return true
}

// podLevelSupported reports whether a resource may be set at pod level:
// cpu, memory and hugepages.
func podLevelSupported(name corev1.ResourceName) bool {
	return name == corev1.ResourceCPU || name == corev1.ResourceMemory || isHugePages(name)
}

func anySupported(rl corev1.ResourceList) bool {
	for name := range rl {
		if podLevelSupported(name) {
			return true
		}
	}
	return false
}

func isHugePages(name corev1.ResourceName) bool {
	return strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix)
}

// overcommitAllowed reports whether requests for a resource may be lower
// than its limit: native resources other than hugepages.
func overcommitAllowed(name corev1.ResourceName) bool {
	n := string(name)
	native := !strings.Contains(n, "/") || strings.Contains(n, corev1.ResourceDefaultNamespacePrefix)
	return native && !isHugePages(name)
}
