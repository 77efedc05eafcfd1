// Package openapi owns the OpenAPI definitions of every API type portal's API
// server serves, for /openapi/v2 and /openapi/v3.
//
// The definitions are generated from the Go types of k8s.io/api and
// k8s.io/apimachinery by k8s.io/kube-openapi's openapi-gen, the generator
// Kubernetes uses for its own pkg/generated/openapi. They carry the types'
// doc comments as descriptions and the x-kubernetes-* extensions
// (patch strategy and merge key, list type and map keys, map type, ...) that
// kubectl relies on for --validate=strict, server-side apply and explain.
//
// Definitions are keyed by the types' OpenAPI model names
// (io.k8s.api.core.v1.Service, io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta,
// ...), the names k8s.io/api and k8s.io/apimachinery declare with
// +k8s:openapi-model-package and return from their OpenAPIModelName methods.
// runtime.Scheme.ToOpenAPIDefinitionName, and so
// k8s.io/apiserver/pkg/endpoints/openapi.NewDefinitionNamer, produce the same
// names, so the API server wires the package in unchanged:
//
//	namer := openapinamer.NewDefinitionNamer(scheme)
//	cfg.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openapi.GetOpenAPIDefinitions, namer)
//	cfg.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, namer)
//
// The package holds nothing but GetOpenAPIDefinitions, in
// zz_generated.openapi.go, which must not be edited by hand. To regenerate it
// (after a k8s.io/api, k8s.io/apimachinery or k8s.io/kube-openapi update in
// go.mod, or to serve another API group), run from the module root
//
//	hack/update-openapi.sh
//
// which runs openapi-gen at the k8s.io/kube-openapi version go.mod resolves
// over the input packages listed in the script. The output is deterministic.
// API rule violations that openapi-gen reports against the upstream types are
// not ours to fix; they are discarded unless OPENAPI_REPORT names a file.
// TestDefinitionClosure fails if a generated definition refers to one that was
// not generated; add the referenced package to the script's inputs then.
package openapi
