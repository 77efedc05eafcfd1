package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/portal-dev/portal/internal/agent/runner"
)

// podWorkers is how many pods are synced at once. Stopping a pod does not
// hold a worker: it runs on a goroutine of its own.
const podWorkers = 4

// runPodWorkers syncs pods from the queue until it shuts down. It first
// waits for the informer, then releases what pods deleted while the agent
// was down left behind.
func (a *Agent) runPodWorkers(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), a.podsSynced) {
		return nil
	}
	a.collectGarbage(ctx)
	var wg sync.WaitGroup
	for range podWorkers {
		wg.Go(func() {
			for a.processNextPod(ctx) {
			}
		})
	}
	wg.Wait()
	return nil
}

func (a *Agent) processNextPod(ctx context.Context) bool {
	key, quit := a.syncQueue.Get()
	if quit {
		return false
	}
	defer a.syncQueue.Done(key)
	if err := a.syncPod(ctx, key); err != nil {
		if ctx.Err() != nil {
			return true
		}
		ns, name, _ := cache.SplitMetaNamespaceKey(key)
		a.log.Warn("pod sync failed", "namespace", ns, "pod", name, "err", err)
		a.syncQueue.AddRateLimited(key)
		return true
	}
	a.syncQueue.Forget(key)
	return true
}

// syncPod brings the pod named by key to its desired state: running (the
// runner syncs it), stopping (a deletionTimestamp is set) or gone (the pod
// left the API, or a new pod took its name).
func (a *Agent) syncPod(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := a.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		pod = nil
	} else if err != nil {
		return err
	}
	for _, rec := range a.records.forKey(key) {
		if pod == nil || rec.uid != pod.UID {
			a.stopPod(ctx, rec, gracePeriod(rec.lastPod()), false)
		}
	}
	if pod == nil {
		a.records.dropFinished(key, "")
		return nil
	}
	a.records.dropFinished(key, pod.UID)
	if pod.Spec.NodeName != a.opts.NodeName {
		return nil
	}
	if a.records.isFinished(pod.UID) {
		// Stopped and cleaned up; only the API object is left.
		if pod.DeletionTimestamp != nil {
			return a.deletePodObject(ctx, pod.Namespace, pod.Name, pod.UID)
		}
		return nil
	}
	rec := a.records.ensure(pod)
	if pod.DeletionTimestamp != nil {
		a.stopPod(ctx, rec, gracePeriod(pod), true)
		return nil
	}
	if rec.isStopping() {
		return nil
	}
	sb, err := a.ensureSandbox(ctx, rec, pod)
	if err != nil {
		a.metrics.podSyncs.WithLabelValues("error").Inc()
		return fmt.Errorf("pod sandbox: %w", err)
	}
	if err := a.runner.Sync(ctx, pod, sb); err != nil {
		a.metrics.podSyncs.WithLabelValues("error").Inc()
		return fmt.Errorf("runner sync: %w", err)
	}
	a.metrics.podSyncs.WithLabelValues("ok").Inc()
	a.enqueueStatus(pod.UID)
	return nil
}

