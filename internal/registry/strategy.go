package registry

import (
	"context"
	"reflect"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	genericvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"
)

// strategy is the create, update and delete strategy shared by every
// resource; the Resource row supplies what differs.
type strategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	r *Resource
}

var (
	_ rest.RESTCreateStrategy = (*strategy)(nil)
	_ rest.RESTUpdateStrategy = (*strategy)(nil)
	_ rest.RESTDeleteStrategy = (*strategy)(nil)
)

func (s *strategy) NamespaceScoped() bool { return s.r.Namespaced }

func (s *strategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	if s.r.Status && !s.r.KeepStatusOnCreate {
		resetField(obj, "Status")
	}
	if s.r.Generation {
		if m, err := meta.Accessor(obj); err == nil {
			m.SetGeneration(1)
		}
	}
	if s.r.PrepareForCreate != nil {
		s.r.PrepareForCreate(ctx, obj)
	}
}

func (s *strategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	if s.r.Status {
		copyField(obj, old, "Status")
	}
	if s.r.Generation {
		bumpGeneration(obj, old)
	}
	if s.r.PrepareForUpdate != nil {
		s.r.PrepareForUpdate(ctx, obj, old)
	}
}

func (s *strategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	if s.r.Validate != nil {
		return s.r.Validate(ctx, obj)
	}
	return validateMeta(obj, s.r.Namespaced)
}

func (s *strategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	if s.r.ValidateUpdate != nil {
		return s.r.ValidateUpdate(ctx, obj, old)
	}
	errs := s.Validate(ctx, obj)
	return append(errs, validateMetaUpdate(obj, old)...)
}

// CheckGracefulDelete implements rest.RESTGracefulDeleteStrategy.
func (s *strategy) CheckGracefulDelete(ctx context.Context, obj runtime.Object, options *metav1.DeleteOptions) bool {
	if s.r.GracefulDelete == nil {
		return false
	}
	return s.r.GracefulDelete(ctx, obj, options)
}

func (s *strategy) WarningsOnCreate(context.Context, runtime.Object) []string { return nil }
func (s *strategy) WarningsOnUpdate(context.Context, runtime.Object, runtime.Object) []string {
	return nil
}
func (s *strategy) Canonicalize(runtime.Object)                   {}
func (s *strategy) AllowCreateOnUpdate(context.Context) bool      { return false }
func (s *strategy) AllowUnconditionalUpdate(context.Context) bool { return true }

// statusStrategy updates only the status of an object: spec changes sent to
// /status are dropped, as kube-apiserver drops them.
type statusStrategy struct {
	*strategy
}

func (s statusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	copyField(obj, old, "Spec")
	if s.r.Generation {
		if m, err := meta.Accessor(obj); err == nil {
			if o, err := meta.Accessor(old); err == nil {
				m.SetGeneration(o.GetGeneration())
			}
		}
	}
}

func (s statusStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validateMetaUpdate(obj, old)
}

func validateMeta(obj runtime.Object, namespaced bool) field.ErrorList {
	m, err := meta.Accessor(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("metadata"), err)}
	}
	return genericvalidation.ValidateObjectMetaAccessor(m, namespaced,
		genericvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
}

func validateMetaUpdate(obj, old runtime.Object) field.ErrorList {
	m, err := meta.Accessor(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("metadata"), err)}
	}
	o, err := meta.Accessor(old)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("metadata"), err)}
	}
	return genericvalidation.ValidateObjectMetaAccessorUpdate(m, o, field.NewPath("metadata"))
}

// bumpGeneration increments metadata.generation when the spec changed.
func bumpGeneration(obj, old runtime.Object) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	o, err := meta.Accessor(old)
	if err != nil {
		return
	}
	gen := o.GetGeneration()
	if !equality.Semantic.DeepEqual(fieldOf(obj, "Spec"), fieldOf(old, "Spec")) {
		gen++
	}
	m.SetGeneration(gen)
}

// fieldOf returns the named top-level struct field of obj, or nil.
func fieldOf(obj runtime.Object, name string) interface{} {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName(name)
	if !f.IsValid() {
		return nil
	}
	return f.Interface()
}

// copyField sets dst's top-level field name to src's (both the same type).
func copyField(dst, src runtime.Object, name string) {
	d := reflect.ValueOf(dst).Elem().FieldByName(name)
	s := reflect.ValueOf(src).Elem().FieldByName(name)
	if d.IsValid() && s.IsValid() && d.CanSet() {
		d.Set(s)
	}
}

// resetField zeroes obj's top-level field name.
func resetField(obj runtime.Object, name string) {
	f := reflect.ValueOf(obj).Elem().FieldByName(name)
	if f.IsValid() && f.CanSet() {
		f.Set(reflect.Zero(f.Type()))
	}
}
