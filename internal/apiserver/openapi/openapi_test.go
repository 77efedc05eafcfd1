package openapi

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	restful "github.com/emicklei/go-restful/v3"
	appsv1 "k8s.io/api/apps/v1"
	appsv1beta1 "k8s.io/api/apps/v1beta1"
	appsv1beta2 "k8s.io/api/apps/v1beta2"
	authenticationv1 "k8s.io/api/authentication/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	discoveryv1beta1 "k8s.io/api/discovery/v1beta1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/kube-openapi/pkg/builder"
	"k8s.io/kube-openapi/pkg/builder3"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// definitions returns the generated definitions with references in the
// OpenAPI v2 form, #/definitions/<name>.
func definitions(t *testing.T) map[string]common.OpenAPIDefinition {
	t.Helper()
	defs := GetOpenAPIDefinitions(func(name string) spec.Ref {
		return spec.MustCreateRef("#/definitions/" + common.EscapeJsonPointer(name))
	})
	if len(defs) == 0 {
		t.Fatal("GetOpenAPIDefinitions returned no definitions")
	}
	return defs
}

// testScheme registers every API group the definitions are generated for,
// as the API server's scheme does.
func testScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme,
		appsv1.AddToScheme,
		appsv1beta1.AddToScheme,
		appsv1beta2.AddToScheme,
		batchv1.AddToScheme,
		batchv1beta1.AddToScheme,
		discoveryv1.AddToScheme,
		discoveryv1beta1.AddToScheme,
		networkingv1.AddToScheme,
		networkingv1beta1.AddToScheme,
		extensionsv1beta1.AddToScheme,
		coordinationv1.AddToScheme,
		autoscalingv1.AddToScheme,
		policyv1.AddToScheme,
		authenticationv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			t.Fatalf("building scheme: %v", err)
		}
	}
	return scheme
}

// TestDefinitionsHaveDescriptions checks that the resources portal serves
// are defined under the names Kubernetes serves them by, with the types' doc
// comments as descriptions.
func TestDefinitionsHaveDescriptions(t *testing.T) {
	defs := definitions(t)
	for name, wantPrefix := range map[string]string{
		"io.k8s.api.core.v1.Service":                         "Service is a named abstraction of software service",
		"io.k8s.api.core.v1.ServiceSpec":                     "ServiceSpec describes the attributes that a user creates on a service.",
		"io.k8s.api.core.v1.Pod":                             "Pod is a collection of containers that can run on a host.",
		"io.k8s.api.core.v1.Endpoints":                       "Endpoints is a collection of endpoints",
		"io.k8s.api.apps.v1.Deployment":                      "Deployment enables declarative updates for Pods and ReplicaSets.",
		"io.k8s.api.networking.v1.Ingress":                   "Ingress is a collection of rules",
		"io.k8s.api.discovery.v1.EndpointSlice":              "EndpointSlice represents a set of service endpoints.",
		"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta":    "ObjectMeta is metadata that all persisted resources must have",
		"io.k8s.apimachinery.pkg.util.intstr.IntOrString":    "IntOrString is a type that can hold an int32 or a string.",
		"io.k8s.apimachinery.pkg.api.resource.Quantity":      "Quantity is a fixed-point representation of a number.",
		"io.k8s.apimachinery.pkg.apis.meta.v1.Status":        "Status is a return value for calls that don't return other objects.",
		"io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions": "DeleteOptions may be provided when deleting an API object.",
		"io.k8s.apimachinery.pkg.version.Info":               "Info contains versioning information.",
	} {
		def, ok := defs[name]
		if !ok {
			t.Errorf("no definition %q", name)
			continue
		}
		if !strings.HasPrefix(def.Schema.Description, wantPrefix) {
			t.Errorf("%s: description %q, want it to start with %q", name, def.Schema.Description, wantPrefix)
		}
	}

	// Fields carry their own doc comments too.
	svc, ok := defs["io.k8s.api.core.v1.Service"]
	if !ok {
		t.Fatal("no definition io.k8s.api.core.v1.Service")
	}
	for _, field := range []string{"apiVersion", "kind", "metadata", "spec", "status"} {
		p, ok := svc.Schema.Properties[field]
		if !ok {
			t.Errorf("Service has no property %q", field)
			continue
		}
		if p.Description == "" {
			t.Errorf("Service.%s has no description", field)
		}
	}
	if got, want := refOf(svc.Schema.Properties["spec"]), "#/definitions/io.k8s.api.core.v1.ServiceSpec"; got != want {
		t.Errorf("Service.spec refers to %q, want %q", got, want)
	}
}

