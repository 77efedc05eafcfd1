package registry

import (
	"context"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
)

// EndpointSlices count changes in metadata.generation as kube-apiserver's
// endpointslice strategy does: 1 on create, one more on every update that
// changes anything outside metadata, or the labels. The endpoint
// controllers' slice trackers compare generations to tell an informer that
// lags behind their own writes (and to notice others' edits).

func endpointSliceCreate(_ context.Context, obj runtime.Object) {
	if s, ok := obj.(*discoveryv1.EndpointSlice); ok {
		s.Generation = 1
	}
}

func endpointSliceUpdate(_ context.Context, obj, old runtime.Object) {
	s, ok1 := obj.(*discoveryv1.EndpointSlice)
	o, ok2 := old.(*discoveryv1.EndpointSlice)
	if !ok1 || !ok2 {
		return
	}
	s.Generation = o.Generation
	if s.AddressType != o.AddressType ||
		!equality.Semantic.DeepEqual(s.Endpoints, o.Endpoints) ||
		!equality.Semantic.DeepEqual(s.Ports, o.Ports) ||
		!equality.Semantic.DeepEqual(s.Labels, o.Labels) {
		s.Generation++
	}
}
