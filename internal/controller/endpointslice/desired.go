package endpointslice

import (
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

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

	// For building: the Service, its target ports resolved for the pod
	// at hand, whether any is named, the one group when none is (-1
	// before the first pod), and where addresses are kept.
	svc      *corev1.Service
	resolved []int32
	named    bool
	fixed    int32
	addrBuf  []string
}

// scan is what a Service's selected pods ask for: the endpoints of each
// address family, and the pods themselves. A scan outlives its sync: the
// next one updates it with the pods that changed (see update), or fills
// it anew (scanPods).
type scan struct {
	v4, v6 *desired
	// eligible counts the pods that are endpoints (of either family).
	eligible int
	// members are the selected pods by name.
	members map[string]member
	// svc and zoneGen are the Service object and the controller's node
	// zone generation the scan was made for; a scan is only updated
	// while both are still current.
	svc     *corev1.Service
	zoneGen uint64
}

// member is a selected pod, and whether it is an endpoint.
type member struct {
	pod      *corev1.Pod
	eligible bool
}

// family returns the desired endpoints of the address type.
func (s *scan) family(t discoveryv1.AddressType) *desired {
	if t == discoveryv1.AddressTypeIPv6 {
		return s.v6
	}
	return s.v4
}

// scanPods makes the endpoints of pods for svc, both families at once, in
// one pass that touches every pod once (at 50,000 pods, memory access is
// most of a sync's cost). Pods become endpoints when they are not terminal
// (Succeeded or Failed) and have a pod IP; terminating pods are kept.
// observe, if not nil, is told every pod's Ready transition time (see
// triggerTracker). zone gives a Node's zone. Nothing is allocated per pod
// for pods with one address in canonical form.
//
// reuse, if not nil, is the result of an earlier scan whose tables are
// filled anew, so that a sync of a large Service allocates next to
// nothing; nothing of it may be in use any more.
func scanPods(svc *corev1.Service, pods []*corev1.Pod, zone func(node string) string, observe func(pod string, readyAt time.Time), reuse *scan) *scan {
	s := reuse
	if s == nil {
		s = &scan{v4: &desired{family: discoveryv1.AddressTypeIPv4}, v6: &desired{family: discoveryv1.AddressTypeIPv6}}
	}
	s.eligible, s.svc = 0, svc
	s.v4.reset(svc)
	s.v6.reset(svc)
	if s.members == nil {
		s.members = make(map[string]member, len(pods))
	}
	clear(s.members)
	for _, pod := range pods {
		ready, readyAt := readyCondition(pod)
		if observe != nil && !readyAt.IsZero() {
			observe(pod.Name, readyAt)
		}
		s.addPod(pod, ready, zone, len(pods), false)
	}
	return s
}

// update brings the scan in line with one pod that changed since: pod is
// its current object, nil when it is gone or no longer selected. The
// trigger-time sweep tr learns of it too.
func (s *scan) update(name string, pod *corev1.Pod, zone func(node string) string, tr *sweep) {
	if m, ok := s.members[name]; ok {
		if m.eligible {
			s.eligible--
		}
		s.v4.remove(name)
		s.v6.remove(name)
		delete(s.members, name)
	}
	if pod == nil {
		tr.drop(name)
		return
	}
	ready, readyAt := readyCondition(pod)
	if readyAt.IsZero() {
		tr.drop(name)
	} else {
		tr.observe(name, readyAt)
	}
	s.addPod(pod, ready, zone, 0, true)
}

