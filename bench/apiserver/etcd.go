package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// etcdModule is built when no etcd binary is found. It is the module the
// portal server embeds, at the version go.mod requires, so both sides run
// the same etcd. (`go install go.etcd.io/etcd/server/v3@v3.7.0` does not
// work: that go.mod has replace directives.)
const etcdModule = "go.etcd.io/etcd/server/v3"

// findEtcd returns the etcd binary to run: flag, PATH, GOPATH/bin, the user
// cache, or a fresh build into the user cache.
func findEtcd(ctx context.Context, root, flagPath string) (string, error) {
	if flagPath != "" {
		return flagPath, nil
	}
	if p, err := exec.LookPath("etcd"); err == nil {
		return p, nil
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "etcd")
			if isExec(p) {
				return p, nil
			}
		}
	}
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Version}}", etcdModule)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("no etcd binary, and `go list -m %s` failed: %w", etcdModule, err)
	}
	version := strings.TrimSpace(string(out))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	p := filepath.Join(cache, "portal-bench", "etcd-"+version, "etcd")
	if isExec(p) {
		return p, nil
	}
	logf("building etcd %s into %s", version, filepath.Dir(p))
	if err := goCmd(ctx, root, nil, "build", "-o", p, etcdModule); err != nil {
		return "", fmt.Errorf("build etcd: %w", err)
	}
	return p, nil
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// startEtcd runs a single-member etcd on loopback, its data under tmp, and
// waits until it is healthy.
func startEtcd(ctx context.Context, bin, tmp string) (*process, string, error) {
	cport, err := freePort()
	if err != nil {
		return nil, "", err
	}
	pport, err := freePort()
	if err != nil {
		return nil, "", err
	}
	clientURL := fmt.Sprintf("http://127.0.0.1:%d", cport)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", pport)
	p, err := start("etcd", bin, filepath.Join(tmp, "etcd.log"), "",
		"--name", "bench",
		"--data-dir", filepath.Join(tmp, "etcd"),
		"--listen-client-urls", clientURL,
		"--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL,
		"--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "bench="+peerURL,
		"--log-level", "warn",
	)
	if err != nil {
		return nil, "", err
	}
	logf("etcd starting on %s", clientURL)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if healthy(clientURL) {
			return p, clientURL, nil
		}
		select {
		case <-p.done:
			return nil, "", p.exitErr()
		case <-ctx.Done():
			p.stop()
			return nil, "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, "", fmt.Errorf("etcd not healthy after 60s; see %s", p.logPath)
		}
	}
}

func healthy(url string) bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(url + "/health")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"true"`)
}

// etcdBackend talks to etcd directly with clientv3, under its own prefix.
type etcdBackend struct {
	endpoint string
	cli      *clientv3.Client
	value    []byte // what a create puts: the bytes portal stores for a ConfigMap
}

// etcdPrefix keeps the raw keys apart from portal's /registry.
const etcdPrefix = "/rawbench/"

func newEtcdClient(endpoint string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   []string{endpoint},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
}

func newEtcdBackend(endpoint string) (*etcdBackend, error) {
	cli, err := newEtcdClient(endpoint)
	if err != nil {
		return nil, err
	}
	return &etcdBackend{endpoint: endpoint, cli: cli}, nil
}

func (e *etcdBackend) close() { e.cli.Close() }

func (e *etcdBackend) name() string { return "etcd" }

func spacePrefix(space string) string { return etcdPrefix + space + "/" }

func (e *etcdBackend) create(ctx context.Context, space string, i int) error {
	_, err := e.cli.Put(ctx, spacePrefix(space)+objName(i), string(e.value))
	return err
}

func (e *etcdBackend) get(ctx context.Context, space string, i int) error {
	resp, err := e.cli.Get(ctx, spacePrefix(space)+objName(i))
	if err == nil && len(resp.Kvs) != 1 {
		err = fmt.Errorf("get %s: %d keys", objName(i), len(resp.Kvs))
	}
	return err
}

// list is a linearizable range read of the prefix, whatever consistent says:
// that is what portal's consistent list costs etcd.
func (e *etcdBackend) list(ctx context.Context, space string, _ bool) (int, error) {
	resp, err := e.cli.Get(ctx, spacePrefix(space), clientv3.WithPrefix())
	if err != nil {
		return 0, err
	}
	return len(resp.Kvs), nil
}

// storedValue reads the bytes portal stored for a key under /registry.
func (e *etcdBackend) storedValue(ctx context.Context, key string) ([]byte, error) {
	resp, err := e.cli.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("etcd has no key %s", key)
	}
	return resp.Kvs[0].Value, nil
}

func (e *etcdBackend) watch(ctx context.Context, space string, n int, on func(w, i int, at time.Time), fail func(error)) (func(), error) {
	resp, err := e.cli.Get(ctx, spacePrefix(space), clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return nil, err
	}
	from := resp.Header.Revision + 1
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var clients []*clientv3.Client
	stop := func() {
		cancel()
		wg.Wait()
		for _, c := range clients {
			c.Close()
		}
	}
	for w := 0; w < n; w++ {
		cli, err := newEtcdClient(e.endpoint)
		if err != nil {
			stop()
			return nil, err
		}
		clients = append(clients, cli)
		ch := cli.Watch(ctx, spacePrefix(space), clientv3.WithPrefix(), clientv3.WithRev(from), clientv3.WithCreatedNotify())
		first, ok := <-ch
		if !ok || !first.Created {
			stop()
			return nil, fmt.Errorf("etcd watcher %d not created: %v", w, first.Err())
		}
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for resp := range ch {
				if err := resp.Err(); err != nil {
					fail(err)
					continue
				}
				at := time.Now()
				for _, ev := range resp.Events {
					if !ev.IsCreate() {
						continue
					}
					if i, ok := objIndex(string(ev.Kv.Key)); ok {
						on(w, i, at)
					}
				}
			}
		}(w)
	}
	return stop, nil
}
