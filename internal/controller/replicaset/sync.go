package replicaset

import (
	"context"
	"errors"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/portal-dev/portal/internal/controller/controllerref"
)

// sync brings one ReplicaSet's pods and status up to date.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	rs, err := c.rsLister.ReplicaSets(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.exp.delete(key)
		return nil
	}
	if err != nil {
		return err
	}
	// Read before listing pods: an informer event that satisfies the
	// expectations after this point is then reflected in the list.
	needsSync := c.exp.satisfied(key)
	selector, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		c.log.Warn("replicaset has an invalid selector", "namespace", ns, "name", name, "err", err)
		return nil
	}
	all, err := c.podLister.Pods(ns).List(labels.Everything())
	if err != nil {
		return err
	}
	active, err := c.claimPods(ctx, rs, selector, filterActive(all))
	if err != nil {
		return err
	}
	terminating := ownedTerminating(rs, selector, all)

	var manageErr error
	if needsSync && rs.DeletionTimestamp == nil {
		manageErr = c.manageReplicas(ctx, active, rs)
	}
	status := calculateStatus(rs, active, terminating, manageErr, c.now())
	updated, err := c.updateStatus(ctx, rs, status)
	if apierrors.IsNotFound(err) {
		// Deleted meanwhile: nothing left to report on.
		return nil
	}
	if err != nil {
		return errors.Join(manageErr, err)
	}
	// Availability after minReadySeconds has no event of its own: come back
	// when the ready pods should have become available.
	if manageErr == nil && updated.Spec.MinReadySeconds > 0 &&
		updated.Status.ReadyReplicas == replicasOf(updated) && updated.Status.AvailableReplicas != replicasOf(updated) {
		c.enqueueAfter(updated, time.Duration(updated.Spec.MinReadySeconds)*time.Second)
	}
	return manageErr
}

func replicasOf(rs *appsv1.ReplicaSet) int32 {
	if rs.Spec.Replicas == nil {
		return 1
	}
	return *rs.Spec.Replicas
}

// claimPods adopts and releases pods (see controllerref) and returns the
// active pods rs owns.
func (c *Controller) claimPods(ctx context.Context, rs *appsv1.ReplicaSet, selector labels.Selector, pods []*corev1.Pod) ([]*corev1.Pod, error) {
	claimer := &controllerref.Claimer{
		Owner:    rs,
		Kind:     controllerKind,
		Selector: selector,
		Fresh: func(ctx context.Context) (metav1.Object, error) {
			return c.client.AppsV1().ReplicaSets(rs.Namespace).Get(ctx, rs.Name, metav1.GetOptions{})
		},
		Patch: func(ctx context.Context, name string, data []byte) error {
			_, err := c.client.CoreV1().Pods(rs.Namespace).Patch(ctx, name, types.StrategicMergePatchType, data, metav1.PatchOptions{})
			return err
		},
	}
	return controllerref.Claim(ctx, claimer, pods)
}

// manageReplicas creates or deletes pods so that rs has spec.replicas
// active pods.
func (c *Controller) manageReplicas(ctx context.Context, active []*corev1.Pod, rs *appsv1.ReplicaSet) error {
	key, err := cache.MetaNamespaceKeyFunc(rs)
	if err != nil {
		return err
	}
	diff := len(active) - int(replicasOf(rs))
	switch {
	case diff < 0:
		n := min(-diff, burstReplicas)
		// Expect every creation before the first request: the informer may
		// report a pod before its create call returns.
		c.exp.expectCreations(key, n)
		ref := metav1.NewControllerRef(rs, controllerKind)
		created, err := slowStart(n, func() error { return c.createPod(ctx, rs, ref) })
		// Creations never attempted or failed will not be observed.
		for range n - created {
			c.exp.creationObserved(key)
		}
		return err
	case diff > 0:
		n := min(diff, burstReplicas)
		victims := podsToDelete(active, c.relatedPods(rs, active), n, c.now())
		keys := make([]string, len(victims))
		for i, p := range victims {
			keys[i] = podKey(p)
		}
		c.exp.expectDeletions(key, keys)
		var wg sync.WaitGroup
		errs := make([]error, len(victims))
		for i, pod := range victims {
			wg.Go(func() {
				if err := c.deletePodOf(ctx, rs, pod); err != nil {
					// Not deleted: the informer will not report it.
					c.exp.deletionObserved(key, podKey(pod))
					if !apierrors.IsNotFound(err) {
						errs[i] = err
					}
				}
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	return nil
}

// slowStart calls fn count times in batches of 1, 2, 4, …, each batch in
// parallel, and stops after the first batch with a failure, so a request
// that fails every time (quota, validation) fails once rather than count
// times. It returns how many calls succeeded and the first error.
func slowStart(count int, fn func() error) (int, error) {
	done := 0
	for batch := min(1, count); batch > 0; batch = min(2*batch, count-done) {
		errs := make([]error, batch)
		var wg sync.WaitGroup
		for i := range batch {
			wg.Go(func() { errs[i] = fn() })
		}
		wg.Wait()
		failed := 0
		var first error
		for _, err := range errs {
			if err != nil {
				failed++
				if first == nil {
					first = err
				}
			}
		}
		done += batch
		if first != nil {
			return done - failed, first
		}
	}
	return done, nil
}
