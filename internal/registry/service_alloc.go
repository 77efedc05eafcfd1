package registry

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/portal-dev/portal/internal/ipam"
)

// serviceTxn is one request's allocations: what it recorded (undone by
// revert) and what it frees once the request succeeds (commit). A dry run
// records nothing: it checks explicit values and peeks at free ones.
type serviceTxn struct {
	a     *ServiceAllocation
	owner ipam.Owner
	svc   string
	dry   bool

	newIPs   []netip.Addr
	newPorts []int
	oldIPs   []netip.Addr
	oldPorts []int
}

func (a *ServiceAllocation) newTxn(svc *corev1.Service, dry bool) *serviceTxn {
	o := ipam.Owner{Namespace: svc.Namespace, Name: svc.Name, UID: string(svc.UID)}
	return &serviceTxn{a: a, owner: o, svc: o.String(), dry: dry}
}

// create fills and allocates the fields of a Service being created, as
// kube's allocateCreate does.
func (t *serviceTxn) create(ctx context.Context, svc *corev1.Service) error {
	if svc.Spec.ClusterIP != "" && len(svc.Spec.ClusterIPs) == 0 {
		svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
	}
	if err := t.a.initIPFamilies(svc, nil); err != nil {
		return err
	}
	if err := t.allocClusterIPs(ctx, svc); err != nil {
		return err
	}
	if err := t.createNodePorts(ctx, svc); err != nil {
		return err
	}
	if needsHealthCheckNodePort(svc) {
		return t.allocHealthCheckNodePort(ctx, svc)
	}
	return nil
}

// update carries allocations over from old, allocates what svc newly
// needs and schedules the release of what it no longer holds, as kube's
// allocateUpdate does; it also clears the fields a type change leaves
// meaningless (kube's dropTypeDependentFields).
func (t *serviceTxn) update(ctx context.Context, svc, old *corev1.Service) error {
	patchAllocatedValues(svc, old)
	normalizeClusterIPs(svc, old)
	if errs := clusterIPChangeErrors(svc, old); len(errs) > 0 {
		return invalid(svc, errs)
	}
	if err := t.a.initIPFamilies(svc, old); err != nil {
		return err
	}
	switch {
	case needsClusterIP(svc) && len(heldClusterIPs(old)) == 0 && !isHeadless(old):
		// From ExternalName, or a Service stored without a cluster IP (by
		// a portal older than allocation): it gets one now.
		if err := t.allocClusterIPs(ctx, svc); err != nil {
			return err
		}
	case needsClusterIP(old) && !needsClusterIP(svc):
		t.oldIPs = append(t.oldIPs, heldClusterIPs(old)...)
	}
	if err := t.updateNodePorts(ctx, svc, old); err != nil {
		return err
	}
	if err := t.updateHealthCheckNodePort(ctx, svc, old); err != nil {
		return err
	}
	dropTypeDependentFields(svc, old)
	return nil
}

// allocClusterIPs gives a Service that needs one its cluster IP: the one it
// asks for, or a free one.
func (t *serviceTxn) allocClusterIPs(ctx context.Context, svc *corev1.Service) error {
	if svc.Spec.Type == corev1.ServiceTypeExternalName || isHeadless(svc) {
		return nil
	}
	if len(svc.Spec.ClusterIPs) == 0 || svc.Spec.ClusterIPs[0] == "" {
		ip, err := t.nextIP(ctx)
		if err != nil {
			return apierrors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP: %v", err))
		}
		svc.Spec.ClusterIPs = []string{ip.String()}
		svc.Spec.ClusterIP = ip.String()
		return nil
	}
	want := svc.Spec.ClusterIPs[0]
	ip, err := netip.ParseAddr(want) // validated by initIPFamilies
	if err == nil {
		err = t.takeIP(ctx, ip)
	}
	if err != nil {
		if !isAllocationError(err) {
			return apierrors.NewInternalError(fmt.Errorf("failed to allocate IP %s: %v", want, err))
		}
		return invalid(svc, field.ErrorList{field.Invalid(field.NewPath("spec", "clusterIPs"), svc.Spec.ClusterIPs,
			fmt.Sprintf("failed to allocate IP %s: %v", want, err))})
	}
	svc.Spec.ClusterIP = want
	return nil
}

