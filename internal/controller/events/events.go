package events

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
)

// Component is the event source portal's controllers report as.
const Component = "portal-controllers"

// Recorder records events about API objects for one component. It embeds
// record.EventRecorder, so controllers take it as that interface (and tests
// pass record.NewFakeRecorder instead).
type Recorder struct {
	record.EventRecorder
	broadcaster record.EventBroadcaster
}

// NewRecorder returns a recorder whose events are written through client,
// with source component (for example Component). Unlike controller
// constructors it starts goroutines: the broadcaster's delivery loop, which
// runs until Shutdown. Events are sent asynchronously and dropped, with a
// log line from client-go, if the API cannot take them.
func NewRecorder(client kubernetes.Interface, component string) *Recorder {
	b := record.NewBroadcaster()
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	return &Recorder{
		EventRecorder: b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: component}),
		broadcaster:   b,
	}
}

// Shutdown stops delivery; events recorded afterwards are dropped. Events
// still queued may be lost.
func (r *Recorder) Shutdown() { r.broadcaster.Shutdown() }
