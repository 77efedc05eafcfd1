package controllerref

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

var rsKind = appsv1.SchemeGroupVersion.WithKind("ReplicaSet")

func owner(deleting bool) *appsv1.ReplicaSet {
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "rs", Namespace: "ns", UID: "rs-uid"}}
	if deleting {
		rs.DeletionTimestamp = ptr.To(metav1.Now())
	}
	return rs
}

func pod(name string, app string, ownerUID types.UID) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name + "-uid"), Labels: map[string]string{"app": app}}}
	if ownerUID != "" {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "x", UID: ownerUID, Controller: ptr.To(true)}}
	}
	return p
}

func TestClaim(t *testing.T) {
	cases := []struct {
		name        string
		deleting    bool
		fresh       func() (metav1.Object, error)
		selector    string
		pods        []*corev1.Pod
		patchErr    error
		wantClaimed []string
		wantPatched []string // "adopt name" or "release name"
		wantErr     string
	}{
		{name: "owned and matching", selector: "app=web",
			pods:        []*corev1.Pod{pod("a", "web", "rs-uid")},
			wantClaimed: []string{"a"}},
		{name: "owned, no longer matching: released", selector: "app=web",
			pods:        []*corev1.Pod{pod("a", "nope", "rs-uid")},
			wantPatched: []string{"release a"}},
		{name: "owned by another controller", selector: "app=web",
			pods: []*corev1.Pod{pod("a", "web", "other-uid")}},
		{name: "orphan matching: adopted", selector: "app=web",
			pods:        []*corev1.Pod{pod("a", "web", ""), pod("b", "other", "")},
			wantClaimed: []string{"a"}, wantPatched: []string{"adopt a"}},
		{name: "orphan being deleted is not adopted", selector: "app=web",
			pods: []*corev1.Pod{func() *corev1.Pod { p := pod("a", "web", ""); p.DeletionTimestamp = ptr.To(metav1.Now()); return p }()}},
		{name: "a deleting owner adopts and releases nothing", deleting: true, selector: "app=web",
			pods:        []*corev1.Pod{pod("a", "web", ""), pod("b", "nope", "rs-uid"), pod("c", "web", "rs-uid")},
			wantClaimed: []string{"c"}},
		{name: "empty selector claims nothing", selector: "",
			pods: []*corev1.Pod{pod("a", "web", "")}},
		{name: "owner replaced since the cache was read", selector: "app=web",
			fresh:   func() (metav1.Object, error) { return &metav1.ObjectMeta{UID: "new-uid"}, nil },
			pods:    []*corev1.Pod{pod("a", "web", ""), pod("b", "web", "")},
			wantErr: "is gone: got uid new-uid, wanted rs-uid"},
		{name: "owner deleted since the cache was read", selector: "app=web",
			fresh: func() (metav1.Object, error) {
				return &metav1.ObjectMeta{UID: "rs-uid", DeletionTimestamp: ptr.To(metav1.Now())}, nil
			},
			pods:    []*corev1.Pod{pod("a", "web", "")},
			wantErr: "has just been deleted"},
		{name: "pod gone while adopting", selector: "app=web",
			pods:        []*corev1.Pod{pod("a", "web", "")},
			patchErr:    apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, "a"),
			wantPatched: []string{"adopt a"}},
		{name: "release of a recreated pod is a no-op", selector: "app=web",
			pods:        []*corev1.Pod{pod("a", "nope", "rs-uid")},
			patchErr:    apierrors.NewInvalid(schema.GroupKind{Kind: "Pod"}, "a", nil),
			wantPatched: []string{"release a"}},
		{name: "other patch errors are returned", selector: "app=web",
			pods:        []*corev1.Pod{pod("a", "web", ""), pod("b", "web", "rs-uid")},
			patchErr:    errors.New("boom"),
			wantClaimed: []string{"b"}, wantPatched: []string{"adopt a"}, wantErr: "boom"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := labels.Parse(tc.selector)
			if err != nil {
				t.Fatal(err)
			}
			o := owner(tc.deleting)
			freshCalls := 0
			var patched []string
			c := &Claimer{
				Owner: o, Kind: rsKind, Selector: sel,
				Fresh: func(context.Context) (metav1.Object, error) {
					freshCalls++
					if tc.fresh != nil {
						return tc.fresh()
					}
					return o, nil
				},
				Patch: func(_ context.Context, name string, data []byte) error {
					verb := "adopt"
					if strings.Contains(string(data), `"$patch":"delete"`) {
						verb = "release"
					}
					patched = append(patched, verb+" "+name)
					return tc.patchErr
				},
			}
			claimed, err := Claim(context.Background(), c, tc.pods)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
			var names []string
			for _, p := range claimed {
				names = append(names, p.Name)
			}
			if !slices.Equal(names, tc.wantClaimed) {
				t.Fatalf("claimed %v, want %v", names, tc.wantClaimed)
			}
			if !slices.Equal(patched, tc.wantPatched) {
				t.Fatalf("patched %v, want %v", patched, tc.wantPatched)
			}
			if freshCalls > 1 {
				t.Fatalf("owner read fresh %d times", freshCalls)
			}
		})
	}
}
