package apiserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

const (
	kubernetesService = "kubernetes"
	// endpointSliceManager marks the kubernetes Service's EndpointSlice as
	// the API server's, so an EndpointSlice controller leaves it alone.
	endpointSliceManager = "portal-apiserver"
)

// ensureKubernetesService creates default/kubernetes with the first IP of the
// service range and port https 443 → the API server's port, and points its
// Endpoints and EndpointSlice at host:port. An existing Service keeps its
// cluster IP; its ports, Endpoints and EndpointSlice are brought up to date.
func ensureKubernetesService(ctx context.Context, client kubernetes.Interface, clusterIP netip.Addr, host net.IP, port int, log *slog.Logger) error {
	ports := []corev1.ServicePort{{Name: "https", Protocol: corev1.ProtocolTCP, Port: 443, TargetPort: intstr.FromInt32(int32(port))}}
	svcs := client.CoreV1().Services(metav1.NamespaceDefault)
	svc, err := svcs.Get(ctx, kubernetesService, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		svc = &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{
				Name:   kubernetesService,
				Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"},
			},
			Spec: corev1.ServiceSpec{
				Type:            corev1.ServiceTypeClusterIP,
				ClusterIP:       clusterIP.String(),
				ClusterIPs:      []string{clusterIP.String()},
				Ports:           ports,
				SessionAffinity: corev1.ServiceAffinityNone,
				IPFamilyPolicy:  ptr.To(corev1.IPFamilyPolicySingleStack),
			},
		}
		_, err = svcs.Create(ctx, svc, metav1.CreateOptions{})
		if apierrors.IsInvalid(err) {
			// The first IP is taken (the range changed under existing
			// Services): any IP will do.
			log.Warn("kubernetes service cannot have the first service IP; allocating another", "ip", clusterIP, "err", err)
			svc.Spec.ClusterIP, svc.Spec.ClusterIPs = "", nil
			_, err = svcs.Create(ctx, svc, metav1.CreateOptions{})
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	case err != nil:
		return err
	case !apiequality.Semantic.DeepEqual(svc.Spec.Ports, ports):
		svc.Spec.Ports = ports
		if _, err := svcs.Update(ctx, svc, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	return errors.Join(ensureKubernetesEndpoints(ctx, client, host, port), ensureKubernetesEndpointSlice(ctx, client, host, port))
}

func ensureKubernetesEndpoints(ctx context.Context, client kubernetes.Interface, host net.IP, port int) error {
	want := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{
			Name: kubernetesService,
			// The API server writes the slice itself; nothing mirrors this.
			Labels: map[string]string{discoveryv1.LabelSkipMirror: "true"},
		},
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: host.String()}},
			Ports:     []corev1.EndpointPort{{Name: "https", Port: int32(port), Protocol: corev1.ProtocolTCP}},
		}},
	}
	eps := client.CoreV1().Endpoints(metav1.NamespaceDefault)
	cur, err := eps.Get(ctx, kubernetesService, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = eps.Create(ctx, want, metav1.CreateOptions{})
		return err
	case err != nil:
		return err
	case apiequality.Semantic.DeepEqual(cur.Subsets, want.Subsets) && apiequality.Semantic.DeepEqual(cur.Labels, want.Labels):
		return nil
	}
	cur.Subsets, cur.Labels = want.Subsets, want.Labels
	_, err = eps.Update(ctx, cur, metav1.UpdateOptions{})
	return err
}

func ensureKubernetesEndpointSlice(ctx context.Context, client kubernetes.Interface, host net.IP, port int) error {
	addrType := discoveryv1.AddressTypeIPv4
	if host.To4() == nil {
		addrType = discoveryv1.AddressTypeIPv6
	}
	want := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name: kubernetesService,
			Labels: map[string]string{
				discoveryv1.LabelServiceName: kubernetesService,
				discoveryv1.LabelManagedBy:   endpointSliceManager,
			},
		},
		AddressType: addrType,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{host.String()},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		}},
		Ports: []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To(int32(port)), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	slices := client.DiscoveryV1().EndpointSlices(metav1.NamespaceDefault)
	cur, err := slices.Get(ctx, kubernetesService, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = slices.Create(ctx, want, metav1.CreateOptions{})
		return err
	case err != nil:
		return err
	case cur.AddressType == want.AddressType && apiequality.Semantic.DeepEqual(cur.Endpoints, want.Endpoints) &&
		apiequality.Semantic.DeepEqual(cur.Ports, want.Ports) && apiequality.Semantic.DeepEqual(cur.Labels, want.Labels):
		return nil
	case cur.AddressType != want.AddressType:
		// addressType is immutable: replace the slice.
		if err := slices.Delete(ctx, kubernetesService, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		_, err = slices.Create(ctx, want, metav1.CreateOptions{})
		return err
	}
	cur.Endpoints, cur.Ports, cur.Labels = want.Endpoints, want.Ports, want.Labels
	_, err = slices.Update(ctx, cur, metav1.UpdateOptions{})
	return err
}
