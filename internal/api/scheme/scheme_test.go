package scheme

import (
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestHubTypesAreTheirOwnInternalVersion(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		obj  runtime.Object
		gv   schema.GroupVersion
	}{
		{"core service", &corev1.Service{}, corev1.SchemeGroupVersion},
		{"apps deployment", &appsv1.Deployment{}, appsv1.SchemeGroupVersion},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			internal := schema.GroupVersion{Group: tc.gv.Group, Version: runtime.APIVersionInternal}
			out, err := s.ConvertToVersion(tc.obj, internal)
			if err != nil {
				t.Fatalf("convert to internal: %v", err)
			}
			// No conversion: the same Go type, with the empty TypeMeta
			// internal objects carry.
			if reflect.TypeOf(out) != reflect.TypeOf(tc.obj) || !out.GetObjectKind().GroupVersionKind().Empty() {
				t.Fatalf("got %T with kind %v", out, out.GetObjectKind().GroupVersionKind())
			}
			back, err := s.ConvertToVersion(out, tc.gv)
			if err != nil {
				t.Fatalf("convert back: %v", err)
			}
			if back.GetObjectKind().GroupVersionKind().GroupVersion() != tc.gv {
				t.Fatalf("got kind %v", back.GetObjectKind().GroupVersionKind())
			}
		})
	}
}

func TestFieldLabels(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		gvk   schema.GroupVersionKind
		label string
		ok    bool
	}{
		{corev1.SchemeGroupVersion.WithKind("Pod"), "spec.nodeName", true},
		{corev1.SchemeGroupVersion.WithKind("Pod"), "status.phase", true},
		{corev1.SchemeGroupVersion.WithKind("Pod"), "metadata.name", true},
		{corev1.SchemeGroupVersion.WithKind("Pod"), "spec.bogus", false},
		{corev1.SchemeGroupVersion.WithKind("Service"), "spec.clusterIP", true},
		{corev1.SchemeGroupVersion.WithKind("Event"), "involvedObject.uid", true},
		{corev1.SchemeGroupVersion.WithKind("Secret"), "type", true},
		{corev1.SchemeGroupVersion.WithKind("ConfigMap"), "metadata.namespace", true},
		{corev1.SchemeGroupVersion.WithKind("ConfigMap"), "data.x", false},
	}
	for _, tc := range cases {
		_, _, err := s.ConvertFieldLabel(tc.gvk, tc.label, "x")
		if (err == nil) != tc.ok {
			t.Errorf("%s %s: err=%v, want ok=%v", tc.gvk.Kind, tc.label, err, tc.ok)
		}
	}
}
