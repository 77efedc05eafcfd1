package storagetest

import (
	"bytes"
	"github.com/portal-dev/portal/internal/api/defaults"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/registry/rest"
)

// protobufMagic starts every object kube-apiserver stores as protobuf.
var protobufMagic = []byte("k8s\x00")

// testCreateGet: what is created reads back the same, its resourceVersion
// is the mod revision of its key under /registry (in kube-apiserver's
// layout), and it is stored as protobuf.
func testCreateGet(t *testing.T, h *harness) {
	tests := []struct {
		resource string
		obj      runtime.Object
		// payload is what the client wrote and must read back.
		payload func(runtime.Object) any
	}{
		{
			resource: "configmaps",
			obj:      configMap("settings", map[string]string{"app": "web"}, map[string]string{"color": "blue", "size": "3"}),
			payload:  func(o runtime.Object) any { return o.(*corev1.ConfigMap).Data },
		},
		{
			resource: "services",
			obj: defaulted(&corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: namespace, Labels: map[string]string{"app": "web"}},
				Spec: corev1.ServiceSpec{
					Type:     corev1.ServiceTypeClusterIP,
					Selector: map[string]string{"app": "web"},
					Ports:    []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(8080)}},
				},
			}),
			// What the client wrote; the server adds allocated fields
			// (clusterIP, ipFamilies) of its own.
			payload: func(o runtime.Object) any {
				svc := o.(*corev1.Service)
				return []any{svc.Spec.Ports, svc.Spec.Selector, svc.Spec.Type, svc.Spec.SessionAffinity}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.resource, func(t *testing.T) {
			s := h.store(t, tc.resource)
			ctx := ctxIn(namespace)
			sent := tc.obj.DeepCopyObject()
			created := create(t, ctx, s, tc.obj)
			cm := metaOf(t, created)
			if cm.GetUID() == "" || cm.GetCreationTimestamp().Time.IsZero() {
				t.Errorf("created object lacks uid or creationTimestamp: %+v", cm)
			}
			k := key(tc.resource, namespace, cm.GetName())
			mod, _ := h.modRevision(t, k)
			if mod == 0 {
				t.Fatalf("no etcd key %s after create", k)
			}
			if got := rv(t, created); got != mod {
				t.Errorf("created resourceVersion %d, etcd mod revision of %s %d", got, k, mod)
			}
			if v := h.value(t, k); !bytes.HasPrefix(v, protobufMagic) {
				t.Errorf("etcd value of %s is not protobuf: %q", k, v[:min(len(v), 16)])
			}
			// Once from etcd, once at the created revision (from the watch
			// cache when it is on): both must be what was written.
			for _, opts := range []*metav1.GetOptions{{}, {ResourceVersion: cm.GetResourceVersion()}} {
				got, err := s.Get(ctx, cm.GetName(), opts)
				if err != nil {
					t.Fatalf("get (resourceVersion %q): %v", opts.ResourceVersion, err)
				}
				if rv(t, got) != mod {
					t.Errorf("get (resourceVersion %q): resourceVersion %d, want %d", opts.ResourceVersion, rv(t, got), mod)
				}
				gm := metaOf(t, got)
				if gm.GetUID() != cm.GetUID() || !equality.Semantic.DeepEqual(gm.GetLabels(), metaOf(t, sent).GetLabels()) {
					t.Errorf("get (resourceVersion %q): metadata %+v, created %+v", opts.ResourceVersion, gm, cm)
				}
				if !equality.Semantic.DeepEqual(tc.payload(got), tc.payload(sent)) {
					t.Errorf("get (resourceVersion %q): read %+v, wrote %+v", opts.ResourceVersion, tc.payload(got), tc.payload(sent))
				}
			}
		})
	}
}

