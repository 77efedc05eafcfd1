package registry

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// Store is the REST storage of one resource: k8s.io/apiserver's generic
// etcd-backed store plus the discovery details kubectl reads.
type Store struct {
	*genericregistry.Store
	r *Resource
}

var (
	_ rest.StandardStorage      = (*Store)(nil)
	_ rest.ShortNamesProvider   = (*Store)(nil)
	_ rest.CategoriesProvider   = (*Store)(nil)
	_ rest.SingularNameProvider = (*Store)(nil)
)

// ShortNames are the aliases kubectl accepts (svc for services).
func (s *Store) ShortNames() []string { return s.r.ShortNames }

// Categories are the groups kubectl expands (all).
func (s *Store) Categories() []string { return s.r.Categories }

// Resource returns the definition the store was built from.
func (s *Store) Resource() *Resource { return s.r }

// Build creates the storage for r and its subresources, keyed by the path
// under the group version ("services", "services/status").
func Build(r *Resource, opts generic.RESTOptionsGetter, typer runtime.ObjectTyper) (map[string]rest.Storage, *Store, error) {
	st := &strategy{ObjectTyper: typer, NameGenerator: names.SimpleNameGenerator, r: r}
	gr := r.GroupResource()
	tc := r.TableConvertor
	if tc == nil {
		tc = rest.NewDefaultTableConvertor(gr)
	}
	store := &genericregistry.Store{
		NewFunc:                   r.New,
		NewListFunc:               r.NewList,
		DefaultQualifiedResource:  gr,
		SingularQualifiedResource: gr.WithVersion("").GroupResource(),
		CreateStrategy:            st,
		UpdateStrategy:            st,
		DeleteStrategy:            st,
		ReturnDeletedObject:       false,
		TableConvertor:            tc,
		ResetFieldsStrategy:       resetFields{r: r, status: false},
	}
	store.SingularQualifiedResource.Resource = r.Singular
	attrs := func(obj runtime.Object) (labels.Set, fields.Set, error) {
		m, err := meta.Accessor(obj)
		if err != nil {
			return nil, nil, err
		}
		fs := generic.ObjectMetaFieldsSet(metaOf(m), r.Namespaced)
		if r.Fields != nil {
			fs = generic.MergeFieldsSets(fs, r.Fields(obj))
		}
		return labels.Set(m.GetLabels()), fs, nil
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: opts, AttrFunc: attrs}); err != nil {
		return nil, nil, fmt.Errorf("storage for %s: %w", gr, err)
	}
	main := &Store{Store: store, r: r}
	out := map[string]rest.Storage{r.Name: main}
	if r.Status {
		status := *store
		status.CreateStrategy = nil
		status.DeleteStrategy = nil
		status.UpdateStrategy = statusStrategy{st}
		status.ResetFieldsStrategy = resetFields{r: r, status: true}
		out[r.Name+"/status"] = &StatusREST{store: &status}
	}
	if r.Scale != nil {
		out[r.Name+"/scale"] = &ScaleREST{store: store, access: r.Scale, gr: gr}
	}
	if r.Decorate != nil {
		r.Decorate(main, out)
	}
	return out, main, nil
}

// metaOf adapts a metav1.Object to the *ObjectMeta that
// generic.ObjectMetaFieldsSet wants, without copying more than it reads.
func metaOf(m metav1.Object) *metav1.ObjectMeta {
	return &metav1.ObjectMeta{Name: m.GetName(), Namespace: m.GetNamespace()}
}

// StatusREST serves the /status subresource: get and update of status only.
type StatusREST struct {
	store *genericregistry.Store
}

var (
	_ rest.Getter  = (*StatusREST)(nil)
	_ rest.Updater = (*StatusREST)(nil)
	_ rest.Patcher = (*StatusREST)(nil)
)

// New returns an empty object of the resource.
func (s *StatusREST) New() runtime.Object { return s.store.New() }

// Destroy is a no-op: the main store owns the storage.
func (s *StatusREST) Destroy() {}

// Get returns the whole object, as kube-apiserver does for /status.
func (s *StatusREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return s.store.Get(ctx, name, options)
}

// Update writes the status of an existing object.
func (s *StatusREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	// Status updates never create the object.
	return s.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

// GetResetFields tells server-side apply which fields /status owns.
func (s *StatusREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return s.store.GetResetFields()
}

// ConvertToTable prints the object as the main resource does.
func (s *StatusREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return s.store.ConvertToTable(ctx, object, tableOptions)
}

// resetFields tells server-side apply which top-level field each endpoint
// ignores: the main resource ignores status, /status ignores spec.
type resetFields struct {
	r      *Resource
	status bool
}

func (f resetFields) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	if !f.r.Status {
		return nil
	}
	reset := "status"
	if f.status {
		reset = "spec"
	}
	return map[fieldpath.APIVersion]*fieldpath.Set{
		fieldpath.APIVersion(f.r.GroupVersion.String()): fieldpath.NewSet(fieldpath.MakePathOrDie(reset)),
	}
}
