package endpointslice

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// triggerTracker computes the endpoints.kubernetes.io/last-change-trigger-time
// of a Service's slices exactly as k8s.io/endpointslice's TriggerTimeTracker
// does, but updates its per-pod record in place instead of building a new
// map of every pod on every sync.
//
// The trigger time of a pod is the last transition time of its Ready
// condition; of a Service, its creation time. A sync's trigger time is the
// earliest of those that moved forward since the Service's previous sync,
// or the Service's creation time on its first sync. Like kube's, it is
// safe for concurrent use by syncs of different Services only: the
// workqueue never runs one key twice at once.
type triggerTracker struct {
	mu       sync.Mutex
	services map[string]*triggerState
}

type triggerState struct {
	service time.Time
	pods    map[string]podTrigger
	sweep   uint32
}

// podTrigger is a pod's trigger time as last seen, and the sweep (sync)
// that saw it, to forget pods that are gone.
type podTrigger struct {
	at    time.Time
	sweep uint32
}

func newTriggerTracker() *triggerTracker {
	return &triggerTracker{services: map[string]*triggerState{}}
}

// compute records the trigger times of svc and its pods (key is the
// Service's namespace/name) and returns the time to annotate slices with;
// zero means none, and the annotation is removed.
func (t *triggerTracker) compute(key string, svc *corev1.Service, pods []*corev1.Pod) time.Time {
	t.mu.Lock()
	st, known := t.services[key]
	if !known {
		st = &triggerState{pods: make(map[string]podTrigger, len(pods))}
		t.services[key] = st
	}
	t.mu.Unlock()

	st.sweep++
	var earliest time.Time
	seen := 0
	for _, p := range pods {
		at := readyTransition(p)
		if at.IsZero() {
			continue
		}
		if last, ok := st.pods[p.Name]; !ok || at.After(last.at) {
			earliest = earlier(earliest, at)
		}
		st.pods[p.Name] = podTrigger{at: at, sweep: st.sweep}
		seen++ // pod names are unique in a namespace
	}
	if len(st.pods) > seen {
		for name, pt := range st.pods {
			if pt.sweep != st.sweep {
				delete(st.pods, name)
			}
		}
	}
	if svcAt := svc.CreationTimestamp.Time; svcAt.After(st.service) {
		earliest = earlier(earliest, svcAt)
		st.service = svcAt
	}
	if !known {
		return svc.CreationTimestamp.Time
	}
	return earliest
}

// forget drops what is known of the Service key.
func (t *triggerTracker) forget(key string) {
	t.mu.Lock()
	delete(t.services, key)
	t.mu.Unlock()
}

// readyTransition is the last transition time of the pod's Ready
// condition, zero without one.
func readyTransition(p *corev1.Pod) time.Time {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodReady {
			return p.Status.Conditions[i].LastTransitionTime.Time
		}
	}
	return time.Time{}
}

// earlier returns the earlier of cur and t, cur being unset when zero.
func earlier(cur, t time.Time) time.Time {
	if cur.IsZero() || t.Before(cur) {
		return t
	}
	return cur
}
