package ctrltest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

var serial atomic.Int64

// NewClientset returns a fake clientset holding objs whose creates fill
// metadata.name from generateName, give every object a uid, a fresh
// resourceVersion and generation 1, and whose updates bump generation and
// resourceVersion, as the API server does (the fake does neither, and
// informer handlers ignore updates that keep the resourceVersion).
func NewClientset(objs ...runtime.Object) *fake.Clientset {
	for _, o := range objs {
		if m, err := meta.Accessor(o); err == nil {
			if m.GetUID() == "" {
				m.SetUID(types.UID(fmt.Sprintf("uid-%d", serial.Add(1))))
			}
			m.SetResourceVersion(fmt.Sprint(serial.Add(1)))
		}
	}
	cs := fake.NewClientset(objs...)
	cs.PrependReactor("create", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		obj := a.(k8stesting.CreateAction).GetObject()
		m, err := meta.Accessor(obj)
		if err != nil {
			return false, nil, nil
		}
		if m.GetName() == "" && m.GetGenerateName() != "" {
			m.SetName(fmt.Sprintf("%s%05d", m.GetGenerateName(), serial.Add(1)))
		}
		if m.GetUID() == "" {
			m.SetUID(types.UID(fmt.Sprintf("uid-%d", serial.Add(1))))
		}
		m.SetGeneration(1)
		m.SetResourceVersion(fmt.Sprint(serial.Add(1)))
		return false, obj, nil
	})
	cs.PrependReactor("update", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "" {
			return false, nil, nil
		}
		obj := a.(k8stesting.UpdateAction).GetObject()
		m, err := meta.Accessor(obj)
		if err != nil {
			return false, nil, nil
		}
		stored, err := cs.Tracker().Get(a.GetResource(), a.GetNamespace(), m.GetName())
		if err != nil {
			return false, nil, nil // the fake answers NotFound
		}
		old, _ := meta.Accessor(stored)
		// As the API server's BeforeUpdate: keep uid, creation time and
		// generation (bumped once here) from the stored object.
		if m.GetUID() == "" {
			m.SetUID(old.GetUID())
		}
		m.SetCreationTimestamp(old.GetCreationTimestamp())
		m.SetGeneration(old.GetGeneration() + 1)
		m.SetResourceVersion(fmt.Sprint(serial.Add(1)))
		return false, obj, nil
	})
	return cs
}

// Runner is anything with the controllers' Run.
type Runner interface {
	Run(ctx context.Context) error
}

// Start starts factory and runs c until the test ends.
func Start(t testing.TB, factory informers.SharedInformerFactory, c Runner) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	factory.Start(ctx.Done())
	go func() {
		defer close(done)
		if err := c.Run(ctx); err != nil && ctx.Err() == nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		factory.Shutdown()
	})
	return ctx
}

// Eventually polls cond every 5ms until it holds, failing the test with
// cond's last message after timeout.
func Eventually(t testing.TB, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var msg string
	for {
		var ok bool
		if ok, msg = cond(); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", timeout, msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Never checks for d that cond never holds.
func Never(t testing.TB, d time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if ok, msg := cond(); ok {
			t.Fatalf("unexpected: %s", msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
