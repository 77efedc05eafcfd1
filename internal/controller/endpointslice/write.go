package endpointslice

import (
	"context"
	"fmt"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// apply writes p for svc: creates, updates, then deletes, stopping at the
// first error. Every write is recorded in the tracker, so later syncs can
// tell a cache that has not seen it yet. Written slices get the
// last-change-trigger-time annotation (removed when trigger is zero).
// Nothing is created for a Service being deleted, and a create refused
// because the namespace is terminating ends the sync without error.
func (c *Controller) apply(ctx context.Context, svc *corev1.Service, p plan, trigger time.Time) error {
	api := c.client.DiscoveryV1().EndpointSlices(svc.Namespace)
	if svc.DeletionTimestamp == nil {
		for _, s := range p.create {
			withTrigger(s, trigger)
			created, err := api.Create(ctx, s, metav1.CreateOptions{})
			if err != nil {
				if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
					return nil
				}
				return fmt.Errorf("create EndpointSlice for Service %s/%s: %w", svc.Namespace, svc.Name, err)
			}
			c.tracker.Update(created)
		}
	}
	for _, s := range p.update {
		withTrigger(s, trigger)
		updated, err := api.Update(ctx, s, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("update EndpointSlice %s/%s: %w", svc.Namespace, s.Name, err)
		}
		c.tracker.Update(updated)
	}
	for _, s := range p.delete {
		if err := c.deleteSlice(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// deleteSlice deletes s and tells the tracker to expect it gone.
func (c *Controller) deleteSlice(ctx context.Context, s *discoveryv1.EndpointSlice) error {
	err := c.client.DiscoveryV1().EndpointSlices(s.Namespace).Delete(ctx, s.Name, metav1.DeleteOptions{})
	if err != nil {
		return fmt.Errorf("delete EndpointSlice %s/%s: %w", s.Namespace, s.Name, err)
	}
	c.tracker.ExpectDeletion(s)
	return nil
}

// withTrigger sets s's trigger-time annotation on a copy of its
// annotations (they may be the cached slice's).
func withTrigger(s *discoveryv1.EndpointSlice, trigger time.Time) {
	a := maps.Clone(s.Annotations)
	if a == nil {
		a = map[string]string{}
	}
	if trigger.IsZero() {
		delete(a, corev1.EndpointsLastChangeTriggerTime)
	} else {
		a[corev1.EndpointsLastChangeTriggerTime] = trigger.UTC().Format(time.RFC3339Nano)
	}
	s.Annotations = a
}