// testStaleUpdate: an update carrying a resourceVersion that is no longer
// current is refused with 409 Conflict and changes nothing.
func testStaleUpdate(t *testing.T, h *harness) {
	s := h.store(t, "configmaps")
	v1 := createCM(t, s, "stale", map[string]string{"v": "1"})

	fresh := v1.DeepCopy()
	fresh.Data["v"] = "2"
	v2 := updateCM(t, s, fresh)
	if rv(t, v2) <= rv(t, v1) {
		t.Fatalf("update did not advance resourceVersion: %d after %d", rv(t, v2), rv(t, v1))
	}

	stale := v1.DeepCopy()
	stale.Data["v"] = "3"
	_, err := update(ctxIn(namespace), s, stale, stale.Name)
	if !apierrors.IsConflict(err) {
		t.Fatalf("update at stale resourceVersion %s: got %v, want 409 Conflict", v1.ResourceVersion, err)
	}

	got := getCM(t, s, "stale")
	if got.Data["v"] != "2" || got.ResourceVersion != v2.ResourceVersion {
		t.Errorf("after refused update: data %v at %s, want v=2 at %s", got.Data, got.ResourceVersion, v2.ResourceVersion)
	}
	if mod, _ := h.modRevision(t, key("configmaps", namespace, "stale")); mod != rv(t, v2) {
		t.Errorf("refused update wrote etcd: mod revision %d, want %d", mod, rv(t, v2))
	}
}

// testCreateExisting: creating a name that exists is 409 AlreadyExists and
// leaves the existing object alone.
func testCreateExisting(t *testing.T, h *harness) {
	s := h.store(t, "configmaps")
	first := createCM(t, s, "dup", map[string]string{"v": "first"})
	_, err := s.Create(ctxIn(namespace), configMap("dup", nil, map[string]string{"v": "second"}), rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		t.Fatalf("second create: got %v, want AlreadyExists", err)
	}
	got := getCM(t, s, "dup")
	if got.Data["v"] != "first" || got.ResourceVersion != first.ResourceVersion || got.UID != first.UID {
		t.Errorf("after refused create: %v at %s uid %s, want the first object", got.Data, got.ResourceVersion, got.UID)
	}
}

// testGenerateName: objects created with generateName get distinct names
// that start with the prefix, each readable.
func testGenerateName(t *testing.T, h *harness) {
	s := h.store(t, "configmaps")
	const n = 8
	seen := sets.New[string]()
	for i := 0; i < n; i++ {
		obj := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "gen-", Namespace: namespace}}
		name := create(t, ctxIn(namespace), s, obj).(*corev1.ConfigMap).Name
		if !strings.HasPrefix(name, "gen-") || len(name) <= len("gen-") {
			t.Errorf("generated name %q does not extend the prefix gen-", name)
		}
		if seen.Has(name) {
			t.Errorf("generated name %q twice", name)
		}
		seen.Insert(name)
		getCM(t, s, name)
	}
	if seen.Len() != n {
		t.Errorf("%d creates gave %d distinct names", n, seen.Len())
	}
}

// testDelete: a deleted object is gone from the API and from etcd, and a
// second delete is NotFound too.
func testDelete(t *testing.T, h *harness) {
	s := h.store(t, "configmaps")
	createCM(t, s, "gone", map[string]string{"v": "1"})
	del(t, s, "gone")
	if _, err := s.Get(ctxIn(namespace), "gone", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get after delete: got %v, want NotFound", err)
	}
	if mod, _ := h.modRevision(t, key("configmaps", namespace, "gone")); mod != 0 {
		t.Errorf("etcd still has the deleted key (mod revision %d)", mod)
	}
	if _, _, err := s.Delete(ctxIn(namespace), "gone", rest.ValidateAllObjectFunc, &metav1.DeleteOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("second delete: got %v, want NotFound", err)
	}
}

func metaOf(t testing.TB, obj runtime.Object) metav1.Object {
	t.Helper()
	m, err := meta.Accessor(obj)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// defaulted applies the defaults the HTTP handler applies to what it
// decodes; calls straight into the storage must do the same.
func defaulted(svc *corev1.Service) *corev1.Service {
	defaults.Service(svc)
	return svc
}
