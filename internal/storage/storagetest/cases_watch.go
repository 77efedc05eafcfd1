package storagetest

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// writer performs writes through a store and records the watch event each
// one must cause, at the revision etcd gave it.
type writer struct {
	t      testing.TB
	h      *harness
	s      *built
	events []event
}

func (w *writer) create(name string) *corev1.ConfigMap {
	w.t.Helper()
	cm := createCM(w.t, w.s, name, map[string]string{"v": "0"})
	w.events = append(w.events, event{watch.Added, name, rv(w.t, cm)})
	return cm
}

func (w *writer) update(name, v string) *corev1.ConfigMap {
	w.t.Helper()
	cm := getCM(w.t, w.s, name)
	cm.Data = map[string]string{"v": v}
	cm = updateCM(w.t, w.s, cm)
	w.events = append(w.events, event{watch.Modified, name, rv(w.t, cm)})
	return cm
}

func (w *writer) delete(name string) {
	w.t.Helper()
	del(w.t, w.s, name)
	// Nothing else writes to this etcd: the delete is its newest revision.
	w.events = append(w.events, event{watch.Deleted, name, w.h.currentRevision(w.t)})
}

// testWatchOrdered: a watch from a resourceVersion delivers every later
// change, those before it started and those after, once each, in revision
// order, each at the revision of its write; a watch from a later revision
// delivers exactly the rest.
func testWatchOrdered(t *testing.T, h *harness) {
	s := h.store(t, "configmaps")
	w := &writer{t: t, h: h, s: s}
	start := rv(t, w.create("w-a"))
	w.events = nil

	// History the watch must replay.
	w.create("w-b")
	w.create("w-c")
	w.create("w-d")
	w.update("w-b", "1")
	w.delete("w-c")
	history := len(w.events)
	watcher := watchFrom(t, s, start)

	// Changes while it watches.
	w.update("w-d", "1")
	w.delete("w-a")
	w.create("w-e")
	w.update("w-e", "1")
	w.update("w-e", "2")
	expectEvents(t, watcher, w.events)

	// A second watch from the middle of the history gets exactly the rest.
	mid := w.events[history-1].RV
	second := watchFrom(t, s, mid)
	expectEvents(t, second, w.events[history:])

	// Nothing doubled or left over: the next event of each is the next write.
	w.events = nil
	w.create("w-z")
	expectEvents(t, watcher, w.events)
	expectEvents(t, second, w.events)
}

// testWatchCompacted: once etcd compacted a revision away, a watch from
// before it is 410 Gone, reason Expired (a client then relists), and so is
// a list at exactly that revision; a watch from the compacted revision
// itself still works. The storage is built after the compaction so that a
// watch cache, when on, cannot answer from its own memory of older events.
func testWatchCompacted(t *testing.T, h *harness) {
	before := h.store(t, "configmaps")
	old := rv(t, createCM(t, before, "c-a", nil))
	createCM(t, before, "c-b", nil)
	compacted := rv(t, createCM(t, before, "c-c", nil))
	before.destroy()
	h.compact(t, compacted)

	s := h.store(t, "configmaps")
	if expired, unexpected := watchExpired(t, s, old); !expired {
		t.Errorf("watch from compacted revision %d (compacted to %d): %s, want 410 Gone reason Expired", old, compacted, unexpected)
	}
	_, err := s.List(ctxIn(namespace), &metainternalversion.ListOptions{
		ResourceVersion:      itoa(old),
		ResourceVersionMatch: metav1.ResourceVersionMatchExact,
	})
	if !isGone(err) {
		t.Errorf("list at compacted revision %d: got %v, want 410 Gone reason Expired", old, err)
	}

	watcher := watchFrom(t, s, compacted)
	w := &writer{t: t, h: h, s: s}
	w.create("c-d")
	w.update("c-a", "1")
	expectEvents(t, watcher, w.events)
}