// TestStrategicMergeExtensions checks the x-kubernetes-* extensions that
// kubectl apply and server-side apply depend on, against the values of
// Kubernetes' own published spec.
func TestStrategicMergeExtensions(t *testing.T) {
	defs := definitions(t)
	for _, tc := range []struct {
		def, prop string
		want      spec.Extensions
	}{
		{
			def: "io.k8s.api.core.v1.ServiceSpec", prop: "ports",
			want: spec.Extensions{
				"x-kubernetes-list-map-keys":   []interface{}{"port", "protocol"},
				"x-kubernetes-list-type":       "map",
				"x-kubernetes-patch-merge-key": "port",
				"x-kubernetes-patch-strategy":  "merge",
			},
		},
		{
			def: "io.k8s.api.core.v1.ServiceSpec", prop: "selector",
			want: spec.Extensions{"x-kubernetes-map-type": "atomic"},
		},
		{
			def: "io.k8s.api.core.v1.ServiceSpec", prop: "clusterIPs",
			want: spec.Extensions{"x-kubernetes-list-type": "atomic"},
		},
		{
			def: "io.k8s.api.core.v1.PodSpec", prop: "containers",
			want: spec.Extensions{
				"x-kubernetes-list-map-keys":   []interface{}{"name"},
				"x-kubernetes-list-type":       "map",
				"x-kubernetes-patch-merge-key": "name",
				"x-kubernetes-patch-strategy":  "merge",
			},
		},
		{
			def: "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", prop: "finalizers",
			want: spec.Extensions{
				"x-kubernetes-list-type":      "set",
				"x-kubernetes-patch-strategy": "merge",
			},
		},
		{
			def: "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", prop: "ownerReferences",
			want: spec.Extensions{
				"x-kubernetes-list-map-keys":   []interface{}{"uid"},
				"x-kubernetes-list-type":       "map",
				"x-kubernetes-patch-merge-key": "uid",
				"x-kubernetes-patch-strategy":  "merge",
			},
		},
		{
			def: "io.k8s.api.discovery.v1.EndpointSlice", prop: "endpoints",
			want: spec.Extensions{"x-kubernetes-list-type": "atomic"},
		},
	} {
		def, ok := defs[tc.def]
		if !ok {
			t.Errorf("no definition %q", tc.def)
			continue
		}
		p, ok := def.Schema.Properties[tc.prop]
		if !ok {
			t.Errorf("%s has no property %q", tc.def, tc.prop)
			continue
		}
		if !reflect.DeepEqual(p.Extensions, tc.want) {
			t.Errorf("%s.%s extensions = %#v, want %#v", tc.def, tc.prop, p.Extensions, tc.want)
		}
	}

	// Every ServicePort is keyed by port and protocol, so both are present:
	// port is required, protocol defaults to TCP.
	sp, ok := defs["io.k8s.api.core.v1.ServicePort"]
	if !ok {
		t.Fatal("no definition io.k8s.api.core.v1.ServicePort")
	}
	if !contains(sp.Schema.Required, "port") {
		t.Errorf("ServicePort.required = %v, want it to hold port", sp.Schema.Required)
	}
	if got := sp.Schema.Properties["protocol"].Default; got != "TCP" {
		t.Errorf("ServicePort.protocol default = %v, want TCP", got)
	}
	if got := refOf(sp.Schema.Properties["targetPort"]); got != "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString" {
		t.Errorf("ServicePort.targetPort refers to %q, want IntOrString", got)
	}

	// The API kinds carry their group, version and kind only through the
	// definition namer, not in the generated schema.
	if _, ok := defs["io.k8s.api.core.v1.Service"].Schema.Extensions["x-kubernetes-group-version-kind"]; ok {
		t.Error("generated Service schema carries x-kubernetes-group-version-kind; the namer adds it")
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestDefinitionClosure checks that every definition a generated definition
// refers to was generated too, and is listed in the referring definition's
// Dependencies (the spec builders follow Dependencies, not the schema, to
// decide which definitions to include).
func TestDefinitionClosure(t *testing.T) {
	called := map[string]bool{}
	defs := GetOpenAPIDefinitions(func(name string) spec.Ref {
		called[name] = true
		return spec.MustCreateRef("#/definitions/" + common.EscapeJsonPointer(name))
	})
	if len(called) == 0 {
		t.Fatal("no definition refers to another; the reference callback was never called")
	}
	for name := range called {
		if _, ok := defs[name]; !ok {
			t.Errorf("a definition refers to %q, which was not generated", name)
		}
	}

	names := make([]string, 0, len(defs))
	for name := range defs {
		names = append(names, name)
	}
	sort.Strings(names)
	refs := 0
	for _, name := range names {
		def := defs[name]
		if strings.Contains(name, "/") {
			t.Errorf("definition %q is keyed by its Go path, not an OpenAPI model name", name)
		}
		deps := map[string]bool{}
		for _, dep := range def.Dependencies {
			deps[dep] = true
			if _, ok := defs[dep]; !ok {
				t.Errorf("%s depends on %q, which was not generated", name, dep)
			}
		}
		for _, ref := range schemaRefs(t, def.Schema) {
			refs++
			target, ok := strings.CutPrefix(ref, "#/definitions/")
			if !ok {
				t.Errorf("%s refers to %q, outside #/definitions/", name, ref)
				continue
			}
			target = unescapeJSONPointer(target)
			if _, ok := defs[target]; !ok {
				t.Errorf("%s refers to %q, which was not generated", name, target)
			}
			if !deps[target] {
				t.Errorf("%s refers to %q without listing it in Dependencies", name, target)
			}
		}
	}
	if refs == 0 {
		t.Fatal("found no $ref in any schema; the walk is broken")
	}
}

// schemaRefs returns every $ref in a schema, at any depth, by walking its
// JSON form, so that no SchemaProps field can be missed.
func schemaRefs(t *testing.T, s spec.Schema) []string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("marshalling schema: %v", err)
	}
	var v interface{}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("unmarshalling schema: %v", err)
	}
	var refs []string
	forEachRef(v, func(r string) { refs = append(refs, r) })
	return refs
}

