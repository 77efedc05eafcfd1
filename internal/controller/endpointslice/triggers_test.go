package endpointslice

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	esutil "k8s.io/endpointslice/util"

	"github.com/portal-dev/portal/internal/controller/internal/ctrltest"
)

// TestTriggerTrackerMatchesKube feeds portal's trigger tracker and kube's
// the same syncs of pods whose readiness changes, that come and go and
// lose their Ready condition, and expects the same trigger times.
func TestTriggerTrackerMatchesKube(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ours, kube := newTriggerTracker(), esutil.NewTriggerTimeTracker()
	svc := ctrltest.Service(ns, "web", web)
	svc.CreationTimestamp = metav1.NewTime(time.Unix(100, 0))
	base := time.Unix(1000, 0)
	var pods []*corev1.Pod
	for i := range 20 {
		pods = append(pods, ctrltest.Pod(ns, fmt.Sprint("p-", i), "10.0.0.1", true, web))
	}
	for round := range 300 {
		var next []*corev1.Pod
		for i, p := range pods {
			p = p.DeepCopy()
			switch r.IntN(10) {
			case 0:
				continue // gone
			case 1, 2:
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue,
					LastTransitionTime: metav1.NewTime(base.Add(time.Duration(round*100+i) * time.Millisecond))}}
			case 3:
				p.Status.Conditions = nil
			}
			next = append(next, p)
		}
		if r.IntN(3) == 0 {
			next = append(next, ctrltest.Pod(ns, fmt.Sprint("p-new-", round), "10.0.0.2", true, web))
		}
		if r.IntN(50) == 0 {
			svc = svc.DeepCopy()
			svc.CreationTimestamp = metav1.NewTime(svc.CreationTimestamp.Add(time.Second))
		}
		pods = next
		got := ours.compute(ns+"/web", svc, pods)
		want := kube.ComputeEndpointLastChangeTriggerTime(ns, svc, pods)
		if !got.Equal(want) {
			t.Fatalf("round %d: trigger %v, kube %v", round, got, want)
		}
		if r.IntN(100) == 0 {
			ours.forget(ns + "/web")
			kube.DeleteService(ns, "web")
		}
	}
}
