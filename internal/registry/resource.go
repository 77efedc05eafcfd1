package registry

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
)

// Resource describes one served kind.
type Resource struct {
	// GroupVersion is the version the resource is served in.
	GroupVersion schema.GroupVersion
	// StorageVersion is the version it is stored in, when not GroupVersion
	// (legacy versions are stored as their current version).
	StorageVersion schema.GroupVersion
	// Name is the plural resource name (services); Singular its singular.
	Name, Singular string
	Kind           string
	Namespaced     bool
	ShortNames     []string
	Categories     []string
	New, NewList   func() runtime.Object

	// Status adds the /status subresource: the main resource then ignores
	// status changes, and /status ignores spec changes.
	Status bool
	// KeepStatusOnCreate keeps the status a client sends on create (nodes
	// register with theirs); otherwise create starts from an empty status.
	KeepStatusOnCreate bool
	// Generation makes metadata.generation count spec changes, as
	// kube-apiserver does for workloads (kubectl rollout status reads it).
	Generation bool
	// Scale adds the /scale subresource (autoscaling/v1 Scale).
	Scale *ScaleAccess

	// Fields returns the kind's selectable fields beyond metadata.name and
	// metadata.namespace (nil: none). Every field named in
	// scheme.SelectableFields must be present.
	Fields func(obj runtime.Object) fields.Set

	// Validate and ValidateUpdate return field errors worded as
	// kube-apiserver words them (nil: only metadata is validated).
	Validate       func(ctx context.Context, obj runtime.Object) field.ErrorList
	ValidateUpdate func(ctx context.Context, obj, old runtime.Object) field.ErrorList
	// PrepareForCreate and PrepareForUpdate normalise an object before
	// validation (nil: nothing beyond the shared status/generation rules).
	PrepareForCreate func(ctx context.Context, obj runtime.Object)
	PrepareForUpdate func(ctx context.Context, obj, old runtime.Object)
	// GracefulDelete decides whether a delete is graceful and sets the
	// grace period on options (nil: deletes are immediate).
	GracefulDelete func(ctx context.Context, obj runtime.Object, options *metav1.DeleteOptions) bool
	// Decorate customises the finished store and its paths: hooks such as
	// BeginCreate for allocation, or extra subresources (nil: as built).
	Decorate func(store *Store, paths map[string]rest.Storage)

	// TableConvertor prints the kind for kubectl get (nil: name and age).
	TableConvertor rest.TableConvertor
}

// GroupResource returns the resource's group and plural name.
func (r *Resource) GroupResource() schema.GroupResource {
	return schema.GroupResource{Group: r.GroupVersion.Group, Resource: r.Name}
}
