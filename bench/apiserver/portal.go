package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// startPortal runs `portal up` against the external etcd and waits for
// "portal is up". It returns the admin kubeconfig the server wrote.
func startPortal(ctx context.Context, bin, tmp, etcdURL string) (*process, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	dataDir := filepath.Join(tmp, "portal")
	p, err := start("portal", bin, filepath.Join(tmp, "portal.log"), "portal is up",
		"up",
		"--data-dir", dataDir,
		"--secure-port", strconv.Itoa(port),
		"--etcd-servers", etcdURL,
		"--log-level", "warn",
	)
	if err != nil {
		return nil, "", err
	}
	logf("portal starting on 127.0.0.1:%d", port)
	select {
	case <-p.ready():
		return p, filepath.Join(dataDir, "kubeconfig"), nil
	case <-p.done:
		return nil, "", p.exitErr()
	case <-ctx.Done():
		p.stop()
		return nil, "", ctx.Err()
	case <-time.After(120 * time.Second):
		p.stop()
		return nil, "", fmt.Errorf("portal not up after 120s; see %s", p.logPath)
	}
}

// portalBackend talks to portal's API server with client-go.
type portalBackend struct {
	cfg *rest.Config
	cs  kubernetes.Interface
}

func newPortalBackend(kubeconfig string) (*portalBackend, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	// Protobuf, as client-go uses for core types, and no client-side rate
	// limit worth the name: the server should be the bottleneck.
	cfg.ContentType = runtime.ContentTypeProtobuf
	cfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	cfg.QPS = 1e6
	cfg.Burst = 1e6
	cfg.UserAgent = "portal-bench"
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &portalBackend{cfg: cfg, cs: cs}, nil
}

func (p *portalBackend) name() string { return "portal" }

// ensureNamespaces creates the namespaces the phases use.
func (p *portalBackend) ensureNamespaces(ctx context.Context, names ...string) error {
	for _, n := range names {
		_, err := p.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create namespace %s: %w", n, err)
		}
	}
	return nil
}

func configMap(space string, i int) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: objName(i), Namespace: space},
		Data:       map[string]string{"payload": payload},
	}
}

func (p *portalBackend) create(ctx context.Context, space string, i int) error {
	_, err := p.cs.CoreV1().ConfigMaps(space).Create(ctx, configMap(space, i), metav1.CreateOptions{})
	return err
}

func (p *portalBackend) get(ctx context.Context, space string, i int) error {
	_, err := p.cs.CoreV1().ConfigMaps(space).Get(ctx, objName(i), metav1.GetOptions{})
	return err
}

func (p *portalBackend) list(ctx context.Context, space string, consistent bool) (int, error) {
	rv := "0"
	if consistent {
		rv = ""
	}
	l, err := p.cs.CoreV1().ConfigMaps(space).List(ctx, metav1.ListOptions{ResourceVersion: rv})
	if err != nil {
		return 0, err
	}
	return len(l.Items), nil
}

// storageKey is where portal keeps a ConfigMap in etcd.
func storageKey(space string, i int) string {
	return "/registry/configmaps/" + space + "/" + objName(i)
}

func (p *portalBackend) watch(ctx context.Context, space string, n int, on func(w, i int, at time.Time), fail func(error)) (func(), error) {
	l, err := p.cs.CoreV1().ConfigMaps(space).List(ctx, metav1.ListOptions{Limit: 1})
	if err != nil {
		return nil, err
	}
	from := l.ResourceVersion
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var clients []*http.Client
	stop := func() {
		cancel()
		wg.Wait()
		for _, c := range clients {
			c.CloseIdleConnections()
		}
	}
	for w := 0; w < n; w++ {
		// A Proxy func keeps client-go from sharing one cached transport,
		// so every watcher has its own TCP+TLS connection, like a node.
		cfg := rest.CopyConfig(p.cfg)
		cfg.Proxy = func(*http.Request) (*url.URL, error) { return nil, nil }
		hc, err := rest.HTTPClientFor(cfg)
		if err != nil {
			stop()
			return nil, err
		}
		clients = append(clients, hc)
		cs, err := kubernetes.NewForConfigAndClient(cfg, hc)
		if err != nil {
			stop()
			return nil, err
		}
		wi, err := cs.CoreV1().ConfigMaps(space).Watch(ctx, metav1.ListOptions{ResourceVersion: from})
		if err != nil {
			stop()
			return nil, fmt.Errorf("portal watcher %d: %w", w, err)
		}
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			defer wi.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case ev, ok := <-wi.ResultChan():
					if !ok {
						if ctx.Err() == nil {
							fail(fmt.Errorf("watcher %d: watch closed by the server", w))
						}
						return
					}
					at := time.Now()
					switch ev.Type {
					case watch.Added:
						if cm, ok := ev.Object.(*corev1.ConfigMap); ok {
							if i, ok := objIndex(cm.Name); ok {
								on(w, i, at)
							}
						}
					case watch.Error:
						fail(apierrors.FromObject(ev.Object))
					}
				}
			}
		}(w)
	}
	return stop, nil
}

// listSources reads portal's /metrics and returns, per storage
// ("watchcache" or "etcd"), how many ConfigMap lists it has served, so the
// report can say where the list phases were answered from.
func (p *portalBackend) listSources(ctx context.Context) map[string]float64 {
	body, err := p.cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "apiserver_storage_list_total{") || !strings.Contains(line, `resource="configmaps"`) {
			continue
		}
		labels, value, ok := strings.Cut(line, "} ")
		if !ok {
			continue
		}
		_, storage, ok := strings.Cut(labels, `storage="`)
		if !ok {
			continue
		}
		storage, _, _ = strings.Cut(storage, `"`)
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err == nil {
			out[storage] += v
		}
	}
	return out
}

// servedFrom describes the lists served between two listSources snapshots.
func servedFrom(before, after map[string]float64) string {
	if after == nil {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if d := after[k] - before[k]; d > 0 {
			parts = append(parts, fmt.Sprintf("%.0f from %s", d, k))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "server metrics: lists served " + strings.Join(parts, ", ")
}
