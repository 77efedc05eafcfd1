package endpoints

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/portal-dev/portal/internal/controller/internal/ctrltest"
)

// BenchmarkSyncReadinessFlip times one sync of a Service with n pods after
// one pod's readiness changed (the fake API costs next to nothing). Past
// 1000 addresses the object is truncated, but every pod is still read,
// repacked and sorted.
func BenchmarkSyncReadinessFlip(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			objs := []runtime.Object{ctrltest.Service(ns, "web", web)}
			for i := range n {
				objs = append(objs, ctrltest.Pod(ns, fmt.Sprintf("web-%d", i), fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256), true, web))
			}
			client := ctrltest.NewClientset(objs...)
			factory := informers.NewSharedInformerFactory(client, 0)
			c := New(client, factory, Options{Log: testLog()})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			factory.Start(ctx.Done())
			cache.WaitForCacheSync(ctx.Done(), c.synced...)
			store := factory.Core().V1().Pods().Informer().GetStore()
			epStore := factory.Core().V1().Endpoints().Informer().GetStore()
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				obj, _, _ := store.GetByKey(ns + "/web-7")
				p := obj.(*corev1.Pod).DeepCopy()
				ctrltest.SetReady(p, i%2 == 1)
				_ = store.Update(p)
				// The Endpoints cache must hold the previous write.
				if ep, err := client.CoreV1().Endpoints(ns).Get(ctx, "web", getOpts); err == nil {
					_ = epStore.Update(ep)
				}
				b.StartTimer()
				if err := c.sync(ctx, ns+"/web"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var getOpts = metav1.GetOptions{}