// TestSchemeKindsHaveDefinitions checks that the definition namer the API
// server uses names every registered kind as a generated definition, so the
// spec builders find a schema for each route's request and response type.
func TestSchemeKindsHaveDefinitions(t *testing.T) {
	defs := definitions(t)
	scheme := testScheme(t)
	kinds := 0
	for gvk := range scheme.AllKnownTypes() {
		if gvk.Version == runtime.APIVersionInternal {
			continue
		}
		kinds++
		name, err := scheme.ToOpenAPIDefinitionName(gvk)
		if err != nil {
			t.Errorf("%v: %v", gvk, err)
			continue
		}
		if _, ok := defs[name]; !ok {
			t.Errorf("%v is named %q, which has no definition", gvk, name)
		}
	}
	if kinds < 100 {
		t.Errorf("scheme holds %d kinds; registration is broken", kinds)
	}
}

// v3Config is the OpenAPI v3 configuration the API server builds.
func v3Config(t *testing.T) *common.OpenAPIV3Config {
	t.Helper()
	return genericapiserver.DefaultOpenAPIV3Config(GetOpenAPIDefinitions, openapinamer.NewDefinitionNamer(testScheme(t)))
}

// TestOpenAPIV3Spec builds the OpenAPI v3 document of the core/v1 Service
// routes as the API server does (go-restful routes, builder3, the definition
// namer) and checks that it holds the Service schema, whole.
func TestOpenAPIV3Spec(t *testing.T) {
	ws := new(restful.WebService)
	ws.Path("/api/v1").Produces(restful.MIME_JSON).Consumes(restful.MIME_JSON)
	noop := func(*restful.Request, *restful.Response) {}
	ws.Route(ws.GET("/namespaces/{namespace}/services/{name}").To(noop).
		Operation("readNamespacedService").
		Param(ws.PathParameter("namespace", "object name and auth scope").DataType("string")).
		Param(ws.PathParameter("name", "name of the Service").DataType("string")).
		Writes(corev1.Service{}).
		Returns(200, "OK", corev1.Service{}))
	ws.Route(ws.POST("/namespaces/{namespace}/services").To(noop).
		Operation("createNamespacedService").
		Param(ws.PathParameter("namespace", "object name and auth scope").DataType("string")).
		Reads(corev1.Service{}).
		Writes(corev1.Service{}).
		Returns(201, "Created", corev1.Service{}))
	ws.Route(ws.GET("/namespaces/{namespace}/services").To(noop).
		Operation("listNamespacedService").
		Param(ws.PathParameter("namespace", "object name and auth scope").DataType("string")).
		Writes(corev1.ServiceList{}).
		Returns(200, "OK", corev1.ServiceList{}))
	ws.Route(ws.DELETE("/namespaces/{namespace}/services/{name}").To(noop).
		Operation("deleteNamespacedService").
		Param(ws.PathParameter("namespace", "object name and auth scope").DataType("string")).
		Param(ws.PathParameter("name", "name of the Service").DataType("string")).
		Reads(metav1.DeleteOptions{}).
		Writes(corev1.Service{}).
		Returns(200, "OK", corev1.Service{}).
		Returns(202, "Accepted", metav1.Status{}))

	doc, err := builder3.BuildOpenAPISpec([]*restful.WebService{ws}, v3Config(t))
	if err != nil {
		t.Fatalf("BuildOpenAPISpec: %v", err)
	}
	schemas := doc.Components.Schemas

	svc, ok := schemas["io.k8s.api.core.v1.Service"]
	if !ok {
		t.Fatalf("v3 document has no io.k8s.api.core.v1.Service schema; it has %d schemas", len(schemas))
	}
	wantGVK := []interface{}{map[string]interface{}{"group": "", "version": "v1", "kind": "Service"}}
	if got := svc.Extensions["x-kubernetes-group-version-kind"]; !reflect.DeepEqual(got, wantGVK) {
		t.Errorf("Service x-kubernetes-group-version-kind = %#v, want %#v", got, wantGVK)
	}
	if !strings.HasPrefix(svc.Description, "Service is a named abstraction") {
		t.Errorf("Service description = %q", svc.Description)
	}
	// In v3 a $ref that has siblings is wrapped in allOf.
	if got := refOf(svc.Properties["spec"]); got != "#/components/schemas/io.k8s.api.core.v1.ServiceSpec" {
		t.Errorf("Service.spec refers to %q", got)
	}
	spec3Ports := schemas["io.k8s.api.core.v1.ServiceSpec"].Properties["ports"]
	if got := spec3Ports.Extensions["x-kubernetes-patch-merge-key"]; got != "port" {
		t.Errorf("v3 ServiceSpec.ports x-kubernetes-patch-merge-key = %v, want port", got)
	}
	for _, name := range []string{
		"io.k8s.api.core.v1.ServiceList",
		"io.k8s.api.core.v1.ServiceSpec",
		"io.k8s.api.core.v1.ServiceStatus",
		"io.k8s.api.core.v1.ServicePort",
		"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
		"io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
		"io.k8s.apimachinery.pkg.apis.meta.v1.Status",
		"io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
		"io.k8s.apimachinery.pkg.util.intstr.IntOrString",
	} {
		if _, ok := schemas[name]; !ok {
			t.Errorf("v3 document has no %s schema", name)
		}
	}

	// The response of the read route points at the Service schema.
	path, ok := doc.Paths.Paths["/api/v1/namespaces/{namespace}/services/{name}"]
	if !ok || path.Get == nil {
		t.Fatal("v3 document has no read Service operation")
	}
	resp := path.Get.Responses.StatusCodeResponses[200]
	if resp == nil || resp.Content["application/json"] == nil {
		t.Fatal("read Service operation has no 200 application/json response")
	}
	if got := resp.Content["application/json"].Schema.Ref.String(); got != "#/components/schemas/io.k8s.api.core.v1.Service" {
		t.Errorf("read Service returns %q", got)
	}

	// Every reference in the document resolves within it.
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("marshalling v3 document: %v", err)
	}
	var raw interface{}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("unmarshalling v3 document: %v", err)
	}
	n := 0
	forEachRef(raw, func(ref string) {
		n++
		name, ok := strings.CutPrefix(ref, "#/components/schemas/")
		if !ok {
			t.Errorf("v3 document refers to %q, outside #/components/schemas/", ref)
			return
		}
		// builder3 keys components by escaped name, as the references are.
		if _, ok := schemas[name]; !ok {
			t.Errorf("v3 document refers to %q, which it does not hold", ref)
		}
	})
	if n == 0 {
		t.Error("found no $ref in the v3 document")
	}
}

