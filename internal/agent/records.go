package agent

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/portal-dev/portal/internal/agent/runner"
)

var everything = labels.Everything()

// podRecord is what the agent keeps about a pod it runs. uid and key never
// change; the other fields are guarded by the owning podRecords' lock.
type podRecord struct {
	uid types.UID
	key string // namespace/name

	// set is the podRecords the record belongs to (for its lock).
	set *podRecords
	// pod is the last version seen: its grace period applies should the
	// pod leave the API without a graceful deletion.
	pod *corev1.Pod
	// sandbox is set once the pod's network and resolv.conf are ready.
	sandbox *runner.Sandbox
	// stopping is set once a stop is under way.
	stopping bool
	// statusAt is when the pod's status was last sent.
	statusAt time.Time
}

func (r *podRecord) lastPod() *corev1.Pod {
	r.set.mu.Lock()
	defer r.set.mu.Unlock()
	return r.pod
}

func (r *podRecord) getSandbox() (runner.Sandbox, bool) {
	r.set.mu.Lock()
	defer r.set.mu.Unlock()
	if r.sandbox == nil {
		return runner.Sandbox{}, false
	}
	return *r.sandbox, true
}

func (r *podRecord) setSandbox(sb runner.Sandbox) {
	r.set.mu.Lock()
	defer r.set.mu.Unlock()
	r.sandbox = &sb
}

// markStopping sets stopping and reports whether it was not set before.
func (r *podRecord) markStopping() bool {
	r.set.mu.Lock()
	defer r.set.mu.Unlock()
	if r.stopping {
		return false
	}
	r.stopping = true
	return true
}

func (r *podRecord) isStopping() bool {
	r.set.mu.Lock()
	defer r.set.mu.Unlock()
	return r.stopping
}

// podRecords is the set of pods the agent runs or stops, and of those it
// has finished with whose API object may still be seen. Safe for
// concurrent use.
type podRecords struct {
	mu    sync.Mutex
	byUID map[types.UID]*podRecord
	// finished holds pods stopped and cleaned up, until the informer shows
	// their object gone or replaced: uid -> key.
	finished map[types.UID]string
}

func newPodRecords() *podRecords {
	return &podRecords{byUID: map[types.UID]*podRecord{}, finished: map[types.UID]string{}}
}

func (s *podRecords) get(uid types.UID) *podRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byUID[uid]
}

// ensure returns pod's record, made if missing, with pod as its last seen
// version.
func (s *podRecords) ensure(pod *corev1.Pod) *podRecord {
	key, _ := cache.MetaNamespaceKeyFunc(pod)
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byUID[pod.UID]
	if !ok {
		r = &podRecord{uid: pod.UID, key: key, set: s}
		s.byUID[pod.UID] = r
	}
	r.pod = pod
	return r
}

// forKey returns the records of every pod that had the name key.
func (s *podRecords) forKey(key string) []*podRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*podRecord
	for _, r := range s.byUID {
		if r.key == key {
			out = append(out, r)
		}
	}
	return out
}

// finish moves uid's record to the finished set.
func (s *podRecords) finish(uid types.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.byUID[uid]; ok {
		s.finished[uid] = r.key
		delete(s.byUID, uid)
	}
}

func (s *podRecords) isFinished(uid types.UID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.finished[uid]
	return ok
}

// dropFinished forgets the finished pods named key, but for keep.
func (s *podRecords) dropFinished(key string, keep types.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for uid, k := range s.finished {
		if k == key && uid != keep {
			delete(s.finished, uid)
		}
	}
}

// statusDelay is how long to wait before sending uid's status so that two
// updates are at least min apart.
func (s *podRecords) statusDelay(uid types.UID, now time.Time, min time.Duration) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byUID[uid]
	if !ok || r.statusAt.IsZero() {
		return 0
	}
	return r.statusAt.Add(min).Sub(now)
}

func (s *podRecords) statusSent(uid types.UID, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.byUID[uid]; ok {
		r.statusAt = at
	}
}

func (s *podRecords) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byUID)
}
