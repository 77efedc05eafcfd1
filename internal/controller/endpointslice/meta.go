package endpointslice

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// sliceMeta is what every slice of one Service carries, computed once a
// sync.
type sliceMeta struct {
	svc *corev1.Service
	// labels are the labels a written slice gets: the Service's own, but
	// for the reserved keys, plus service-name, managed-by and, without a
	// cluster IP, the headless label.
	labels map[string]string
	// own counts the Service's labels that are not reserved.
	own int
	// max caps the endpoints of a slice.
	max int
}

func newSliceMeta(svc *corev1.Service, max int) *sliceMeta {
	m := &sliceMeta{svc: svc, labels: make(map[string]string, len(svc.Labels)+3), max: max}
	for k, v := range svc.Labels {
		if !reservedLabel(k) {
			m.labels[k] = v
			m.own++
		}
	}
	if svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == corev1.ClusterIPNone {
		m.labels[corev1.IsHeadlessService] = ""
	}
	m.labels[discoveryv1.LabelServiceName] = svc.Name
	m.labels[discoveryv1.LabelManagedBy] = ControllerName
	return m
}

// reservedLabel reports whether a label key is the controller's to set,
// never copied from the Service.
func reservedLabel(k string) bool {
	return k == discoveryv1.LabelServiceName || k == discoveryv1.LabelManagedBy || k == corev1.IsHeadlessService
}

// labelsStale reports whether the slice's labels, reserved keys aside,
// differ from the Service's. As in kube, a difference in the reserved
// keys alone does not make a slice worth writing; they are set right
// whenever it is written.
func (m *sliceMeta) labelsStale(s *discoveryv1.EndpointSlice) bool {
	n := 0
	for k, v := range s.Labels {
		if reservedLabel(k) {
			continue
		}
		n++
		if want, ok := m.svc.Labels[k]; !ok || want != v {
			return true
		}
	}
	return n != m.own
}

// ownedBy reports whether the slice names svc as an owner (kube's test:
// uid, kind Service, apiVersion v1). Slices of an earlier Service of the
// same name are not reused but deleted.
func ownedBy(s *discoveryv1.EndpointSlice, svc *corev1.Service) bool {
	for _, o := range s.OwnerReferences {
		if o.UID == svc.UID && o.Kind == "Service" && o.APIVersion == "v1" {
			return true
		}
	}
	return false
}

// newSlice returns an unnamed slice of the Service with the given ports
// and no endpoints yet.
func (m *sliceMeta) newSlice(family discoveryv1.AddressType, ports []discoveryv1.EndpointPort) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:       m.svc.Namespace,
			GenerateName:    slicePrefix(m.svc.Name),
			Labels:          maps.Clone(m.labels),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(m.svc, schema.GroupVersionKind{Version: "v1", Kind: "Service"})},
		},
		AddressType: family,
		Ports:       ports,
		Endpoints:   []discoveryv1.Endpoint{},
	}
}

// forUpdate returns a copy of an existing slice to write: labels as they
// should be, endpoints eps. Only the top level is copied: nothing that
// the copy shares with the cached slice is modified.
func (m *sliceMeta) forUpdate(s *discoveryv1.EndpointSlice, eps []discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	cp := *s
	cp.Labels = maps.Clone(m.labels)
	cp.Endpoints = eps
	return &cp
}

// isPlaceholder reports whether s is the placeholder slice this Service
// would get (no ports, no endpoints), as kube compares them: namespace,
// labels and owner references; other metadata is ignored.
func (m *sliceMeta) isPlaceholder(s *discoveryv1.EndpointSlice, family discoveryv1.AddressType) bool {
	want := m.newSlice(family, nil)
	if s.Namespace != want.Namespace || s.AddressType != family || len(s.Ports) > 0 || len(s.Endpoints) > 0 {
		return false
	}
	if !maps.Equal(s.Labels, want.Labels) || len(s.OwnerReferences) != len(want.OwnerReferences) {
		return false
	}
	for i := range s.OwnerReferences {
		if s.OwnerReferences[i].String() != want.OwnerReferences[i].String() {
			return false
		}
	}
	return true
}

// slicePrefix is the generateName of the Service's slices: "<name>-", or
// the name alone when that would not be valid.
func slicePrefix(name string) string {
	if p := name + "-"; len(validation.NameIsDNSSubdomain(p, true)) == 0 {
		return p
	}
	return name
}
