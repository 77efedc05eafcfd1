package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/portal-dev/portal/test/e2e/framework"
)

// TestRestartKeepsStateAndHistory writes objects, restarts portal on the
// same data directory, and checks that the objects are there and that a
// watch from a revision taken before the restart replays every later event
// exactly once.
func TestRestartKeepsStateAndHistory(t *testing.T) {
	c := framework.Start(t, framework.Options{})
	ctx := context.Background()
	cms := c.Client().CoreV1().ConfigMaps("default")
	mk := func(name, v string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"v": v}}
	}
	base, err := cms.Create(ctx, mk("base", "0"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	from := base.ResourceVersion
	// The history after `from`, in order.
	var want []string
	for i := 0; i < 5; i++ {
		name := fmt.Sprintf("cm-%d", i)
		if _, err := cms.Create(ctx, mk(name, "1"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		want = append(want, "ADDED "+name)
	}
	if _, err := cms.Update(ctx, mk("cm-1", "2"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	want = append(want, "MODIFIED cm-1")
	if err := cms.Delete(ctx, "cm-2", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	want = append(want, "DELETED cm-2")

	c.Restart()
	cms = c.Client().CoreV1().ConfigMaps("default")

	list, err := cms.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, cm := range list.Items {
		got[cm.Name] = cm.Data["v"]
	}
	wantObjs := map[string]string{"base": "0", "cm-0": "1", "cm-1": "2", "cm-3": "1", "cm-4": "1"}
	for name, v := range wantObjs {
		if got[name] != v {
			t.Errorf("after restart %s has v=%q, want %q (all: %v)", name, got[name], v, got)
		}
	}
	if len(got) != len(wantObjs) {
		t.Errorf("after restart there are %d configmaps, want %d: %v", len(got), len(wantObjs), got)
	}

	// One more change after the restart, so the replay must join history
	// and live events without a gap or a repeat.
	w, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: from})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if _, err := cms.Create(ctx, mk("after", "1"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	want = append(want, "ADDED after")
	var seen []string
	timeout := time.After(time.Minute)
	for len(seen) < len(want) {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("watch closed after %v", seen)
			}
			if ev.Type == watch.Error {
				t.Fatalf("watch error after %v: %v", seen, ev.Object)
			}
			cm := ev.Object.(*corev1.ConfigMap)
			seen = append(seen, string(ev.Type)+" "+cm.Name)
		case <-timeout:
			t.Fatalf("watch from %s delivered %v, want %v", from, seen, want)
		}
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("watch from %s delivered %v, want %v", from, seen, want)
		}
	}
	// Nothing doubled: no further event arrives.
	select {
	case ev := <-w.ResultChan():
		t.Fatalf("unexpected extra event %s %v", ev.Type, ev.Object)
	case <-time.After(500 * time.Millisecond):
	}
}
