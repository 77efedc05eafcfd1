package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portal-dev/portal/test/e2e/framework"
)

// TestKubectlGetWatch runs `kubectl get -w` on a list and on one named
// object, and checks each prints the changes made after it started.
func TestKubectlGetWatch(t *testing.T) {
	c := framework.Start(t, framework.Options{})
	c.MustKubectl("create", "configmap", "watched", "--from-literal=v=1")
	cases := []struct {
		name string
		args []string
		// change is made once the watch has printed its first line.
		change [][]string
		want   []string
	}{
		{"list", []string{"get", "configmaps", "-w"},
			[][]string{{"create", "configmap", "new-one", "--from-literal=v=1"}},
			[]string{"watched", "new-one"}},
		{"named object", []string{"get", "configmap", "watched", "-w", "-o", "custom-columns=NAME:.metadata.name,V:.data.v"},
			[][]string{{"patch", "configmap", "watched", "-p", `{"data":{"v":"2"}}`}},
			[]string{"watched   1", "watched   2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cmd := exec.CommandContext(ctx, framework.Kubectl(t), tc.args...)
			cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig)
			out := &lockedBuffer{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { cancel(); _ = cmd.Wait() }()
			framework.Eventually(t, 30*time.Second, func() (bool, string) {
				return strings.Contains(out.String(), tc.want[0]), out.String()
			})
			for _, ch := range tc.change {
				c.MustKubectl(ch...)
			}
			framework.Eventually(t, 30*time.Second, func() (bool, string) {
				for _, w := range tc.want {
					if !strings.Contains(out.String(), w) {
						return false, out.String()
					}
				}
				return true, ""
			})
		})
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
