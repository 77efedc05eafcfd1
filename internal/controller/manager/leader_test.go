package manager

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

func testElection(client kubernetes.Interface, id string) election {
	return election{client: client, identity: id, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		leaseDuration: 3 * time.Second, renewDeadline: 2 * time.Second, retryPeriod: 50 * time.Millisecond}
}

// waitFor polls cond; the bound only keeps a broken election from hanging.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// candidate runs lead in the background and counts how many of its runs
// are active.
type candidate struct {
	active atomic.Int32
	cancel context.CancelFunc
	done   chan error
}

func campaign(e election) *candidate {
	ctx, cancel := context.WithCancel(context.Background())
	c := &candidate{cancel: cancel, done: make(chan error, 1)}
	go func() {
		c.done <- e.lead(ctx, func(ctx context.Context) error {
			c.active.Add(1)
			defer c.active.Add(-1)
			<-ctx.Done()
			// Stopping takes a moment; the successor must wait for it.
			time.Sleep(50 * time.Millisecond)
			return nil
		})
	}()
	return c
}

// TestOneLeaderAtATime: a second candidate runs nothing while the first
// leads, and takes over once the first stops and releases the Lease,
// never overlapping with it.
func TestOneLeaderAtATime(t *testing.T) {
	client := fake.NewClientset()
	a := campaign(testElection(client, "a"))
	waitFor(t, "a to lead", func() bool { return a.active.Load() == 1 })
	b := campaign(testElection(client, "b"))
	time.Sleep(300 * time.Millisecond)
	if b.active.Load() != 0 {
		t.Fatal("b runs while a leads")
	}
	lease, err := client.CoordinationV1().Leases(LeaseNamespace).Get(context.Background(), LeaseName, metav1.GetOptions{})
	if err != nil || ptr.Deref(lease.Spec.HolderIdentity, "") != "a" {
		t.Fatalf("lease = %+v, %v", lease, err)
	}

	a.cancel()
	var overlap atomic.Bool
	go func() {
		for a.active.Load() > 0 {
			if b.active.Load() > 0 {
				overlap.Store(true)
			}
		}
	}()
	if err := <-a.done; err != nil {
		t.Fatalf("a: %v", err)
	}
	// a released the lease, so b need not wait for it to expire.
	waitFor(t, "b to lead", func() bool { return b.active.Load() == 1 })
	if overlap.Load() {
		t.Fatal("b ran while a was still stopping")
	}
	b.cancel()
	if err := <-b.done; err != nil {
		t.Fatalf("b: %v", err)
	}
}

// TestSameIdentityTakesLeaseBack: a process that restarts with the
// identity it had leads at once, although its lease has not expired; any
// other identity waits.
func TestSameIdentityTakesLeaseBack(t *testing.T) {
	now := metav1.NewMicroTime(time.Now())
	client := fake.NewClientset(&coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Namespace: LeaseNamespace, Name: LeaseName},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("portal-up"), LeaseDurationSeconds: ptr.To(int32(3600)),
			AcquireTime: &now, RenewTime: &now},
	})
	other := campaign(testElection(client, "other"))
	defer func() { other.cancel(); <-other.done }()
	same := campaign(testElection(client, "portal-up"))
	waitFor(t, "the same identity to lead", func() bool { return same.active.Load() == 1 })
	if other.active.Load() != 0 {
		t.Fatal("another identity took an unexpired lease")
	}
	same.cancel()
	<-same.done
}

// TestRunErrorEndsLead: a failing controller ends lead with its error
// instead of campaigning again.
func TestRunErrorEndsLead(t *testing.T) {
	boom := errors.New("boom")
	err := testElection(fake.NewClientset(), "a").lead(context.Background(), func(context.Context) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
}

// TestStopIsClean: controllers that report the cancellation when they are
// stopped (as one cut short before its cache synced does) do not make
// lead fail.
func TestStopIsClean(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- testElection(fake.NewClientset(), "a").lead(ctx, func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		})
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("lead = %v, want nil", err)
	}
}
