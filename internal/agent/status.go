package agent

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// statusWorkers is how many pod status updates are sent at once.
const statusWorkers = 2

// watchRunnerChanges queues a status update for every pod whose observed
// status the runner says changed, until ctx ends or the runner stops.
func (a *Agent) watchRunnerChanges(ctx context.Context) {
	changes := a.runner.Changes()
	for {
		select {
		case <-ctx.Done():
			return
		case uid, ok := <-changes:
			if !ok {
				return
			}
			a.enqueueStatus(uid)
		}
	}
}

// enqueueStatus queues a status update of uid, no sooner than
// StatusMinInterval after the last one: the queue holds a UID once, so
// every change within the interval is merged into one update.
func (a *Agent) enqueueStatus(uid types.UID) {
	if d := a.records.statusDelay(uid, time.Now(), a.opts.StatusMinInterval); d > 0 {
		a.statusQueue.AddAfter(uid, d)
		return
	}
	a.statusQueue.Add(uid)
}

func (a *Agent) runStatusWorkers(ctx context.Context) {
	if !cache.WaitForCacheSync(ctx.Done(), a.podsSynced) {
		return
	}
	var wg sync.WaitGroup
	for range statusWorkers {
		wg.Go(func() {
			for a.processNextStatus(ctx) {
			}
		})
	}
	wg.Wait()
}

func (a *Agent) processNextStatus(ctx context.Context) bool {
	uid, quit := a.statusQueue.Get()
	if quit {
		return false
	}
	defer a.statusQueue.Done(uid)
	if err := a.publishStatus(ctx, uid); err != nil {
		if ctx.Err() == nil {
			a.log.Warn("pod status update failed", "uid", string(uid), "err", err)
			a.statusQueue.AddRateLimited(uid)
		}
		return true
	}
	a.statusQueue.Forget(uid)
	return true
}

// publishStatus sends the runner's observed status of uid to the API
// server, merged into the pod's current status, if it differs from it. On
// a conflict it reads the pod again and retries once.
func (a *Agent) publishStatus(ctx context.Context, uid types.UID) error {
	rec := a.records.get(uid)
	if rec == nil {
		return nil
	}
	observed, ok := a.runner.Status(uid)
	if !ok {
		return nil
	}
	ns, name, _ := cache.SplitMetaNamespaceKey(rec.key)
	pod, err := a.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		if pod.UID != uid {
			return nil
		}
		next := mergePodStatus(pod.Status, observed, a.opts.NodeAddress, metav1.Now())
		if equality.Semantic.DeepEqual(pod.Status, next) {
			return nil
		}
		update := pod.DeepCopy()
		update.Status = next
		_, err = a.client.CoreV1().Pods(ns).UpdateStatus(ctx, update, metav1.UpdateOptions{})
		if err == nil {
			a.records.statusSent(uid, time.Now())
			a.metrics.podStatusUpdates.WithLabelValues("ok").Inc()
			return nil
		}
		if !apierrors.IsConflict(err) || attempt > 0 {
			a.metrics.podStatusUpdates.WithLabelValues("error").Inc()
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		}
		a.metrics.podStatusUpdates.WithLabelValues("conflict").Inc()
		pod, err = a.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// mergePodStatus lays what the runner observes over the pod's current
// status. The runner owns phase, reason, message, pod IPs, container
// statuses and the conditions it reports; the agent adds the host IP and
// the start time; everything else (qosClass, nominatedNodeName, conditions
// of other types such as a readiness gate's) is kept. A terminal phase
// never goes back, and an unchanged condition keeps its transition time.
// The result is rounded to what the API stores (seconds), so that an
// unchanged status compares equal to the stored one.
func mergePodStatus(cur, observed corev1.PodStatus, hostIP string, now metav1.Time) corev1.PodStatus {
	next := cur.DeepCopy()
	terminal := cur.Phase == corev1.PodSucceeded || cur.Phase == corev1.PodFailed
	if observed.Phase != "" && !terminal {
		next.Phase = observed.Phase
	}
	next.Reason, next.Message = observed.Reason, observed.Message
	next.PodIP, next.PodIPs = observed.PodIP, observed.PodIPs
	next.InitContainerStatuses = observed.InitContainerStatuses
	next.ContainerStatuses = observed.ContainerStatuses
	next.EphemeralContainerStatuses = observed.EphemeralContainerStatuses
	next.HostIP = hostIP
	next.HostIPs = []corev1.HostIP{{IP: hostIP}}
	if next.StartTime == nil {
		next.StartTime = observed.StartTime
	}
	if next.StartTime == nil {
		next.StartTime = &now
	}
	for _, c := range observed.Conditions {
		found := false
		for i := range next.Conditions {
			old := &next.Conditions[i]
			if old.Type != c.Type {
				continue
			}
			found = true
			if old.Status == c.Status && !old.LastTransitionTime.IsZero() {
				c.LastTransitionTime = old.LastTransitionTime
			}
			*old = c
		}
		if !found {
			next.Conditions = append(next.Conditions, c)
		}
	}
	return roundTrip(*next)
}

// roundTrip returns s as it reads back from the API: times in seconds,
// empty lists as nil.
func roundTrip(s corev1.PodStatus) corev1.PodStatus {
	data, err := json.Marshal(s)
	if err != nil {
		return s
	}
	var out corev1.PodStatus
	if err := json.Unmarshal(data, &out); err != nil {
		return s
	}
	return out
}
