// Package scheme builds the runtime.Scheme that the API server, its storage
// and its clients share.
//
// portal has no internal API types of its own: the versioned k8s.io/api types
// are registered a second time under each group's internal version
// (runtime.APIVersionInternal), so k8s.io/apiserver's request pipeline
// (decode → convert to hub → store → convert back) never converts a served
// object at all. Legacy versions that tutorials still use (for example
// extensions/v1beta1 Ingress) are registered with conversion functions to
// and from the current type, which is their hub.
//
// The package owns type registration, field-label conversion (which field
// selectors each kind accepts) and the codec factory. It must not hold
// defaulting or validation rules; those live in internal/api/defaults and
// internal/api/validation and are registered by the caller.
package scheme
