package endpointslice

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/portal-dev/portal/internal/controller/internal/ctrltest"
)

// BenchmarkSyncReadinessFlip times one sync of a Service with n pods after
// one pod's readiness changed: the controller's share of the
// readiness-to-slice latency (the fake API costs next to nothing).
func BenchmarkSyncReadinessFlip(b *testing.B) {
	for _, n := range []int{1000, 10000, 50000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			objs := []runtime.Object{ctrltest.Service(ns, "web", web)}
			for i := range n {
				objs = append(objs, ctrltest.Pod(ns, fmt.Sprintf("web-%d", i), fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256), true, web))
			}
			client := ctrltest.NewClientset(objs...)
			factory := informers.NewSharedInformerFactory(client, 0)
			c := New(client, factory, Options{Log: slog.New(slog.DiscardHandler)})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			factory.Start(ctx.Done())
			cache.WaitForCacheSync(ctx.Done(), c.synced...)
			if err := c.sync(ctx, ns+"/web"); err != nil {
				b.Fatal(err)
			}
			store := factory.Core().V1().Pods().Informer().GetStore()
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				// Flip in the cache directly, tell the controller as
				// the informer would, and wait for the slice informer
				// to hold the previous write.
				obj, _, _ := store.GetByKey(ns + "/web-7")
				p := obj.(*corev1.Pod).DeepCopy()
				ctrltest.SetReady(p, i%2 == 1)
				p.ResourceVersion = fmt.Sprint("bench-", i)
				_ = store.Update(p)
				c.onPod(obj, p) // as the informer would
				for {
					slices, _ := c.managedSlices(ns, "web")
					if !c.tracker.StaleSlices(c.mustService(b), slices) {
						break
					}
				}
				b.StartTimer()
				if err := c.sync(ctx, ns+"/web"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func (c *Controller) mustService(b *testing.B) *corev1.Service {
	svc, err := c.services.Services(ns).Get("web")
	if err != nil {
		b.Fatal(err)
	}
	return svc
}
