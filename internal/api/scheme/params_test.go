package scheme

import (
	"net/url"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestPodLogOptionsFromQuery decodes kubectl's pods/log query strings as
// the generic GET-with-options handler does.
func TestPodLogOptionsFromQuery(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	codec := runtime.NewParameterCodec(s)
	q, _ := url.ParseQuery("container=web&follow=true&previous=1&timestamps=false&tailLines=10&limitBytes=500&sinceTime=2030-01-01T10:00:00Z&stream=Stderr")
	var o corev1.PodLogOptions
	if err := codec.DecodeParameters(q, corev1.SchemeGroupVersion, &o); err != nil {
		t.Fatal(err)
	}
	if o.Container != "web" || !o.Follow || !o.Previous || o.Timestamps || *o.TailLines != 10 || *o.LimitBytes != 500 ||
		!o.SinceTime.Time.Equal(time.Date(2030, 1, 1, 10, 0, 0, 0, time.UTC)) || *o.Stream != "Stderr" || o.SinceSeconds != nil {
		t.Fatalf("decoded %+v", o)
	}
	bad, _ := url.ParseQuery("tailLines=ten")
	if err := codec.DecodeParameters(bad, corev1.SchemeGroupVersion, &corev1.PodLogOptions{}); err == nil {
		t.Fatal("tailLines=ten decoded")
	}
}
