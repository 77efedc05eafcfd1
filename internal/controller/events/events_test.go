package events

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// TestRecorderWritesEvents records events about a Service and checks that
// they arrive as core/v1 Events naming the service and the component, and
// that a repeat is aggregated into a count.
func TestRecorderWritesEvents(t *testing.T) {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", UID: "u1"}}
	client := fake.NewClientset(svc)
	r := NewRecorder(client, Component)
	defer r.Shutdown()

	r.Eventf(svc, corev1.EventTypeWarning, "AllocationFailed", "no address pool configured")
	r.Eventf(svc, corev1.EventTypeWarning, "AllocationFailed", "no address pool configured")

	deadline := time.Now().Add(10 * time.Second)
	for {
		list, err := client.CoreV1().Events("shop").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) == 1 && list.Items[0].Count == 2 {
			ev := list.Items[0]
			if ev.InvolvedObject.Kind != "Service" || ev.InvolvedObject.Name != "web" || ev.InvolvedObject.UID != "u1" {
				t.Fatalf("involvedObject = %+v", ev.InvolvedObject)
			}
			if ev.Source.Component != Component || ev.ReportingController != Component {
				t.Fatalf("source = %+v, reportingController %q", ev.Source, ev.ReportingController)
			}
			if ev.Type != corev1.EventTypeWarning || ev.Reason != "AllocationFailed" || ev.Message != "no address pool configured" {
				t.Fatalf("event = %s %s %q", ev.Type, ev.Reason, ev.Message)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("events = %+v", list.Items)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