// TestOpenAPIV3DefinitionsForResources builds the v3 schemas of Service and
// EndpointSlice alone, as the API server does for its field managers and
// type converters, and checks that their closure is complete.
func TestOpenAPIV3DefinitionsForResources(t *testing.T) {
	schemas, err := builder3.BuildOpenAPIDefinitionsForResources(v3Config(t),
		"io.k8s.api.core.v1.Service", "io.k8s.api.discovery.v1.EndpointSlice")
	if err != nil {
		t.Fatalf("BuildOpenAPIDefinitionsForResources: %v", err)
	}
	for _, name := range []string{
		"io.k8s.api.core.v1.Service",
		"io.k8s.api.core.v1.ServiceSpec",
		"io.k8s.api.discovery.v1.EndpointSlice",
		"io.k8s.api.discovery.v1.Endpoint",
		"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
		"io.k8s.apimachinery.pkg.apis.meta.v1.Time",
	} {
		if _, ok := schemas[name]; !ok {
			t.Errorf("no %s schema", name)
		}
	}
	if _, ok := schemas["io.k8s.api.apps.v1.Deployment"]; ok {
		t.Error("unrelated io.k8s.api.apps.v1.Deployment schema built")
	}
	for name, s := range schemas {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("marshalling %s: %v", name, err)
		}
		var raw interface{}
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatalf("unmarshalling %s: %v", name, err)
		}
		forEachRef(raw, func(ref string) {
			target := strings.TrimPrefix(ref, "#/components/schemas/")
			if _, ok := schemas[target]; !ok {
				t.Errorf("%s refers to %q, which was not built", name, ref)
			}
		})
	}
}

