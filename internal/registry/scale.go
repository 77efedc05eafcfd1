package registry

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
)

// ScaleAccess reads and writes the replica fields of a scalable kind.
type ScaleAccess struct {
	// Replicas returns spec.replicas (nil pointer: the default, 1).
	Replicas func(obj runtime.Object) int32
	// SetReplicas writes spec.replicas.
	SetReplicas func(obj runtime.Object, n int32)
	// StatusReplicas returns status.replicas.
	StatusReplicas func(obj runtime.Object) int32
	// Selector returns the label selector in its string form.
	Selector func(obj runtime.Object) string
}

// ScaleREST serves the /scale subresource as an autoscaling/v1 Scale, which
// is what `kubectl scale` patches and expects back.
type ScaleREST struct {
	store  *genericregistry.Store
	access *ScaleAccess
	gr     schema.GroupResource
}

var (
	_ rest.Getter                   = (*ScaleREST)(nil)
	_ rest.Updater                  = (*ScaleREST)(nil)
	_ rest.Patcher                  = (*ScaleREST)(nil)
	_ rest.GroupVersionKindProvider = (*ScaleREST)(nil)
)

// GroupVersionKind says the subresource speaks autoscaling/v1 Scale
// whatever group contains it.
func (s *ScaleREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return autoscalingv1.SchemeGroupVersion.WithKind("Scale")
}

// New returns an empty Scale.
func (s *ScaleREST) New() runtime.Object { return &autoscalingv1.Scale{} }

// Destroy is a no-op: the main store owns the storage.
func (s *ScaleREST) Destroy() {}

// Get returns the Scale of the named object.
func (s *ScaleREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	obj, err := s.store.Get(ctx, name, options)
	if err != nil {
		return nil, err
	}
	return s.toScale(obj)
}

// Update sets spec.replicas from the Scale the client sent.
func (s *ScaleREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	obj, _, err := s.store.Update(ctx, name, &scaleUpdate{rest: s, inner: objInfo}, nil, nil, false, options)
	if err != nil {
		return nil, false, err
	}
	scale, err := s.toScale(obj)
	return scale, false, err
}

func (s *ScaleREST) toScale(obj runtime.Object) (*autoscalingv1.Scale, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	return &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{
			Name:              m.GetName(),
			Namespace:         m.GetNamespace(),
			UID:               m.GetUID(),
			ResourceVersion:   m.GetResourceVersion(),
			CreationTimestamp: m.GetCreationTimestamp(),
		},
		Spec: autoscalingv1.ScaleSpec{Replicas: s.access.Replicas(obj)},
		Status: autoscalingv1.ScaleStatus{
			Replicas: s.access.StatusReplicas(obj),
			Selector: s.access.Selector(obj),
		},
	}, nil
}

// scaleUpdate turns the client's Scale into an update of the whole object.
type scaleUpdate struct {
	rest  *ScaleREST
	inner rest.UpdatedObjectInfo
}

func (u *scaleUpdate) Preconditions() *metav1.Preconditions { return u.inner.Preconditions() }

func (u *scaleUpdate) UpdatedObject(ctx context.Context, old runtime.Object) (runtime.Object, error) {
	if old == nil {
		return nil, apierrors.NewNotFound(u.rest.gr, "")
	}
	oldScale, err := u.rest.toScale(old)
	if err != nil {
		return nil, err
	}
	obj, err := u.inner.UpdatedObject(ctx, oldScale)
	if err != nil {
		return nil, err
	}
	scale, ok := obj.(*autoscalingv1.Scale)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("expected an autoscaling/v1 Scale, got %T", obj))
	}
	if scale.Spec.Replicas < 0 {
		errs := field.ErrorList{field.Invalid(field.NewPath("spec", "replicas"), scale.Spec.Replicas, "must be greater than or equal to 0")}
		return nil, apierrors.NewInvalid(autoscalingv1.SchemeGroupVersion.WithKind("Scale").GroupKind(), scale.Name, errs)
	}
	// A resourceVersion in the Scale is a precondition on the object.
	if scale.ResourceVersion != "" && scale.ResourceVersion != oldScale.ResourceVersion {
		return nil, apierrors.NewConflict(u.rest.gr, scale.Name, fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
	}
	next := old.DeepCopyObject()
	u.rest.access.SetReplicas(next, scale.Spec.Replicas)
	return next, nil
}
