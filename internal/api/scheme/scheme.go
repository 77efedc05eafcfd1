package scheme

import (
	"fmt"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/portal-dev/portal/internal/api/legacy"
)

// Hub lists the group versions portal stores and serves as the current
// version of each group. Each one's Go types double as the group's internal
// version.
func Hub() []schema.GroupVersion {
	return []schema.GroupVersion{
		corev1.SchemeGroupVersion,
		appsv1.SchemeGroupVersion,
		batchv1.SchemeGroupVersion,
		autoscalingv1.SchemeGroupVersion,
		discoveryv1.SchemeGroupVersion,
		networkingv1.SchemeGroupVersion,
		coordinationv1.SchemeGroupVersion,
	}
}

// New returns a scheme with every served type registered, in its served
// version and as its group's internal version, plus metav1's types.
func New() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	builders := []func(*runtime.Scheme) error{
		corev1.AddToScheme,
		appsv1.AddToScheme,
		batchv1.AddToScheme,
		autoscalingv1.AddToScheme,
		discoveryv1.AddToScheme,
		networkingv1.AddToScheme,
		coordinationv1.AddToScheme,
	}
	for _, add := range builders {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("register types: %w", err)
		}
	}
	for _, gv := range Hub() {
		registerAsInternal(s, gv)
	}
	if err := legacy.Register(s); err != nil {
		return nil, err
	}
	// The unversioned meta types (Status, APIVersions, …) that every
	// response may carry, as kube-apiserver registers them.
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	unversioned := schema.GroupVersion{Group: "", Version: "v1"}
	s.AddUnversionedTypes(unversioned,
		&metav1.Status{},
		&metav1.APIVersions{},
		&metav1.APIGroupList{},
		&metav1.APIGroup{},
		&metav1.APIResourceList{},
	)
	if err := addFieldLabelConversions(s); err != nil {
		return nil, err
	}
	if err := addQueryConversions(s); err != nil {
		return nil, err
	}
	return s, nil
}

// registerAsInternal registers every kind of gv that is defined in gv's own
// Go package (not metav1's option and event types) under gv's group at the
// internal version, with the same Go type.
func registerAsInternal(s *runtime.Scheme, gv schema.GroupVersion) {
	internal := schema.GroupVersion{Group: gv.Group, Version: runtime.APIVersionInternal}
	metaPkg := reflect.TypeOf(metav1.ObjectMeta{}).PkgPath()
	for kind, t := range s.KnownTypes(gv) {
		if t.PkgPath() == metaPkg {
			continue
		}
		obj := reflect.New(t).Interface().(runtime.Object)
		s.AddKnownTypeWithName(internal.WithKind(kind), obj)
	}
}

// Codecs returns the codec factory for s, with strict decoding available
// for fieldValidation=Strict.
func Codecs(s *runtime.Scheme) serializer.CodecFactory {
	return serializer.NewCodecFactory(s, serializer.EnableStrict)
}
