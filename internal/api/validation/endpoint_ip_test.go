package validation

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// portal allows loopback endpoint addresses (its rootless pods live on
// 127.x) where kube-apiserver refuses them; external IPs keep kube's rule.
func TestLoopbackEndpointsAreAllowed(t *testing.T) {
	ep := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: "127.244.0.7"}},
			Ports:     []corev1.EndpointPort{{Port: 8080, Protocol: corev1.ProtocolTCP}},
		}},
	}
	if errs := ValidateEndpoints(ep); len(errs) != 0 {
		t.Fatalf("loopback Endpoints refused: %v", errs)
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-abc", Namespace: "default"},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"127.0.0.1"}}},
		Ports:       []discoveryv1.EndpointPort{{Port: ptr[int32](6443), Protocol: ptr(corev1.ProtocolTCP)}},
	}
	if errs := ValidateEndpointSlice(slice); len(errs) != 0 {
		t.Fatalf("loopback EndpointSlice refused: %v", errs)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "default"},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeClusterIP, SessionAffinity: corev1.ServiceAffinityNone,
			InternalTrafficPolicy: ptr(corev1.ServiceInternalTrafficPolicyCluster),
			Ports:                 []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}},
			ExternalIPs:           []string{"127.0.0.1"},
		},
	}
	if errs := ValidateService(svc); len(errs) == 0 {
		t.Fatal("loopback externalIP accepted; kube refuses it")
	}
}