// gracePeriod is how long a pod's processes get between SIGTERM and
// SIGKILL: the deletion's grace period, else the pod's
// terminationGracePeriodSeconds, else 30s.
func gracePeriod(pod *corev1.Pod) time.Duration {
	switch {
	case pod == nil:
	case pod.DeletionGracePeriodSeconds != nil:
		return time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	case pod.Spec.TerminationGracePeriodSeconds != nil:
		return time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	return corev1.DefaultTerminationGracePeriodSeconds * time.Second
}

// podDir is the pod's directory under the data directory.
func (a *Agent) podDir(uid types.UID) string {
	return filepath.Join(a.opts.DataDir, "pods", string(uid))
}

// ensureSandbox prepares the pod's network and resolv.conf once per run
// of the agent; a pod that had an address keeps it.
func (a *Agent) ensureSandbox(ctx context.Context, rec *podRecord, pod *corev1.Pod) (runner.Sandbox, error) {
	if sb, ok := rec.getSandbox(); ok {
		return sb, nil
	}
	sb := runner.Sandbox{NodeName: a.opts.NodeName, PodIP: a.opts.NodeAddress, HostIP: a.opts.NodeAddress}
	if !pod.Spec.HostNetwork {
		ip, netns, err := a.network.Setup(ctx, pod.UID)
		a.allocated.Store(int64(a.network.Allocated()))
		if err != nil {
			return sb, err
		}
		sb.PodIP, sb.NetNS = ip.String(), netns
	}
	dir := a.podDir(pod.UID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sb, err
	}
	sb.ResolvConf = filepath.Join(dir, "resolv.conf")
	dns := podDNS(pod, a.opts.ClusterDNS, a.opts.ClusterDomain, a.hostDNS)
	if err := writeFileAtomic(sb.ResolvConf, dns.render(), 0o644); err != nil {
		return sb, err
	}
	rec.setSandbox(sb)
	return sb, nil
}

// stopPod stops the pod's processes on a goroutine of its own, once; see
// finishPod.
func (a *Agent) stopPod(ctx context.Context, rec *podRecord, grace time.Duration, deleteObject bool) {
	if !rec.markStopping() {
		return
	}
	a.stopping.Go(func() { a.finishPod(ctx, rec, grace, deleteObject) })
}

// finishPod terminates the pod's processes with the grace period, posts
// their final status, releases the pod's address, network namespace and
// directory, and, when deleteObject is set, deletes the pod object with
// grace 0 and a UID precondition: that is how kubelet completes a graceful
// deletion. If ctx ends first, nothing is released: the next run of the
// agent finds the pod again.
func (a *Agent) finishPod(ctx context.Context, rec *podRecord, grace time.Duration, deleteObject bool) {
	ns, name, _ := cache.SplitMetaNamespaceKey(rec.key)
	log := a.log.With("namespace", ns, "pod", name)
	log.Info("stopping pod", "grace", grace.String())
	if err := a.runner.Terminate(ctx, rec.uid, grace); err != nil {
		if ctx.Err() != nil {
			return
		}
		log.Warn("pod termination failed", "err", err)
	}
	if deleteObject {
		if err := a.publishStatus(ctx, rec.uid); err != nil && ctx.Err() == nil {
			log.Warn("final pod status failed", "err", err)
		}
	}
	a.runner.Forget(rec.uid)
	result := "ok"
	if err := a.network.Teardown(ctx, rec.uid); err != nil {
		result = "error"
		log.Warn("pod network teardown failed", "err", err)
	}
	a.allocated.Store(int64(a.network.Allocated()))
	if err := os.RemoveAll(a.podDir(rec.uid)); err != nil {
		log.Warn("pod directory removal failed", "err", err)
	}
	a.records.finish(rec.uid)
	a.metrics.podTerminations.WithLabelValues(result).Inc()
	if deleteObject {
		if err := a.deletePodObject(ctx, ns, name, rec.uid); err != nil && ctx.Err() == nil {
			log.Warn("pod deletion failed", "err", err)
			a.syncQueue.AddRateLimited(rec.key)
			return
		}
	}
	log.Info("pod stopped")
}

// deletePodObject removes a terminated pod from the API: grace 0, and only
// if it is still the pod with uid.
func (a *Agent) deletePodObject(ctx context.Context, ns, name string, uid types.UID) error {
	err := a.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To(int64(0)),
		Preconditions:      metav1.NewUIDPreconditions(string(uid)),
	})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}

// collectGarbage releases the addresses, network namespaces and
// directories of pods that are no longer bound to this node: pods deleted
// while the agent was down. Run calls it once the informer has synced and
// before any pod is synced.
func (a *Agent) collectGarbage(ctx context.Context) {
	live := map[types.UID]bool{}
	pods, _ := a.pods.List(everything)
	for _, p := range pods {
		live[p.UID] = true
	}
	for _, uid := range a.network.Pods() {
		if live[uid] {
			continue
		}
		if err := a.network.Teardown(ctx, uid); err != nil {
			a.log.Warn("stale pod network teardown failed", "uid", string(uid), "err", err)
		}
	}
	a.allocated.Store(int64(a.network.Allocated()))
	entries, _ := os.ReadDir(filepath.Join(a.opts.DataDir, "pods"))
	for _, e := range entries {
		if !live[types.UID(e.Name())] {
			_ = os.RemoveAll(filepath.Join(a.opts.DataDir, "pods", e.Name()))
		}
	}
}
