package e2e

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/portal-dev/portal/test/e2e/framework"
)

// TestLegacyManifests applies manifests in API versions that current
// Kubernetes has removed, as tutorials wrote them, and reads them back in
// the current version.
func TestLegacyManifests(t *testing.T) {
	c := framework.Start(t, framework.Options{})
	c.MustKubectl("create", "namespace", "dev")
	cases := []struct {
		file string
		// get reads the object back with the resource name kubectl
		// resolves, which must be the current version.
		get  []string
		want []string
	}{
		{"../examples/ingress-legacy-extensions-v1beta1.yaml", []string{"-n", "dev", "get", "ingress", "ingress-http", "-o", "yaml"},
			[]string{`apiVersion: networking.k8s.io/v1`, `name: nginx-service\s+port:\s+number: 80`, `host: tomcat.web.com`, `pathType: ImplementationSpecific`}},
		{"ingress-networking-v1beta1.yaml", []string{"get", "ingress", "test-ingress", "-o", "yaml"},
			[]string{`apiVersion: networking.k8s.io/v1`, `defaultBackend:\s+service:\s+name: default-http-backend\s+port:\s+number: 80`, `name: test\s+port:\s+name: http`}},
		{"deployment-extensions-v1beta1.yaml", []string{"get", "deployment", "nginx-ext", "-o", "yaml"},
			[]string{`apiVersion: apps/v1`, `selector:\s+matchLabels:\s+app: nginx-ext`, `replicas: 2`}},
		{"deployment-apps-v1beta1.yaml", []string{"get", "deployment", "nginx-b1", "-o", "yaml"},
			[]string{`apiVersion: apps/v1`, `selector:\s+matchLabels:\s+app: nginx-b1`, `replicas: 3`}},
		{"deployment-apps-v1beta2.yaml", []string{"get", "deployment", "nginx-b2", "-o", "yaml"},
			[]string{`apiVersion: apps/v1`, `app: nginx-b2`}},
		{"endpointslice-discovery-v1beta1.yaml", []string{"get", "endpointslice", "example-abc", "-o", "yaml"},
			// As in kube: hostname topology moves to nodeName only when it
			// repeats a nodeName; this manifest has none, so it stays in
			// deprecatedTopology, and the zone gets its own field.
			[]string{`apiVersion: discovery.k8s.io/v1`, `deprecatedTopology:\s+kubernetes.io/hostname: node-1`, `zone: us-west2-a`, `hostname: pod-1`}},
		{"cronjob-batch-v1beta1.yaml", []string{"get", "cronjob", "hello-b1", "-o", "yaml"},
			[]string{`apiVersion: batch/v1`, `schedule: '\*/1 \* \* \* \*'`, `concurrencyPolicy: Allow`}},
		{"cronjob-batch-v2alpha1.yaml", []string{"get", "cronjob", "hello-v2a1", "-o", "yaml"},
			[]string{`apiVersion: batch/v1`, `name: hello-v2a1`}},
	}
	for _, tc := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(tc.file), ".yaml"), func(t *testing.T) {
			path := filepath.Join("testdata", "legacy", tc.file)
			out := c.MustKubectl("apply", "-f", path)
			if !strings.Contains(out, "created") {
				t.Fatalf("apply: %s", out)
			}
			got := c.MustKubectl(tc.get...)
			for _, w := range tc.want {
				if !regexp.MustCompile(`(?s)` + w).MatchString(got) {
					t.Fatalf("%s does not match %q:\n%s", strings.Join(tc.get, " "), w, got)
				}
			}
		})
	}
	// The legacy version still reads its own shape back.
	out := c.MustKubectl("get", "ingresses.v1beta1.extensions", "-n", "dev", "ingress-http", "-o", "jsonpath={.spec.rules[0].http.paths[0].backend.serviceName}:{.spec.rules[0].http.paths[0].backend.servicePort}")
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(l, "Warning:") {
			lines = append(lines, l)
		}
	}
	if strings.Join(lines, "\n") != "nginx-service:80" {
		t.Fatalf("extensions/v1beta1 read back %q", out)
	}
}

// TestMalformedManifestAppliesNothing: a YAML error is refused with a clear
// message and nothing is created.
func TestMalformedManifestAppliesNothing(t *testing.T) {
	c := framework.Start(t, framework.Options{})
	out, err := c.Kubectl("apply", "-f", filepath.Join("testdata", "legacy", "malformed-ingress.yaml"))
	if err == nil {
		t.Fatalf("malformed manifest applied: %s", out)
	}
	if !strings.Contains(out, "error") || !strings.Contains(out, "yaml") && !strings.Contains(out, "json") {
		t.Fatalf("unclear error: %s", out)
	}
	if got, _ := c.Kubectl("get", "ingress", "broken-ingress"); !strings.Contains(got, "not found") {
		t.Fatalf("something was created: %s", got)
	}
	t.Logf("kubectl said: %s", strings.TrimSpace(out))
}