// unescapeJSONPointer undoes common.EscapeJsonPointer.
func unescapeJSONPointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// TestOpenAPIV2DefinitionsForResources builds the Swagger 2.0 definitions
// of Service, for /openapi/v2, and checks the v2 forms of the types that have
// separate v2 and v3 schemas.
func TestOpenAPIV2DefinitionsForResources(t *testing.T) {
	cfg := genericapiserver.DefaultOpenAPIConfig(GetOpenAPIDefinitions, openapinamer.NewDefinitionNamer(testScheme(t)))
	doc, err := builder.BuildOpenAPIDefinitionsForResources(cfg, "io.k8s.api.core.v1.Service")
	if err != nil {
		t.Fatalf("BuildOpenAPIDefinitionsForResources: %v", err)
	}
	svc, ok := doc.Definitions["io.k8s.api.core.v1.Service"]
	if !ok {
		t.Fatalf("v2 document has no io.k8s.api.core.v1.Service definition; it has %d", len(doc.Definitions))
	}
	wantGVK := []interface{}{map[string]interface{}{"group": "", "version": "v1", "kind": "Service"}}
	if got := svc.Extensions["x-kubernetes-group-version-kind"]; !reflect.DeepEqual(got, wantGVK) {
		t.Errorf("Service x-kubernetes-group-version-kind = %#v, want %#v", got, wantGVK)
	}
	ios, ok := doc.Definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]
	if !ok {
		t.Fatal("v2 document has no IntOrString definition")
	}
	if !reflect.DeepEqual(ios.Type, spec.StringOrArray{"string"}) || ios.Format != "int-or-string" {
		t.Errorf("v2 IntOrString is type %v format %q, want string int-or-string", ios.Type, ios.Format)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("marshalling v2 document: %v", err)
	}
	var raw interface{}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("unmarshalling v2 document: %v", err)
	}
	forEachRef(raw, func(ref string) {
		name := unescapeJSONPointer(strings.TrimPrefix(ref, "#/definitions/"))
		if _, ok := doc.Definitions[name]; !ok {
			t.Errorf("v2 document refers to %q, which it does not hold", ref)
		}
	})
}

// refOf returns the reference of a v3 property, direct or wrapped in allOf.
func refOf(s spec.Schema) string {
	if r := s.Ref.String(); r != "" {
		return r
	}
	if len(s.AllOf) == 1 {
		return s.AllOf[0].Ref.String()
	}
	return ""
}

// forEachRef calls f with every $ref in a decoded JSON document.
func forEachRef(v interface{}, f func(string)) {
	switch v := v.(type) {
	case map[string]interface{}:
		for k, e := range v {
			if r, ok := e.(string); ok && k == "$ref" {
				f(r)
				continue
			}
			forEachRef(e, f)
		}
	case []interface{}:
		for _, e := range v {
			forEachRef(e, f)
		}
	}
}
