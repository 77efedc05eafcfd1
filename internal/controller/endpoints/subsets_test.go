package endpoints

import (
	"fmt"
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
)

func addr(ip string) corev1.EndpointAddress {
	return corev1.EndpointAddress{IP: ip, TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "p-" + ip, UID: types.UID("u-" + ip)}}
}

func port(name string, n int32) corev1.EndpointPort {
	return corev1.EndpointPort{Name: name, Port: n, Protocol: corev1.ProtocolTCP}
}

func TestRepack(t *testing.T) {
	cases := []struct {
		name string
		in   []corev1.EndpointSubset
		want []corev1.EndpointSubset
	}{{
		name: "one subset per address and port merges",
		in: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{addr("10.0.0.2")}, Ports: []corev1.EndpointPort{port("a", 80)}},
			{Addresses: []corev1.EndpointAddress{addr("10.0.0.1")}, Ports: []corev1.EndpointPort{port("a", 80)}},
			{NotReadyAddresses: []corev1.EndpointAddress{addr("10.0.0.3")}, Ports: []corev1.EndpointPort{port("a", 80)}},
		},
		want: []corev1.EndpointSubset{{
			Addresses:         []corev1.EndpointAddress{addr("10.0.0.1"), addr("10.0.0.2")},
			NotReadyAddresses: []corev1.EndpointAddress{addr("10.0.0.3")},
			Ports:             []corev1.EndpointPort{port("a", 80)},
		}},
	}, {
		name: "ports with the same addresses share a subset, others split",
		in: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{addr("10.0.0.1"), addr("10.0.0.2")}, Ports: []corev1.EndpointPort{port("b", 81), port("a", 80)}},
			{Addresses: []corev1.EndpointAddress{addr("10.0.0.1")}, Ports: []corev1.EndpointPort{port("c", 82)}},
		},
		want: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{addr("10.0.0.1"), addr("10.0.0.2")},
			Ports:     []corev1.EndpointPort{port("a", 80), port("b", 81)},
		}, {
			Addresses: []corev1.EndpointAddress{addr("10.0.0.1")},
			Ports:     []corev1.EndpointPort{port("c", 82)},
		}},
	}, {
		name: "not ready wins over ready, duplicates collapse",
		in: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{addr("10.0.0.1"), addr("10.0.0.1")}, Ports: []corev1.EndpointPort{port("a", 80)}},
			{NotReadyAddresses: []corev1.EndpointAddress{addr("10.0.0.1")}, Ports: []corev1.EndpointPort{port("a", 80)}},
		},
		want: []corev1.EndpointSubset{{
			NotReadyAddresses: []corev1.EndpointAddress{addr("10.0.0.1")},
			Ports:             []corev1.EndpointPort{port("a", 80)},
		}},
	}, {
		name: "same IP, two pods: two addresses",
		in: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{
				{IP: "10.0.0.1", TargetRef: &corev1.ObjectReference{UID: "b"}},
				{IP: "10.0.0.1", TargetRef: &corev1.ObjectReference{UID: "a"}},
			},
			Ports: []corev1.EndpointPort{port("a", 80)},
		}},
		want: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{
				{IP: "10.0.0.1", TargetRef: &corev1.ObjectReference{UID: "a"}},
				{IP: "10.0.0.1", TargetRef: &corev1.ObjectReference{UID: "b"}},
			},
			Ports: []corev1.EndpointPort{port("a", 80)},
		}},
	}, {
		name: "portless addresses kept",
		in: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{addr("10.0.0.2")}},
			{Addresses: []corev1.EndpointAddress{addr("10.0.0.1")}},
		},
		want: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{addr("10.0.0.1"), addr("10.0.0.2")}}},
	}, {
		name: "empty",
		in:   nil,
		want: []corev1.EndpointSubset{},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Repack(tc.in)
			if !equality.Semantic.DeepEqual(got, tc.want) {
				t.Errorf("Repack:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestRepackDeterministic shuffles the same input: the output never moves.
func TestRepackDeterministic(t *testing.T) {
	var in []corev1.EndpointSubset
	for i := range 60 {
		s := corev1.EndpointSubset{Ports: []corev1.EndpointPort{port(fmt.Sprint("p", i%4), int32(8000+i%4))}}
		if i%7 == 0 {
			s.NotReadyAddresses = []corev1.EndpointAddress{addr(fmt.Sprintf("10.0.%d.%d", i%3, i))}
		} else {
			s.Addresses = []corev1.EndpointAddress{addr(fmt.Sprintf("10.0.%d.%d", i%3, i))}
		}
		in = append(in, s)
	}
	want := Repack(in)
	for range 20 {
		rand.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		if got := Repack(in); !equality.Semantic.DeepEqual(got, want) {
			t.Fatalf("order-dependent result:\n%+v\n%+v", got, want)
		}
	}
}

func TestTruncate(t *testing.T) {
	many := func(prefix string, n int) []corev1.EndpointAddress {
		var out []corev1.EndpointAddress
		for i := range n {
			out = append(out, addr(fmt.Sprintf("%s.%d", prefix, i)))
		}
		return out
	}
	cases := []struct {
		name      string
		in        []corev1.EndpointSubset
		limit     int
		truncated bool
		want      [][2]int // per subset: ready, notReady
	}{
		{"under", []corev1.EndpointSubset{{Addresses: many("a", 5), NotReadyAddresses: many("b", 5)}}, 10, false, [][2]int{{5, 5}}},
		{"not ready cut first", []corev1.EndpointSubset{{Addresses: many("a", 6), NotReadyAddresses: many("b", 6)}}, 10, true, [][2]int{{6, 4}}},
		{"ready over limit drops every not-ready", []corev1.EndpointSubset{
			{Addresses: many("a", 600), NotReadyAddresses: many("b", 10)},
			{Addresses: many("c", 600)},
		}, 1000, true, [][2]int{{500, 0}, {500, 0}}},
		{"proportional not-ready, rounded up", []corev1.EndpointSubset{
			{Addresses: many("a", 90), NotReadyAddresses: many("b", 15)},
			{NotReadyAddresses: many("c", 5)},
		}, 100, true, [][2]int{{90, 8}, {0, 2}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := truncate(tc.in, tc.limit); got != tc.truncated {
				t.Errorf("truncated = %t", got)
			}
			var got [][2]int
			for _, s := range tc.in {
				got = append(got, [2]int{len(s.Addresses), len(s.NotReadyAddresses)})
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("sizes %v, want %v", got, tc.want)
			}
		})
	}
}
