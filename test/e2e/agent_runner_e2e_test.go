// These tests drive the real pod runner (internal/agent/runner, built by
// newRunner in internal/cli/runner.go) through `portal up` and kubectl.

package e2e

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portal-dev/portal/test/e2e/framework"
)

const demoPod = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  terminationGracePeriodSeconds: 10
  containers:
  - name: web
    image: portal-demo
    env:
    - name: PORT
      value: "8080"
    - name: NODE_NAME
      valueFrom:
        fieldRef: {fieldPath: spec.nodeName}
    readinessProbe:
      httpGet: {path: /readyz, port: 8080}
      periodSeconds: 1
      failureThreshold: 1
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
      periodSeconds: 1
      failureThreshold: 1
`

func TestRunnerDemoPod(t *testing.T) {
	c := framework.Start(t, framework.Options{Images: true})
	manifest := filepath.Join(t.TempDir(), "web.yaml")
	if err := os.WriteFile(manifest, []byte(demoPod), 0o644); err != nil {
		t.Fatal(err)
	}
	c.MustKubectl("apply", "-f", manifest)
	c.MustKubectl("wait", "--for=condition=Ready", "pod/web", "--timeout=60s")
	get := func(args ...string) string {
		out, _ := c.Kubectl(append([]string{"get"}, args...)...)
		return strings.TrimSpace(out)
	}
	podIP := get("pod", "web", "-o", "jsonpath={.status.podIP}")
	node := get("pod", "web", "-o", "jsonpath={.spec.nodeName}")
	base := "http://" + podIP + ":8080"
	httpDo := func(method, path string) string {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}

	// The process binds $POD_IP and sees the downward API.
	if got := strings.TrimSpace(httpDo("GET", "/host")); got != "NODE: "+node+", POD IP: "+podIP {
		t.Fatalf("/host = %q", got)
	}

	// kubectl logs, --tail, -f.
	logs := c.MustKubectl("logs", "web")
	if !strings.Contains(logs, "portal-demo listening on "+podIP+":8080") || !strings.Contains(logs, "GET /host 200") {
		t.Fatalf("kubectl logs:\n%s", logs)
	}
	if out := strings.TrimSpace(c.MustKubectl("logs", "web", "--tail=1")); strings.Count(out, "\n") != 0 || out == "" {
		t.Errorf("--tail=1 gave %q", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	follow := exec.CommandContext(ctx, framework.Kubectl(t), "logs", "-f", "web", "--tail=0")
	follow.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig)
	stdout, _ := follow.StdoutPipe()
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = follow.Wait() }()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	time.Sleep(time.Second)
	httpDo("GET", "/follow-marker")
	for found := false; !found; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("kubectl logs -f ended")
			}
			found = strings.Contains(l, "GET /follow-marker 404")
		case <-ctx.Done():
			t.Fatal("kubectl logs -f did not stream the request")
		}
	}

	// Readiness follows the probe.
	httpDo("POST", "/fail/ready")
	c.MustKubectl("wait", "--for=condition=Ready=false", "pod/web", "--timeout=30s")
	httpDo("POST", "/ok/ready")
	c.MustKubectl("wait", "--for=condition=Ready", "pod/web", "--timeout=30s")

	// A failing liveness probe restarts the container; -p shows the
	// previous run.
	httpDo("POST", "/fail/live")
	framework.Eventually(t, 60*time.Second, func() (bool, string) {
		out := get("pod", "web", "-o", "jsonpath={.status.containerStatuses[0].restartCount}")
		return out != "" && out != "0", out
	})
	if out := c.MustKubectl("logs", "web", "-p"); !strings.Contains(out, "POST /fail/live 200") {
		t.Errorf("kubectl logs -p:\n%s", out)
	}

	// Graceful deletion: SIGTERM, the agent finishes the deletion.
	start := time.Now()
	c.MustKubectl("delete", "pod", "web")
	if d := time.Since(start); d > 9*time.Second {
		t.Errorf("deletion took %s: the process did not stop on SIGTERM", d)
	}
}
