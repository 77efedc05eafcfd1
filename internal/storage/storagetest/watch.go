package storagetest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/registry/rest"
)

// event is what the suite compares of a watch event.
type event struct {
	Type watch.EventType
	Name string
	RV   int64
}

func (e event) String() string { return fmt.Sprintf("%s %s@%d", e.Type, e.Name, e.RV) }

// watchFrom starts a watch of the suite's namespace from revision rv and
// stops it in t.Cleanup.
func watchFrom(t testing.TB, s rest.Watcher, rv int64) watch.Interface {
	t.Helper()
	w, err := s.Watch(ctxIn(namespace), &metainternalversion.ListOptions{
		Watch:           true,
		ResourceVersion: itoa(rv),
	})
	if err != nil {
		t.Fatalf("watch from %d: %v", rv, err)
	}
	t.Cleanup(w.Stop)
	return w
}

// nextEvents reads n events from w. An error event, the end of the watch,
// or nothing for pollTimeout fails the test.
func nextEvents(t testing.TB, w watch.Interface, n int) []event {
	t.Helper()
	var out []event
	timeout := time.NewTimer(pollTimeout)
	defer timeout.Stop()
	for len(out) < n {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("watch ended after %v, want %d events", out, n)
			}
			if ev.Type == watch.Error {
				t.Fatalf("watch error after %v: %v", out, apierrors.FromObject(ev.Object))
			}
			out = append(out, event{Type: ev.Type, Name: metaOf(t, ev.Object).GetName(), RV: rv(t, ev.Object)})
		case <-timeout.C:
			t.Fatalf("watch delivered %v and then nothing for %v, want %d events", out, pollTimeout, n)
		}
	}
	return out
}

// expectEvents checks that w delivers exactly want next, in order.
func expectEvents(t testing.TB, w watch.Interface, want []event) {
	t.Helper()
	got := nextEvents(t, w, len(want))
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("watch events:\n got %v\nwant %v", got, want)
		}
	}
}

// watchExpired reports whether a watch from a revision is refused as 410
// Gone, reason Expired: either Watch fails, or its first event is an error
// with that status and the watch then ends. Any other first event is
// returned as unexpected.
func watchExpired(t testing.TB, s rest.Watcher, rv int64) (expired bool, unexpected string) {
	t.Helper()
	w, err := s.Watch(ctxIn(namespace), &metainternalversion.ListOptions{
		Watch:           true,
		ResourceVersion: itoa(rv),
	})
	if err != nil {
		if isGone(err) {
			return true, ""
		}
		return false, fmt.Sprintf("watch failed with %v", err)
	}
	defer w.Stop()
	select {
	case ev, ok := <-w.ResultChan():
		if !ok {
			return false, "watch ended without an event"
		}
		if ev.Type != watch.Error {
			return false, fmt.Sprintf("watch delivered %s %s", ev.Type, metaOf(t, ev.Object).GetName())
		}
		err := apierrors.FromObject(ev.Object)
		if !isGone(err) {
			return false, fmt.Sprintf("watch error event %#v", ev.Object)
		}
	case <-time.After(pollTimeout):
		return false, fmt.Sprintf("watch delivered nothing for %v", pollTimeout)
	}
	// After the error the watch must end: a client relists then.
	select {
	case ev, ok := <-w.ResultChan():
		if ok {
			return false, fmt.Sprintf("watch went on after 410 with %s", ev.Type)
		}
	case <-time.After(pollTimeout):
		return false, fmt.Sprintf("watch still open %v after 410", pollTimeout)
	}
	return true, ""
}

// isGone: 410 Gone with reason Expired, as kube-apiserver answers a watch
// or list from a compacted revision.
func isGone(err error) bool {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return false
	}
	s := st.Status()
	return s.Code == http.StatusGone && s.Reason == metav1.StatusReasonExpired && apierrors.IsResourceExpired(err)
}

// currentRevision is etcd's revision now, as a read's header reports it.
func (h *harness) currentRevision(t testing.TB) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
	defer cancel()
	resp, err := h.etcd.Get(ctx, "/registry/no-such-key")
	if err != nil {
		t.Fatalf("etcd get: %v", err)
	}
	return resp.Header.Revision
}

func itoa(rev int64) string { return strconv.FormatInt(rev, 10) }
