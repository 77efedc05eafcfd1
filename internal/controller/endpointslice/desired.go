package endpointslice

import (
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilnet "k8s.io/utils/net"
)

// portGroup is one "port mapping": the endpoint ports that some pods
// resolve the Service's ports to. Pods of one group share slices.
type portGroup struct {
	// resolved holds, per Service port, the port a pod resolved it to, or
	// -1 when the pod has no such named port (the port is left out).
	resolved []int32
	// ports are the slice ports, in Service port order; never nil.
	ports []discoveryv1.EndpointPort
}

// want is one desired endpoint: a pod seen in one address family.
type want struct {
	pod   *corev1.Pod
	group int32
	// addrs are the pod's addresses of the family, canonical (see
	// canonicalIP); never empty.
	addrs []string
	zone  string
	// ready, serving and terminating are the endpoint's conditions;
	// hostname is whether it carries pod.spec.hostname.
	ready, serving, terminating, hostname bool
	// claimSlice and claimEndpoint locate the existing endpoint that is
	// this want (index into the slices being reconciled and into that
	// slice's endpoints); claimSlice is -1 while none is.
	claimSlice, claimEndpoint int32
}

// desired is what a Service's pods ask for in one address family.
type desired struct {
	family discoveryv1.AddressType
	groups []portGroup
	wants  []want
	// byPod indexes wants by pod name (pods of one namespace).
	byPod map[string]int32
}

// podInputs is what every family's desired state is computed from, once
// per sync.
type podInputs struct {
	svc  *corev1.Service
	pods []*corev1.Pod // the pods that should be endpoints
	zone func(node string) string
}

// eligiblePods returns the pods kube would make endpoints of: not terminal
// (Succeeded or Failed) and with a pod IP. Terminating pods are kept.
func eligiblePods(pods []*corev1.Pod) []*corev1.Pod {
	out := make([]*corev1.Pod, 0, len(pods))
	for _, p := range pods {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		if p.Status.PodIP == "" && len(p.Status.PodIPs) == 0 {
			continue
		}
		out = append(out, p)
	}
	return out
}

// computeDesired returns the endpoints in of the given family. It
// allocates per sync, not per endpoint, for pods with one address of the
// family in canonical form.
func computeDesired(in podInputs, family discoveryv1.AddressType) *desired {
	d := &desired{family: family, wants: make([]want, 0, len(in.pods))}
	d.byPod = make(map[string]int32, len(in.pods))
	addrBuf := make([]string, 0, len(in.pods))
	resolved := make([]int32, len(in.svc.Spec.Ports))
	// With numeric target ports only, every pod is in one group.
	named := slices.ContainsFunc(in.svc.Spec.Ports, func(p corev1.ServicePort) bool {
		return p.TargetPort.Type == intstr.String
	})
	fixed := int32(-1)
	for _, pod := range in.pods {
		start := len(addrBuf)
		addrBuf = appendAddresses(addrBuf, pod, family)
		if len(addrBuf) == start {
			continue
		}
		w := want{pod: pod, addrs: addrBuf[start:len(addrBuf):len(addrBuf)], claimSlice: -1}
		switch {
		case !named && fixed >= 0:
			w.group = fixed
		default:
			resolvePorts(in.svc, pod, resolved)
			w.group = d.group(in.svc, resolved)
			if !named {
				fixed = w.group
			}
		}
		w.serving = podReady(pod)
		w.terminating = pod.DeletionTimestamp != nil
		w.ready = in.svc.Spec.PublishNotReadyAddresses || (w.serving && !w.terminating)
		w.hostname = pod.Spec.Hostname != "" && pod.Spec.Subdomain == in.svc.Name && pod.Namespace == in.svc.Namespace
		if pod.Spec.NodeName != "" {
			w.zone = in.zone(pod.Spec.NodeName)
		}
		d.byPod[pod.Name] = int32(len(d.wants))
		d.wants = append(d.wants, w)
	}
	return d
}

