// Package registry turns a table of resource definitions into k8s.io/apiserver
// REST storage: a generic registry.Store per resource, with its /status and
// /scale subresources, strategies that apply portal's defaulting and
// validation, field attributes for selectors and kubectl's Table columns.
//
// A Resource row says what is special about a kind (hooks for create,
// update and delete, which fields are selectable, whether metadata.generation
// tracks the spec). Everything else is shared, so adding a kind is one row.
// The package must not talk to etcd except through the RESTOptionsGetter it
// is given, and must not import controllers.
package registry