// addPod adds a selected pod, and its endpoints if it is eligible. hint
// sizes new tables; own gives the endpoints addresses of their own rather
// than a place in the scan's shared buffer, which only a full scan
// refills.
func (s *scan) addPod(pod *corev1.Pod, ready bool, zone func(node string) string, hint int, own bool) {
	eligible := pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed &&
		(pod.Status.PodIP != "" || len(pod.Status.PodIPs) > 0)
	s.members[pod.Name] = member{pod: pod, eligible: eligible}
	if !eligible {
		return
	}
	s.eligible++
	var buf [4]string
	addrs := appendAddresses(buf[:0], pod, discoveryv1.AddressTypeIPv4)
	n4 := len(addrs)
	addrs = appendAddresses(addrs, pod, discoveryv1.AddressTypeIPv6)
	if len(addrs) == 0 {
		return
	}
	svc := s.svc
	w := want{pod: pod, claimSlice: -1, serving: ready, terminating: pod.DeletionTimestamp != nil}
	w.ready = svc.Spec.PublishNotReadyAddresses || (w.serving && !w.terminating)
	w.hostname = pod.Spec.Hostname != "" && pod.Spec.Subdomain == svc.Name && pod.Namespace == svc.Namespace
	if pod.Spec.NodeName != "" {
		w.zone = zone(pod.Spec.NodeName)
	}
	if n4 > 0 {
		s.v4.add(w, addrs[:n4], hint, own)
	}
	if len(addrs) > n4 {
		s.v6.add(w, addrs[n4:], hint, own)
	}
}

// reset empties d for a scan of svc's pods, keeping its tables.
func (d *desired) reset(svc *corev1.Service) {
	d.svc, d.fixed, d.groups = svc, -1, nil
	d.resolved = slices.Grow(d.resolved[:0], len(svc.Spec.Ports))[:len(svc.Spec.Ports)]
	// With numeric target ports only, every pod is in one group.
	d.named = slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool {
		return p.TargetPort.Type == intstr.String
	})
	clear(d.wants[:cap(d.wants)]) // drop the pods they point at
	d.wants = d.wants[:0]
	clear(d.addrBuf[:cap(d.addrBuf)])
	d.addrBuf = d.addrBuf[:0]
	clear(d.byPod)
}

// add appends w with the addresses addrs (copied to d's shared buffer, or
// to a slice of their own), in its port group. hint sizes the tables on
// the first call.
func (d *desired) add(w want, addrs []string, hint int, own bool) {
	if d.byPod == nil {
		d.byPod = make(map[string]int32, hint)
	}
	if d.wants == nil {
		d.wants = make([]want, 0, hint)
		d.addrBuf = make([]string, 0, hint)
	}
	if own {
		w.addrs = slices.Clone(addrs)
	} else {
		start := len(d.addrBuf)
		d.addrBuf = append(d.addrBuf, addrs...)
		w.addrs = d.addrBuf[start:len(d.addrBuf):len(d.addrBuf)]
	}
	switch {
	case !d.named && d.fixed >= 0:
		w.group = d.fixed
	default:
		resolvePorts(d.svc, w.pod, d.resolved)
		w.group = d.group(d.svc, d.resolved)
		if !d.named {
			d.fixed = w.group
		}
	}
	d.byPod[w.pod.Name] = int32(len(d.wants))
	d.wants = append(d.wants, w)
}

// remove drops the want of the pod name, if any, moving the last want
// into its place.
func (d *desired) remove(name string) {
	i, ok := d.byPod[name]
	if !ok {
		return
	}
	last := int32(len(d.wants) - 1)
	if i != last {
		d.wants[i] = d.wants[last]
		d.byPod[d.wants[i].pod.Name] = i
	}
	d.wants[last] = want{}
	d.wants = d.wants[:last]
	delete(d.byPod, name)
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

// readyCondition returns whether the pod's Ready condition is True, and
// its last transition time (zero without the condition).
func readyCondition(pod *corev1.Pod) (bool, time.Time) {
	for i := range pod.Status.Conditions {
		if c := &pod.Status.Conditions[i]; c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue, c.LastTransitionTime.Time
		}
	}
	return false, time.Time{}
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

// scratchPool keeps the scan of each Service between its syncs, for the
// next to update or refill. A key's scan is taken by the one sync of that key that
// runs at a time (the workqueue's promise) and put back when it is done.
type scratchPool struct {
	mu    sync.Mutex
	scans map[string]*scan
}

// take removes and returns key's scan, or nil.
func (p *scratchPool) take(key string) *scan {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.scans[key]
	delete(p.scans, key)
	return s
}

// put keeps s for key's next sync.
func (p *scratchPool) put(key string, s *scan) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.scans[key] = s
}
