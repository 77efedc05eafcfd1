package storagetest

import (
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// testRestart: after the storage is destroyed and etcd restarted on the
// same data, a rebuilt storage reads every object at its old revision, a
// watch from a pre-restart revision replays the later changes, and new
// writes continue the revision sequence.
//
// With the watch cache on, the cache starts at the revision it loads at and
// refuses older ones; kube-apiserver would answer 410 Gone and make the
// client relist. portal serves such a watch from etcd's history instead
// (storage/history.go), so both modes must replay exactly.
func testRestart(t *testing.T, h *harness) {
	s := h.store(t, "configmaps")
	w := &writer{t: t, h: h, s: s}
	w.create("r-a")
	mid := rv(t, w.create("r-b"))
	w.events = nil
	a := w.update("r-a", "1")
	w.delete("r-b")
	c := w.create("r-c")
	last := rv(t, c)
	s.destroy()

	h.restart(t)

	s = h.store(t, "configmaps")
	w.s = s
	for _, want := range []struct {
		name, v string
		rv      int64
	}{{"r-a", "1", rv(t, a)}, {"r-c", "0", last}} {
		got := getCM(t, s, want.name)
		if got.Data["v"] != want.v || rv(t, got) != want.rv {
			t.Errorf("after restart %s is v=%s at %d, want v=%s at %d", want.name, got.Data["v"], rv(t, got), want.v, want.rv)
		}
	}
	if _, err := s.Get(ctxIn(namespace), "r-b", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("deleted r-b after restart: got %v, want NotFound", err)
	}

	replay := w.events
	w.events = nil
	watcher := watchFrom(t, s, mid)
	expectEvents(t, watcher, replay)
	w.create("r-d")
	expectEvents(t, watcher, w.events)
	d := createCM(t, s, "r-e", nil)
	if rv(t, d) <= last {
		t.Errorf("write after restart at revision %d, not after the last one before it (%d)", rv(t, d), last)
	}
}
