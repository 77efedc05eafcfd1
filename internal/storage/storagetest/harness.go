package storagetest

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/portal-dev/portal/internal/api/scheme"
	"github.com/portal-dev/portal/internal/registry"
	"github.com/portal-dev/portal/internal/storage"
)

// pollTimeout bounds every wait of the suite. It is generous on purpose:
// it only keeps a broken backend from hanging the test, it asserts nothing
// about speed.
const pollTimeout = time.Minute

// restStore is what the API server's handlers use of a resource's storage.
type restStore interface {
	rest.Storage
	rest.Creater
	rest.Getter
	rest.Updater
	rest.Lister
	rest.Watcher
	rest.GracefulDeleter
}

// harness builds portal's storage of real resources over one backend, and
// reads etcd directly to check what the storage claims.
type harness struct {
	backend    Backend
	watchCache bool
	scheme     *runtime.Scheme
	etcd       *clientv3.Client
}

// namespace is where every case writes, unless it says otherwise.
const namespace = "conformance"

func newHarness(t *testing.T, b Backend, watchCache bool) *harness {
	t.Helper()
	sch, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{backend: b, watchCache: watchCache, scheme: sch}
	h.etcd = newEtcdClient(t, b.Endpoints())
	return h
}

func newEtcdClient(t testing.TB, endpoints []string) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("etcd client: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// built is one resource's storage; destroy releases it (etcd clients and
// the watch cache) and is safe to call twice.
type built struct {
	restStore
	destroy func()
}

// store builds the storage of the named core/v1 resource with registry.Build
// over storage.RESTOptions, as the API server does, and waits until it is
// ready (the watch cache, when on, has loaded). It is destroyed in
// t.Cleanup at the latest.
func (h *harness) store(t testing.TB, resource string) *built {
	t.Helper()
	var r *registry.Resource
	for _, x := range registry.Resources() {
		if x.GroupVersion.Group == "" && x.Name == resource {
			r = x
		}
	}
	if r == nil {
		t.Fatalf("no core resource %q in registry.Resources()", resource)
	}
	getter := &storage.RESTOptions{
		Config:     storage.Config{Endpoints: h.backend.Endpoints(), WatchCache: h.watchCache},
		Serializer: scheme.Codecs(h.scheme),
		StorageVersion: func(gr schema.GroupResource) (schema.GroupVersion, error) {
			for _, gv := range scheme.Hub() {
				if gv.Group == gr.Group {
					return gv, nil
				}
			}
			return schema.GroupVersion{}, fmt.Errorf("no storage version for %s", gr)
		},
	}
	paths, main, err := registry.Build(r, getter, h.scheme)
	if err != nil {
		t.Fatalf("registry.Build(%s): %v", resource, err)
	}
	var once sync.Once
	b := &built{destroy: func() { once.Do(main.Destroy) }}
	t.Cleanup(b.destroy)
	st, ok := paths[resource].(restStore)
	if !ok {
		t.Fatalf("storage of %s is %T, not a full REST storage", resource, paths[resource])
	}
	b.restStore = st
	deadline := time.Now().Add(pollTimeout)
	for {
		err := main.ReadinessCheck()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("storage of %s not ready after %v: %v", resource, pollTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return b
}

// ctx is a request context in namespace ns.
func ctxIn(ns string) context.Context {
	return genericapirequest.WithNamespace(context.Background(), ns)
}

// etcdKeys maps the resources the suite uses to the key directory
// storage.RESTOptions promises, kube-apiserver's layout.
var etcdKeys = map[string]string{
	"configmaps": "/registry/configmaps",
	"services":   "/registry/services/specs",
}

// key is the etcd key of a namespaced object of resource.
func key(resource, ns, name string) string {
	return path.Join(etcdKeys[resource], ns, name)
}

// modRevision reads key straight from etcd: its mod revision and how many
// times it was written since it was created (0 when absent).
func (h *harness) modRevision(t testing.TB, key string) (modRev, version int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
	defer cancel()
	resp, err := h.etcd.Get(ctx, key)
	if err != nil {
		t.Fatalf("etcd get %s: %v", key, err)
	}
	if len(resp.Kvs) == 0 {
		return 0, 0
	}
	return resp.Kvs[0].ModRevision, resp.Kvs[0].Version
}

// value reads key's bytes straight from etcd (nil when absent).
func (h *harness) value(t testing.TB, key string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
	defer cancel()
	resp, err := h.etcd.Get(ctx, key)
	if err != nil {
		t.Fatalf("etcd get %s: %v", key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil
	}
	return resp.Kvs[0].Value
}

// compact compacts etcd's history up to rev, physically.
func (h *harness) compact(t testing.TB, rev int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
	defer cancel()
	if _, err := h.etcd.Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil {
		t.Fatalf("etcd compact %d: %v", rev, err)
	}
}

// restart restarts the backend and reconnects the harness's etcd client.
func (h *harness) restart(t testing.TB) {
	t.Helper()
	h.etcd.Close()
	h.backend.Restart(t)
	h.etcd = newEtcdClient(t, h.backend.Endpoints())
}

// rv returns obj's resourceVersion as etcd's revision.
func rv(t testing.TB, obj runtime.Object) int64 {
	t.Helper()
	m, err := meta.Accessor(obj)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(m.GetResourceVersion(), 10, 64)
	if err != nil {
		t.Fatalf("resourceVersion %q of %s is not a revision: %v", m.GetResourceVersion(), m.GetName(), err)
	}
	return n
}
