package agent

import (
	"context"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// NodeLeaseNamespace holds the nodes' heartbeat Leases.
const NodeLeaseNamespace = corev1.NamespaceNodeLease

// runLease renews the node's Lease every LeaseRenewInterval until ctx ends,
// as kubelet's node lease controller: holderIdentity is the node name,
// leaseDurationSeconds LeaseDuration, and the Lease is owned by the Node so
// it goes when the Node does. A failed renewal is retried at the next tick;
// the first one is made at once.
func (a *Agent) runLease(ctx context.Context, nodeUID types.UID) error {
	t := time.NewTicker(a.opts.LeaseRenewInterval)
	defer t.Stop()
	for {
		if err := a.renewLease(ctx, nodeUID); err != nil && ctx.Err() == nil {
			a.metrics.leaseRenewals.WithLabelValues("error").Inc()
			a.log.Warn("node lease renewal failed", "err", err)
		} else if err == nil {
			a.metrics.leaseRenewals.WithLabelValues("ok").Inc()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (a *Agent) renewLease(ctx context.Context, nodeUID types.UID) error {
	leases := a.client.CoordinationV1().Leases(NodeLeaseNamespace)
	now := metav1.NewMicroTime(time.Now())
	spec := coordinationv1.LeaseSpec{
		HolderIdentity:       ptr.To(a.opts.NodeName),
		LeaseDurationSeconds: ptr.To(int32(a.opts.LeaseDuration / time.Second)),
		RenewTime:            &now,
	}
	lease, err := leases.Get(ctx, a.opts.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		lease = &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: a.opts.NodeName, Namespace: NodeLeaseNamespace},
			Spec:       spec,
		}
		if nodeUID != "" {
			lease.OwnerReferences = []metav1.OwnerReference{{
				APIVersion: "v1", Kind: "Node", Name: a.opts.NodeName, UID: nodeUID,
			}}
		}
		_, err = leases.Create(ctx, lease, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	lease = lease.DeepCopy()
	lease.Spec.HolderIdentity = spec.HolderIdentity
	lease.Spec.LeaseDurationSeconds = spec.LeaseDurationSeconds
	lease.Spec.RenewTime = spec.RenewTime
	_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	return err
}
