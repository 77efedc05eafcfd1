package ctrlutil

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
)

// Klog returns a klog logger that writes to log; klog's V(n) becomes slog
// level -n, so kube's verbose messages stay below Info.
func Klog(log *slog.Logger) klog.Logger {
	return logr.FromSlogHandler(log.Handler())
}

// LogRecorder is a record.EventRecorder that logs events instead of
// writing Event objects.
type LogRecorder struct{ Log *slog.Logger }

var _ record.EventRecorder = LogRecorder{}

// Event logs one event.
func (r LogRecorder) Event(obj runtime.Object, eventtype, reason, message string) {
	level := slog.LevelInfo
	if eventtype != "Normal" {
		level = slog.LevelWarn
	}
	var name, ns string
	if m, err := meta.Accessor(obj); err == nil {
		name, ns = m.GetName(), m.GetNamespace()
	}
	r.Log.Log(context.Background(), level, message, "event", reason, "namespace", ns, "name", name)
}

// Eventf logs one event.
func (r LogRecorder) Eventf(obj runtime.Object, eventtype, reason, format string, args ...any) {
	r.Event(obj, eventtype, reason, fmt.Sprintf(format, args...))
}

// AnnotatedEventf logs one event; the annotations are dropped.
func (r LogRecorder) AnnotatedEventf(obj runtime.Object, _ map[string]string, eventtype, reason, format string, args ...any) {
	r.Event(obj, eventtype, reason, fmt.Sprintf(format, args...))
}
