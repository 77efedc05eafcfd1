package legacy

import (
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	discoveryv1beta1 "k8s.io/api/discovery/v1beta1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	appsv1 "k8s.io/api/apps/v1"
	appsv1beta1 "k8s.io/api/apps/v1beta1"
	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func newScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{appsv1.AddToScheme, batchv1.AddToScheme, networkingv1.AddToScheme, discoveryv1.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := Register(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIngressBackendsConvert(t *testing.T) {
	s := newScheme(t)
	cases := []struct {
		name   string
		legacy runtime.Object
		want   networkingv1.IngressBackend
		def    *networkingv1.IngressBackend
	}{
		{
			name: "extensions numbered port and default backend",
			legacy: &extensionsv1beta1.Ingress{Spec: extensionsv1beta1.IngressSpec{
				Backend: &extensionsv1beta1.IngressBackend{ServiceName: "fallback", ServicePort: intstr.FromInt32(8080)},
				Rules: []extensionsv1beta1.IngressRule{{Host: "nginx.web.com", IngressRuleValue: extensionsv1beta1.IngressRuleValue{HTTP: &extensionsv1beta1.HTTPIngressRuleValue{
					Paths: []extensionsv1beta1.HTTPIngressPath{{Path: "/", Backend: extensionsv1beta1.IngressBackend{ServiceName: "nginx-service", ServicePort: intstr.FromInt32(80)}}},
				}}}},
			}},
			want: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "nginx-service", Port: networkingv1.ServiceBackendPort{Number: 80}}},
			def:  &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "fallback", Port: networkingv1.ServiceBackendPort{Number: 8080}}},
		},
		{
			name: "networking v1beta1 named port",
			legacy: &networkingv1beta1.Ingress{Spec: networkingv1beta1.IngressSpec{
				Rules: []networkingv1beta1.IngressRule{{Host: "a.com", IngressRuleValue: networkingv1beta1.IngressRuleValue{HTTP: &networkingv1beta1.HTTPIngressRuleValue{
					Paths: []networkingv1beta1.HTTPIngressPath{{Path: "/x", Backend: networkingv1beta1.IngressBackend{ServiceName: "web", ServicePort: intstr.FromString("http")}}},
				}}}},
			}},
			want: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Name: "http"}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hub := &networkingv1.Ingress{}
			if err := s.Convert(tc.legacy, hub, nil); err != nil {
				t.Fatal(err)
			}
			got := hub.Spec.Rules[0].HTTP.Paths[0].Backend
			if !equality.Semantic.DeepEqual(got, tc.want) {
				t.Fatalf("backend %+v, want %+v", got, tc.want)
			}
			if !equality.Semantic.DeepEqual(hub.Spec.DefaultBackend, tc.def) {
				t.Fatalf("default backend %+v, want %+v", hub.Spec.DefaultBackend, tc.def)
			}
			// And back, losslessly.
			back := tc.legacy.DeepCopyObject()
			if err := s.Convert(hub, back, nil); err != nil {
				t.Fatal(err)
			}
			if !equality.Semantic.DeepEqual(back, tc.legacy) {
				t.Fatalf("round trip changed the object:\n%+v\n%+v", back, tc.legacy)
			}
		})
	}
}

func TestEndpointSliceTopologyConverts(t *testing.T) {
	s := newScheme(t)
	legacy := &discoveryv1beta1.EndpointSlice{
		AddressType: discoveryv1beta1.AddressTypeIPv4,
		Endpoints: []discoveryv1beta1.Endpoint{{
			Addresses: []string{"10.0.0.1"},
			NodeName:  ptr.To("node-a"),
			Topology: map[string]string{
				"kubernetes.io/hostname":        "node-a",
				"topology.kubernetes.io/zone":   "zone-1",
				"topology.kubernetes.io/region": "r1",
			},
		}},
	}
	hub := &discoveryv1.EndpointSlice{}
	if err := s.Convert(legacy, hub, nil); err != nil {
		t.Fatal(err)
	}
	ep := hub.Endpoints[0]
	if ptr.Deref(ep.Zone, "") != "zone-1" || ptr.Deref(ep.NodeName, "") != "node-a" {
		t.Fatalf("zone %v node %v", ep.Zone, ep.NodeName)
	}
	if len(ep.DeprecatedTopology) != 1 || ep.DeprecatedTopology["topology.kubernetes.io/region"] != "r1" {
		t.Fatalf("deprecatedTopology %v", ep.DeprecatedTopology)
	}
	back := &discoveryv1beta1.EndpointSlice{}
	if err := s.Convert(hub, back, nil); err != nil {
		t.Fatal(err)
	}
	if !equality.Semantic.DeepEqual(back.Endpoints[0].Topology, legacy.Endpoints[0].Topology) {
		t.Fatalf("topology after round trip %v", back.Endpoints[0].Topology)
	}
}

func TestWorkloadsConvertByShape(t *testing.T) {
	s := newScheme(t)
	d := &appsv1beta1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1beta1.DeploymentSpec{
			Replicas:   ptr.To[int32](3),
			Selector:   &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			RollbackTo: &appsv1beta1.RollbackConfig{Revision: 2},
		},
	}
	hub := &appsv1.Deployment{}
	if err := s.Convert(d, hub, nil); err != nil {
		t.Fatal(err)
	}
	if hub.Name != "web" || *hub.Spec.Replicas != 3 || hub.Spec.Selector.MatchLabels["app"] != "web" {
		t.Fatalf("converted %+v", hub)
	}
	list := &batchv1beta1.CronJobList{Items: []batchv1beta1.CronJob{{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Spec: batchv1beta1.CronJobSpec{Schedule: "*/5 * * * *"}}}}
	hubList := &batchv1.CronJobList{}
	if err := s.Convert(list, hubList, nil); err != nil {
		t.Fatal(err)
	}
	if len(hubList.Items) != 1 || hubList.Items[0].Spec.Schedule != "*/5 * * * *" {
		t.Fatalf("list %+v", hubList)
	}
	// The legacy object that reached the hub keeps its own fields.
	if d.Spec.RollbackTo == nil {
		t.Fatal("conversion mutated its input")
	}
}