// createNodePorts is kube's initNodePorts: every port of a NodePort or
// LoadBalancer Service gets a node port (unless allocateLoadBalancerNodePorts
// is false), and ports sharing a port number (TCP and UDP 53, say) share the
// node port.
func (t *serviceTxn) createNodePorts(ctx context.Context, svc *corev1.Service) error {
	if !needsNodePorts(svc) {
		return nil
	}
	byPort := map[int32]int32{}
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.NodePort == 0 && !allocatesNodePorts(svc) {
			continue // no new ports, but requested ones are honoured
		}
		shared, seen := byPort[p.Port]
		switch {
		case seen && (p.NodePort == 0 || p.NodePort == shared):
			p.NodePort = shared
		case seen:
			// A different node port asked for on a port number that has one.
			if err := t.takePort(ctx, int(p.NodePort)); err != nil {
				return nodePortError(svc, i, p.NodePort, err)
			}
		default:
			want := requestedNodePort(p.Port, svc.Spec.Ports[i:])
			if want == 0 {
				np, err := t.nextPort(ctx)
				if err != nil {
					return apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: %v", err))
				}
				want = int32(np)
			} else if err := t.takePort(ctx, int(want)); err != nil {
				return nodePortError(svc, i, want, err)
			}
			p.NodePort = want
			byPort[p.Port] = want
		}
	}
	return nil
}

// updateNodePorts is kube's updateNodePorts: node ports svc keeps stay,
// new or changed ones are allocated (each port separately), and the ones it
// drops are released once the update is stored.
func (t *serviceTxn) updateNodePorts(ctx context.Context, svc, old *corev1.Service) error {
	oldPorts := heldNodePorts(old)
	if needsNodePorts(svc) {
		taken := map[int32]bool{}
		type protoPort struct {
			proto corev1.Protocol
			port  int32
		}
		seen := map[protoPort]bool{}
		for i := range svc.Spec.Ports {
			p := &svc.Spec.Ports[i]
			if p.NodePort == 0 && !allocatesNodePorts(svc) {
				continue
			}
			if p.NodePort == 0 {
				np, err := t.nextPort(ctx)
				if err != nil {
					return apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: %v", err))
				}
				p.NodePort = int32(np)
			} else if !slices.Contains(oldPorts, int(p.NodePort)) && !taken[p.NodePort] {
				if err := t.takePort(ctx, int(p.NodePort)); err != nil {
					return nodePortError(svc, i, p.NodePort, err)
				}
				taken[p.NodePort] = true
			}
			k := protoPort{p.Protocol, p.NodePort}
			if seen[k] {
				return invalid(svc, field.ErrorList{field.Duplicate(field.NewPath("spec", "ports").Index(i).Child("nodePort"), p.NodePort)})
			}
			seen[k] = true
		}
	}
	kept := heldNodePorts(svc)
	for _, np := range oldPorts {
		if !slices.Contains(kept, np) {
			t.oldPorts = append(t.oldPorts, np)
		}
	}
	return nil
}

// allocHealthCheckNodePort gives a LoadBalancer Service with
// externalTrafficPolicy Local its healthCheckNodePort.
func (t *serviceTxn) allocHealthCheckNodePort(ctx context.Context, svc *corev1.Service) error {
	if want := svc.Spec.HealthCheckNodePort; want != 0 {
		if err := t.takePort(ctx, int(want)); err != nil {
			return apierrors.NewInternalError(fmt.Errorf("failed to allocate requested HealthCheck NodePort %v: %v", want, err))
		}
		return nil
	}
	np, err := t.nextPort(ctx)
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("failed to allocate a HealthCheck NodePort %v: %v", np, err))
	}
	svc.Spec.HealthCheckNodePort = int32(np)
	return nil
}

// updateHealthCheckNodePort allocates the health check node port when a
// Service starts needing one and releases it when it stops.
func (t *serviceTxn) updateHealthCheckNodePort(ctx context.Context, svc, old *corev1.Service) error {
	needed, needs := needsHealthCheckNodePort(old), needsHealthCheckNodePort(svc)
	switch {
	case !needed && needs:
		return t.allocHealthCheckNodePort(ctx, svc)
	case needed && !needs:
		if old.Spec.HealthCheckNodePort != 0 {
			t.oldPorts = append(t.oldPorts, int(old.Spec.HealthCheckNodePort))
		}
	case needed && needs && svc.Spec.HealthCheckNodePort != old.Spec.HealthCheckNodePort:
		if err := t.allocHealthCheckNodePort(ctx, svc); err != nil {
			return err
		}
		if old.Spec.HealthCheckNodePort != 0 {
			t.oldPorts = append(t.oldPorts, int(old.Spec.HealthCheckNodePort))
		}
	}
	return nil
}

