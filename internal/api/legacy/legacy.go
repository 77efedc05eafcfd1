package legacy

import (
	"encoding/json"
	"fmt"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	appsv1beta1 "k8s.io/api/apps/v1beta1"
	appsv1beta2 "k8s.io/api/apps/v1beta2"
	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	discoveryv1 "k8s.io/api/discovery/v1"
	discoveryv1beta1 "k8s.io/api/discovery/v1beta1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// BatchV2alpha1 is batch/v2alpha1, which k8s.io/api no longer carries; its
// CronJob had batch/v1beta1's shape, so that Go type serves it.
var BatchV2alpha1 = schema.GroupVersion{Group: "batch", Version: "v2alpha1"}

// Alias is one legacy resource and the hub resource it is stored as.
type Alias struct {
	// GroupVersion and Resource name the legacy endpoint.
	GroupVersion schema.GroupVersion
	Resource     string
	// Hub is the current version whose objects the endpoint serves.
	Hub schema.GroupVersion
}

// Aliases lists every legacy resource portal serves, in discovery order.
func Aliases() []Alias {
	return []Alias{
		{appsv1beta2.SchemeGroupVersion, "deployments", appsv1.SchemeGroupVersion},
		{appsv1beta2.SchemeGroupVersion, "replicasets", appsv1.SchemeGroupVersion},
		{appsv1beta2.SchemeGroupVersion, "statefulsets", appsv1.SchemeGroupVersion},
		{appsv1beta1.SchemeGroupVersion, "deployments", appsv1.SchemeGroupVersion},
		{appsv1beta1.SchemeGroupVersion, "statefulsets", appsv1.SchemeGroupVersion},
		{batchv1beta1.SchemeGroupVersion, "cronjobs", batchv1.SchemeGroupVersion},
		{BatchV2alpha1, "cronjobs", batchv1.SchemeGroupVersion},
		{networkingv1beta1.SchemeGroupVersion, "ingresses", networkingv1.SchemeGroupVersion},
		{discoveryv1beta1.SchemeGroupVersion, "endpointslices", discoveryv1.SchemeGroupVersion},
		{extensionsv1beta1.SchemeGroupVersion, "deployments", appsv1.SchemeGroupVersion},
		{extensionsv1beta1.SchemeGroupVersion, "replicasets", appsv1.SchemeGroupVersion},
		{extensionsv1beta1.SchemeGroupVersion, "ingresses", networkingv1.SchemeGroupVersion},
	}
}

// pair is a legacy Go type and the hub Go type it converts to, for one
// object kind and its list.
type pair struct {
	gv            schema.GroupVersion
	kind          string
	legacy, hub   runtime.Object
	legacyL, hubL runtime.Object
	// in and out convert one object; nil means a JSON round trip, for
	// versions whose wire form is the hub's.
	in, out func(legacy, hub interface{}) error
}

func pairs() []pair {
	return []pair{
		{appsv1beta2.SchemeGroupVersion, "Deployment", &appsv1beta2.Deployment{}, &appsv1.Deployment{}, &appsv1beta2.DeploymentList{}, &appsv1.DeploymentList{}, nil, nil},
		{appsv1beta2.SchemeGroupVersion, "ReplicaSet", &appsv1beta2.ReplicaSet{}, &appsv1.ReplicaSet{}, &appsv1beta2.ReplicaSetList{}, &appsv1.ReplicaSetList{}, nil, nil},
		{appsv1beta2.SchemeGroupVersion, "StatefulSet", &appsv1beta2.StatefulSet{}, &appsv1.StatefulSet{}, &appsv1beta2.StatefulSetList{}, &appsv1.StatefulSetList{}, nil, nil},
		{appsv1beta1.SchemeGroupVersion, "Deployment", &appsv1beta1.Deployment{}, &appsv1.Deployment{}, &appsv1beta1.DeploymentList{}, &appsv1.DeploymentList{}, nil, nil},
		{appsv1beta1.SchemeGroupVersion, "StatefulSet", &appsv1beta1.StatefulSet{}, &appsv1.StatefulSet{}, &appsv1beta1.StatefulSetList{}, &appsv1.StatefulSetList{}, nil, nil},
		{batchv1beta1.SchemeGroupVersion, "CronJob", &batchv1beta1.CronJob{}, &batchv1.CronJob{}, &batchv1beta1.CronJobList{}, &batchv1.CronJobList{}, nil, nil},
		{networkingv1beta1.SchemeGroupVersion, "Ingress", &networkingv1beta1.Ingress{}, &networkingv1.Ingress{}, &networkingv1beta1.IngressList{}, &networkingv1.IngressList{}, ingressIn, ingressOut},
		{discoveryv1beta1.SchemeGroupVersion, "EndpointSlice", &discoveryv1beta1.EndpointSlice{}, &discoveryv1.EndpointSlice{}, &discoveryv1beta1.EndpointSliceList{}, &discoveryv1.EndpointSliceList{}, sliceIn, sliceOut},
		{extensionsv1beta1.SchemeGroupVersion, "Deployment", &extensionsv1beta1.Deployment{}, &appsv1.Deployment{}, &extensionsv1beta1.DeploymentList{}, &appsv1.DeploymentList{}, nil, nil},
		{extensionsv1beta1.SchemeGroupVersion, "ReplicaSet", &extensionsv1beta1.ReplicaSet{}, &appsv1.ReplicaSet{}, &extensionsv1beta1.ReplicaSetList{}, &appsv1.ReplicaSetList{}, nil, nil},
		{extensionsv1beta1.SchemeGroupVersion, "Ingress", &extensionsv1beta1.Ingress{}, &networkingv1.Ingress{}, &extensionsv1beta1.IngressList{}, &networkingv1.IngressList{}, ingressIn, ingressOut},
	}
}

// Register adds the legacy versions to s: their types (only the kinds
// portal serves, plus metav1's options), conversions to and from the hub
// types, and the hub types as each legacy group's internal version.
func Register(s *runtime.Scheme) error {
	ps := pairs()
	// batch/v2alpha1 CronJob is batch/v1beta1's Go type under another name.
	ps = append(ps, pair{BatchV2alpha1, "CronJob", &batchv1beta1.CronJob{}, &batchv1.CronJob{}, &batchv1beta1.CronJobList{}, &batchv1.CronJobList{}, nil, nil})
	seenGV := map[schema.GroupVersion]bool{}
	for _, p := range ps {
		if !seenGV[p.gv] {
			metav1.AddToGroupVersion(s, p.gv)
			seenGV[p.gv] = true
		}
		s.AddKnownTypeWithName(p.gv.WithKind(p.kind), p.legacy)
		s.AddKnownTypeWithName(p.gv.WithKind(p.kind+"List"), p.legacyL)
		internal := schema.GroupVersion{Group: p.gv.Group, Version: runtime.APIVersionInternal}
		s.AddKnownTypeWithName(internal.WithKind(p.kind), p.hub)
		s.AddKnownTypeWithName(internal.WithKind(p.kind+"List"), p.hubL)
		if err := addPair(s, p); err != nil {
			return fmt.Errorf("legacy %s %s: %w", p.gv, p.kind, err)
		}
	}
	return nil
}

func addPair(s *runtime.Scheme, p pair) error {
	in, out := p.in, p.out
	if in == nil {
		in = viaJSON
	}
	if out == nil {
		out = func(legacy, hub interface{}) error { return viaJSON(hub, legacy) }
	}
	if err := s.AddConversionFunc(p.legacy, p.hub, func(a, b interface{}, _ conversion.Scope) error { return in(a, b) }); err != nil {
		return err
	}
	if err := s.AddConversionFunc(p.hub, p.legacy, func(a, b interface{}, _ conversion.Scope) error { return out(b, a) }); err != nil {
		return err
	}
	// Lists convert item by item with the same functions.
	itemType := func(list runtime.Object) reflect.Type {
		return reflect.ValueOf(list).Elem().FieldByName("Items").Type().Elem()
	}
	legacyItem, hubItem := itemType(p.legacyL), itemType(p.hubL)
	listIn := func(a, b interface{}, _ conversion.Scope) error {
		return convertList(a, b, hubItem, func(x, y interface{}) error { return in(x, y) })
	}
	listOut := func(a, b interface{}, _ conversion.Scope) error {
		return convertList(a, b, legacyItem, func(x, y interface{}) error { return out(y, x) })
	}
	if err := s.AddConversionFunc(p.legacyL, p.hubL, listIn); err != nil {
		return err
	}
	return s.AddConversionFunc(p.hubL, p.legacyL, listOut)
}

// convertList copies ListMeta and converts each item from a's Items into
// b's, whose element type is outItem.
func convertList(a, b interface{}, outItem reflect.Type, conv func(in, out interface{}) error) error {
	av, bv := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	bv.FieldByName("ListMeta").Set(av.FieldByName("ListMeta"))
	items := av.FieldByName("Items")
	out := reflect.MakeSlice(reflect.SliceOf(outItem), items.Len(), items.Len())
	for i := 0; i < items.Len(); i++ {
		if err := conv(items.Index(i).Addr().Interface(), out.Index(i).Addr().Interface()); err != nil {
			return err
		}
	}
	bv.FieldByName("Items").Set(out)
	return nil
}

// viaJSON converts between two versions of one kind whose JSON forms agree
// on every field both have; fields only one has are dropped.
func viaJSON(in, out interface{}) error {
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	// Reset out first: Unmarshal merges into what is there.
	v := reflect.ValueOf(out).Elem()
	v.Set(reflect.Zero(v.Type()))
	if err := json.Unmarshal(data, out); err != nil {
		return err
	}
	// TypeMeta is the converter's business, not the payload's.
	if o, ok := out.(runtime.Object); ok {
		o.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	}
	return nil
}
