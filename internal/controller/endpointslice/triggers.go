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

// sweep is one sync's pass over a Service's pods; see begin.
type sweep struct {
	st       *triggerState
	known    bool
	earliest time.Time
	seen     int
}

// begin starts recording the trigger times of the Service key (its
// namespace/name): call observe for every pod with a Ready condition,
// then end.
func (t *triggerTracker) begin(key string) *sweep {
	t.mu.Lock()
	st, known := t.services[key]
	if !known {
		st = &triggerState{pods: map[string]podTrigger{}}
		t.services[key] = st
	}
	t.mu.Unlock()
	st.sweep++
	return &sweep{st: st, known: known}
}

// observe records that pod's Ready condition last changed at readyAt.
func (s *sweep) observe(pod string, readyAt time.Time) {
	if last, ok := s.st.pods[pod]; !ok || readyAt.After(last.at) {
		s.earliest = earlier(s.earliest, readyAt)
	}
	s.st.pods[pod] = podTrigger{at: readyAt, sweep: s.st.sweep}
	s.seen++ // pod names are unique in a namespace
}

// drop forgets pod: it is gone, or has no Ready condition.
func (s *sweep) drop(pod string) {
	delete(s.st.pods, pod)
}

// endChanged is end for a sweep that observed (or dropped) only the pods
// that changed since the previous sweep: the others are kept as they are.
func (s *sweep) endChanged(svc *corev1.Service) time.Time {
	s.seen = len(s.st.pods)
	return s.end(svc)
}

// known reports whether the Service key has been swept before.
func (t *triggerTracker) known(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.services[key]
	return ok
}

// end forgets the pods not observed and returns the time to annotate
// slices with; zero means none, and the annotation is removed.
func (s *sweep) end(svc *corev1.Service) time.Time {
	st := s.st
	if len(st.pods) > s.seen {
		for name, pt := range st.pods {
			if pt.sweep != st.sweep {
				delete(st.pods, name)
			}
		}
	}
	if svcAt := svc.CreationTimestamp.Time; svcAt.After(st.service) {
		s.earliest = earlier(s.earliest, svcAt)
		st.service = svcAt
	}
	if !s.known {
		return svc.CreationTimestamp.Time
	}
	return s.earliest
}

// compute is begin, observe for every pod, and end.
func (t *triggerTracker) compute(key string, svc *corev1.Service, pods []*corev1.Pod) time.Time {
	s := t.begin(key)
	for _, p := range pods {
		if _, at := readyCondition(p); !at.IsZero() {
			s.observe(p.Name, at)
		}
	}
	return s.end(svc)
}

// forget drops what is known of the Service key.
func (t *triggerTracker) forget(key string) {
	t.mu.Lock()
	delete(t.services, key)
	t.mu.Unlock()
}

// earlier returns the earlier of cur and t, cur being unset when zero.
func earlier(cur, t time.Time) time.Time {
	if cur.IsZero() || t.Before(cur) {
		return t
	}
	return cur
}
