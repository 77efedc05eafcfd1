package replicaset

import (
	"sync"
	"time"
)

// expectationsTTL bounds how long a ReplicaSet waits for the pod informer
// to report what it asked for; after that it trusts the cache again.
const expectationsTTL = 5 * time.Minute

// expectations records, per ReplicaSet key, the pod creations and deletions
// a sync asked for and the informer has not reported yet. While some are
// outstanding the ReplicaSet does not create or delete pods, because its
// view of the pods is stale. Deletions are tracked by pod key so that a pod
// reported twice (terminating, then gone) counts once.
type expectations struct {
	mu  sync.Mutex
	m   map[string]*expectation
	now func() time.Time
}

type expectation struct {
	adds      int
	deletions map[string]struct{}
	set       time.Time
}

func newExpectations() *expectations {
	return &expectations{m: map[string]*expectation{}, now: time.Now}
}

// satisfied reports whether the ReplicaSet may act on its cached pods: it
// has no outstanding expectations, or they have expired.
func (e *expectations) satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.m[key]
	if !ok {
		return true
	}
	if x.adds <= 0 && len(x.deletions) == 0 {
		return true
	}
	return e.now().Sub(x.set) > expectationsTTL
}

// expectCreations replaces the key's expectations with n creations.
func (e *expectations) expectCreations(key string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[key] = &expectation{adds: n, set: e.now()}
}

// expectDeletions replaces the key's expectations with the deletion of the
// given pods.
func (e *expectations) expectDeletions(key string, podKeys []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := &expectation{deletions: make(map[string]struct{}, len(podKeys)), set: e.now()}
	for _, k := range podKeys {
		x.deletions[k] = struct{}{}
	}
	e.m[key] = x
}

// creationObserved lowers the expected creations by one.
func (e *expectations) creationObserved(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok {
		x.adds--
	}
}

// deletionObserved records that podKey is gone (or going).
func (e *expectations) deletionObserved(key, podKey string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok {
		delete(x.deletions, podKey)
	}
}

// delete forgets the key.
func (e *expectations) delete(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}