func (t *serviceTxn) takeIP(ctx context.Context, ip netip.Addr) error {
	if t.dry {
		return t.a.ClusterIPs.Check(ctx, ip, t.owner)
	}
	if err := t.a.ClusterIPs.Allocate(ctx, ip, t.owner); err != nil {
		return err
	}
	t.newIPs = append(t.newIPs, ip)
	return nil
}

func (t *serviceTxn) nextIP(ctx context.Context) (netip.Addr, error) {
	if t.dry {
		return t.a.ClusterIPs.Peek(ctx)
	}
	ip, err := t.a.ClusterIPs.AllocateNext(ctx, t.owner)
	if err == nil {
		t.newIPs = append(t.newIPs, ip)
	}
	return ip, err
}

func (t *serviceTxn) takePort(ctx context.Context, port int) error {
	if t.dry {
		return t.a.NodePorts.Check(ctx, port, t.owner)
	}
	if err := t.a.NodePorts.Allocate(ctx, port, t.owner); err != nil {
		return err
	}
	t.newPorts = append(t.newPorts, port)
	return nil
}

func (t *serviceTxn) nextPort(ctx context.Context) (int, error) {
	if t.dry {
		return t.a.NodePorts.Peek(ctx)
	}
	port, err := t.a.NodePorts.AllocateNext(ctx, t.owner)
	if err == nil {
		t.newPorts = append(t.newPorts, port)
	}
	return port, err
}

// revert releases what the transaction allocated.
func (t *serviceTxn) revert() {
	if t.dry || len(t.newIPs)+len(t.newPorts) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	for _, ip := range t.newIPs {
		t.release(ctx, "clusterIP", ip.String(), t.a.ClusterIPs.Release(ctx, ip, t.owner))
	}
	for _, p := range t.newPorts {
		t.release(ctx, "nodePort", fmt.Sprint(p), t.a.NodePorts.Release(ctx, p, t.owner))
	}
	t.newIPs, t.newPorts = nil, nil
}

// commit releases what the transaction freed, except what stored (the
// object as written; nil after a delete) still names.
func (t *serviceTxn) commit(stored *corev1.Service) {
	if t.dry || len(t.oldIPs)+len(t.oldPorts) == 0 {
		return
	}
	var keepIPs []netip.Addr
	var keepPorts []int
	if stored != nil {
		keepIPs, keepPorts = heldClusterIPs(stored), allNodePorts(stored)
	}
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	for _, ip := range t.oldIPs {
		if !slices.Contains(keepIPs, ip) {
			t.release(ctx, "clusterIP", ip.String(), t.a.ClusterIPs.Release(ctx, ip, t.owner))
		}
	}
	for _, p := range t.oldPorts {
		if !slices.Contains(keepPorts, p) {
			t.release(ctx, "nodePort", fmt.Sprint(p), t.a.NodePorts.Release(ctx, p, t.owner))
		}
	}
	t.oldIPs, t.oldPorts = nil, nil
}

// release logs a failed release: a value another Service holds stays
// with it; one that could not be released is left to the repair loop.
func (t *serviceTxn) release(_ context.Context, what, value string, err error) {
	switch {
	case err == nil:
	case errors.Is(err, ipam.ErrNotOwner):
		t.a.log().Debug("not released: another service holds it", "service", t.svc, what, value, "err", err)
	default:
		t.a.log().Warn("release failed; the repair loop will reclaim it", "service", t.svc, what, value, "err", err)
	}
}

// isAllocationError tells a refusal worth an Invalid answer (taken, out of
// range) from a failure to ask (etcd unavailable).
func isAllocationError(err error) bool {
	return errors.Is(err, ipam.ErrAllocated) || errors.Is(err, ipam.ErrNotInRange)
}

func nodePortError(svc *corev1.Service, i int, port int32, err error) error {
	if !isAllocationError(err) {
		return apierrors.NewInternalError(fmt.Errorf("failed to allocate nodePort %d: %v", port, err))
	}
	return invalid(svc, field.ErrorList{field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), port, err.Error())})
}

// requestedNodePort is the first node port asked for on port number port.
func requestedNodePort(port int32, ports []corev1.ServicePort) int32 {
	for _, p := range ports {
		if p.Port == port && p.NodePort != 0 {
			return p.NodePort
		}
	}
	return 0
}
