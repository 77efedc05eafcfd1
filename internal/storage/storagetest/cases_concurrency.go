package storagetest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
)

const (
	writers          = 10
	incrementsEach   = 5
	maxConflictTries = 1000
)

// testConcurrentUpdates: writers goroutines each add incrementsEach to a
// counter in one ConfigMap, either as clients do (get, update at that
// resourceVersion, retry on 409) or with an update function the storage
// re-applies to the current object on a conflict (GuaranteedUpdate). The
// counter ends at exactly writers*incrementsEach, and etcd saw exactly that
// many writes of the key after its creation: no update lost or doubled.
func testConcurrentUpdates(t *testing.T, h *harness) {
	s := h.store(t, "configmaps")
	tests := []struct {
		name string
		// increment adds one to the counter of the named ConfigMap,
		// counting the conflicts it retried.
		increment func(name string, conflicts *atomic.Int64) error
	}{
		{name: "client retries on conflict", increment: func(name string, conflicts *atomic.Int64) error {
			for try := 0; try < maxConflictTries; try++ {
				obj, err := s.Get(ctxIn(namespace), name, &metav1.GetOptions{})
				if err != nil {
					return err
				}
				cm, err := incremented(obj)
				if err != nil {
					return err
				}
				_, err = update(ctxIn(namespace), s, cm, name)
				if !apierrors.IsConflict(err) {
					return err
				}
				conflicts.Add(1)
			}
			return fmt.Errorf("still conflicting after %d tries", maxConflictTries)
		}},
		{name: "storage retries the update function", increment: func(name string, _ *atomic.Int64) error {
			inc := func(_ context.Context, _, old runtime.Object) (runtime.Object, error) { return incremented(old) }
			_, _, err := s.Update(ctxIn(namespace), name, rest.DefaultUpdatedObjectInfo(nil, inc),
				rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
			return err
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("counter-%d", i)
			createCM(t, s, name, map[string]string{"n": "0"})
			var conflicts atomic.Int64
			errs := make(chan error, writers*incrementsEach)
			var wg sync.WaitGroup
			for g := 0; g < writers; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := 0; j < incrementsEach; j++ {
						if err := tc.increment(name, &conflicts); err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("increment: %v", err)
			}
			want := writers * incrementsEach
			got := getCM(t, s, name)
			if got.Data["n"] != strconv.Itoa(want) {
				t.Errorf("counter is %s after %d increments", got.Data["n"], want)
			}
			mod, version := h.modRevision(t, key("configmaps", namespace, name))
			if version != int64(1+want) {
				t.Errorf("etcd wrote %s %d times after creating it, want %d", name, version-1, want)
			}
			if rv(t, got) != mod {
				t.Errorf("counter at resourceVersion %d, etcd mod revision %d", rv(t, got), mod)
			}
			t.Logf("%d increments by %d writers, %d conflicts retried by clients", want, writers, conflicts.Load())
		})
	}
}

// incremented returns a copy of a counter ConfigMap with n one higher, at
// the same resourceVersion.
func incremented(obj runtime.Object) (*corev1.ConfigMap, error) {
	cm := obj.(*corev1.ConfigMap).DeepCopy()
	n, err := strconv.Atoi(cm.Data["n"])
	if err != nil {
		return nil, fmt.Errorf("counter %q: %w", cm.Data["n"], err)
	}
	cm.Data["n"] = strconv.Itoa(n + 1)
	return cm, nil
}
