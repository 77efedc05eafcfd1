package manager

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// The Lease the controllers are elected on.
const (
	LeaseName      = "portal-controllers"
	LeaseNamespace = "kube-system"
)

// election runs the controllers only while this process holds the Lease,
// so several controller processes against one API server never act at
// once (the loadbalancer controller's allocations live in memory: two
// leaders would hand out one address twice).
type election struct {
	client   kubernetes.Interface
	identity string
	log      *slog.Logger
	// kube-controller-manager's defaults: 15s, 10s, 2s.
	leaseDuration, renewDeadline, retryPeriod time.Duration
}

func newElection(client kubernetes.Interface, identity string, log *slog.Logger) election {
	if identity == "" {
		identity = RandomIdentity()
	}
	return election{client: client, identity: identity, log: log,
		leaseDuration: 15 * time.Second, renewDeadline: 10 * time.Second, retryPeriod: 2 * time.Second}
}

// RandomIdentity is hostname_<random>, unique to this process.
func RandomIdentity() string {
	host, _ := os.Hostname()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return host + "_" + hex.EncodeToString(b)
}

// lead campaigns for the Lease and calls run while holding it. run's
// context ends when ctx does or when the lease is lost; in the second case
// lead waits for run to return and campaigns again. It returns when ctx
// ends (nil, or run's error if that is not a cancellation) or when run
// fails. The lease is released only
// after run has returned, so a successor never overlaps with it.
func (e election) lead(ctx context.Context, run func(context.Context) error) error {
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: LeaseNamespace, Name: LeaseName},
		Client:     e.client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: e.identity},
	}
	for {
		var (
			mu sync.Mutex
			// leading: run was started. closed: ctx ended or the election
			// is over; a callback arriving after that runs nothing.
			leading, closed bool
			runErr          error
			finished        = make(chan struct{})
		)
		// The election's own context outlives ctx until run has returned:
		// cancelling it releases the lease.
		electCtx, stopElecting := context.WithCancel(context.WithoutCancel(ctx))
		stop := context.AfterFunc(ctx, func() {
			mu.Lock()
			closed = true
			l := leading
			mu.Unlock()
			if !l {
				stopElecting()
			}
		})
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            lock,
			Name:            LeaseName,
			LeaseDuration:   e.leaseDuration,
			RenewDeadline:   e.renewDeadline,
			RetryPeriod:     e.retryPeriod,
			ReleaseOnCancel: true,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(leadCtx context.Context) {
					mu.Lock()
					leading = !closed
					mu.Unlock()
					if !leading {
						return
					}
					defer close(finished)
					defer stopElecting()
					e.log.Info("leading", "lease", LeaseNamespace+"/"+LeaseName, "identity", e.identity)
					runCtx, cancel := context.WithCancel(leadCtx)
					defer cancel()
					defer context.AfterFunc(ctx, cancel)()
					runErr = run(runCtx)
				},
				OnStoppedLeading: func() {},
			},
		})
		if err != nil {
			stop()
			stopElecting()
			return fmt.Errorf("leader election: %w", err)
		}
		le.Run(electCtx)
		stop()
		mu.Lock()
		closed = true
		started := leading
		mu.Unlock()
		if started {
			<-finished
		}
		stopElecting()
		switch {
		case ctx.Err() != nil:
			// Stopping is not a failure, even when it cut a
			// controller's start short.
			if errors.Is(runErr, context.Canceled) || errors.Is(runErr, context.DeadlineExceeded) {
				return nil
			}
			return runErr
		case runErr != nil:
			return runErr
		case started:
			e.log.Warn("lost the lease; controllers stopped, campaigning again", "lease", LeaseNamespace+"/"+LeaseName)
		}
	}
}
