package registry

import (
	"context"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestEndpointSliceGeneration(t *testing.T) {
	ctx := context.Background()
	st := &strategy{r: find(t, "endpointslices")}
	slice := func(ip string, lbls map[string]string) *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: "s", Namespace: "ns", Generation: 4, Labels: lbls},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{ip}}},
		}
	}
	created := slice("10.0.0.1", nil)
	st.PrepareForCreate(ctx, created)
	if created.Generation != 1 {
		t.Errorf("create: generation %d, want 1", created.Generation)
	}
	cases := []struct {
		name string
		obj  *discoveryv1.EndpointSlice
		want int64
	}{
		{"endpoints changed", slice("10.0.0.2", nil), 5},
		{"labels changed", slice("10.0.0.1", map[string]string{"a": "b"}), 5},
		{"only annotations changed", func() *discoveryv1.EndpointSlice {
			s := slice("10.0.0.1", nil)
			s.Annotations = map[string]string{"x": "y"}
			return s
		}(), 4},
		{"client-sent generation ignored", func() *discoveryv1.EndpointSlice {
			s := slice("10.0.0.1", nil)
			s.Generation = 99
			return s
		}(), 4},
	}
	for _, tc := range cases {
		st.PrepareForUpdate(ctx, tc.obj, slice("10.0.0.1", nil))
		if tc.obj.Generation != tc.want {
			t.Errorf("%s: generation %d, want %d", tc.name, tc.obj.Generation, tc.want)
		}
	}
}