// group returns the index of the group with these resolved ports, adding
// it if it is new. Services have few ports and pods few groups: a linear
// search beats hashing.
func (d *desired) group(svc *corev1.Service, resolved []int32) int32 {
	for i, g := range d.groups {
		if slices.Equal(g.resolved, resolved) {
			return int32(i)
		}
	}
	g := portGroup{resolved: slices.Clone(resolved), ports: []discoveryv1.EndpointPort{}}
	for i := range svc.Spec.Ports {
		sp := &svc.Spec.Ports[i]
		if resolved[i] < 0 {
			continue
		}
		name, port, proto := sp.Name, resolved[i], sp.Protocol
		g.ports = append(g.ports, discoveryv1.EndpointPort{
			Name: &name, Port: &port, Protocol: &proto, AppProtocol: sp.AppProtocol,
		})
	}
	d.groups = append(d.groups, g)
	return int32(len(d.groups) - 1)
}

// resolvePorts fills out, per Service port, the pod's port for it, or -1.
func resolvePorts(svc *corev1.Service, pod *corev1.Pod, out []int32) {
	for i := range svc.Spec.Ports {
		out[i] = findPort(pod, &svc.Spec.Ports[i])
	}
}

// findPort resolves a Service port's targetPort for pod as kube does: a
// number is taken as is; a name is looked up among the container ports of
// the pod's containers, then of its sidecars (init containers with
// restartPolicy Always), matching name and protocol. -1 means not found.
func findPort(pod *corev1.Pod, sp *corev1.ServicePort) int32 {
	tp := sp.TargetPort
	if tp.Type == intstr.Int {
		return tp.IntVal
	}
	for i := range pod.Spec.Containers {
		for _, p := range pod.Spec.Containers[i].Ports {
			if p.Name == tp.StrVal && p.Protocol == sp.Protocol {
				return p.ContainerPort
			}
		}
	}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
			continue
		}
		for _, p := range c.Ports {
			if p.Name == tp.StrVal && p.Protocol == sp.Protocol {
				return p.ContainerPort
			}
		}
	}
	return -1
}

// podReady is whether the pod's Ready condition is True.
func podReady(pod *corev1.Pod) bool {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodReady {
			return pod.Status.Conditions[i].Status == corev1.ConditionTrue
		}
	}
	return false
}

// appendAddresses appends the pod's addresses of the family, canonical, to
// buf. A pod with status.podIP but no status.podIPs reads as podIPs
// [podIP], as kube-apiserver would have stored it. Unparseable addresses
// are skipped (the API server refuses them in pods anyway).
func appendAddresses(buf []string, pod *corev1.Pod, family discoveryv1.AddressType) []string {
	add := func(ip string) {
		canon, v6, ok := canonicalIP(ip)
		if ok && v6 == (family == discoveryv1.AddressTypeIPv6) {
			buf = append(buf, canon)
		}
	}
	if len(pod.Status.PodIPs) == 0 {
		add(pod.Status.PodIP)
		return buf
	}
	for _, ip := range pod.Status.PodIPs {
		add(ip.IP)
	}
	return buf
}

// canonicalIP returns ip in the form kube's reconciler writes it (parsed
// as utilnet.ParseIPSloppy does, printed as net.IP.String does) and
// whether it is IPv6; ok is false for what is no IP. An address already in
// that form, the usual case, is returned as is, without allocating.
func canonicalIP(ip string) (canon string, v6, ok bool) {
	if a, err := netip.ParseAddr(ip); err == nil && a.Zone() == "" {
		switch {
		case a.Is4():
			// netip accepts only the canonical dotted quad.
			return ip, false, true
		case !a.Is4In6():
			var buf [64]byte
			b := a.AppendTo(buf[:0])
			if string(b) == ip {
				return ip, true, true
			}
			return string(b), true, true
		}
	}
	// Rare forms (leading zeros, IPv4-mapped IPv6): kube's own parsing.
	if strings.IndexByte(ip, '%') >= 0 {
		return "", false, false
	}
	parsed := utilnet.ParseIPSloppy(ip)
	if parsed == nil {
		return "", false, false
	}
	return parsed.String(), utilnet.IsIPv6(parsed), true
}
