package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// etcdModule is the module whose main package is the etcd server. Its
// go.mod has replace directives, so `go install go.etcd.io/etcd/server/v3@v…`
// is refused; it is built instead from inside portal's module, at the version
// portal's go.mod requires.
const etcdModule = "go.etcd.io/etcd/server/v3"

var etcdBin struct {
	once sync.Once
	path string
	err  error
}

// EtcdBinary returns the path of an etcd server binary, looked for in this
// order: $ETCD_BIN (which must then exist), etcd on PATH,
// $(go env GOPATH)/bin/etcd, and the build cache of this package, where it
// is built on first use. It skips the test when none can be had, unless
// $PORTAL_REQUIRE_ETCD is set (as CI sets it), when it fails the test.
func EtcdBinary(t testing.TB) string {
	t.Helper()
	etcdBin.once.Do(func() { etcdBin.path, etcdBin.err = findEtcd() })
	if etcdBin.err != nil {
		if errors.Is(etcdBin.err, errNoEtcd) && os.Getenv("PORTAL_REQUIRE_ETCD") == "" {
			t.Skipf("external etcd: %v", etcdBin.err)
		}
		t.Fatalf("external etcd: %v", etcdBin.err)
	}
	return etcdBin.path
}

// errNoEtcd means no binary exists and none could be built: a reason to
// skip, unlike a broken $ETCD_BIN, which is a mistake to report.
var errNoEtcd = errors.New("no etcd binary")

func findEtcd() (string, error) {
	if p := os.Getenv("ETCD_BIN"); p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("$ETCD_BIN=%q is not an executable file", p)
		}
		return p, nil
	}
	if p, err := exec.LookPath("etcd"); err == nil {
		return p, nil
	}
	if gopath, err := goEnv("GOPATH"); err == nil && gopath != "" {
		// GOPATH may list several directories; go install uses the first.
		p := filepath.Join(filepath.SplitList(gopath)[0], "bin", "etcd")
		if isExecutable(p) {
			return p, nil
		}
	}
	return buildEtcd()
}

// buildEtcd builds the etcd server from portal's module graph into
// <user cache dir>/portal/bin/etcd-<version>, once per version.
func buildEtcd() (string, error) {
	gomod, err := goEnv("GOMOD")
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("%w: not inside portal's module, cannot build %s", errNoEtcd, etcdModule)
	}
	moduleDir := filepath.Dir(gomod)
	version := etcdVersion(moduleDir)
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("%w: no cache directory to build one in: %v", errNoEtcd, err)
	}
	dir := filepath.Join(cache, "portal", "bin")
	out := filepath.Join(dir, "etcd-"+version)
	if isExecutable(out) {
		return out, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("%w: %v", errNoEtcd, err)
	}
	// Build to a private name and rename: test binaries of several packages
	// may build at once, and none may run a half-written file.
	tmp, err := os.CreateTemp(dir, ".etcd-build-*")
	if err != nil {
		return "", fmt.Errorf("%w: %v", errNoEtcd, err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp.Name(), etcdModule)
	cmd.Dir = moduleDir
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w: go build %s: %v\n%s", errNoEtcd, etcdModule, err, msg)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", fmt.Errorf("%w: %v", errNoEtcd, err)
	}
	return out, nil
}

// etcdVersion is the etcd server version portal's go.mod requires, run in
// moduleDir ("unknown" if the go command cannot tell).
func etcdVersion(moduleDir string) string {
	cmd := exec.Command("go", "list", "-m", "-f", "{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}", etcdModule)
	cmd.Dir = moduleDir
	out, err := cmd.Output()
	if v := string(bytes.TrimSpace(out)); err == nil && v != "" {
		return v
	}
	return "unknown"
}

func goEnv(name string) (string, error) {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return "", err
	}
	return string(bytes.TrimSpace(out)), nil
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// etcdBinaryVersion returns the first line of `etcd --version`, for logs.
func etcdBinaryVersion(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "unknown version: " + err.Error()
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return line
}
