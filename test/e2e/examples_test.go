package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/portal-dev/portal/test/e2e/framework"
)

// exampleCase is one tutorial manifest from testdata/examples (a copy of
// shared/examples) and what `kubectl get` must print for it afterwards.
type exampleCase struct {
	file string
	// get is the resource list to show after applying ("svc/nginx").
	get []string
	// want are regexps over that `kubectl get` output, header included.
	want []string
}

func exampleCases() []exampleCase {
	const svcHeader = `NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE`
	// A ClusterIP from portal's default service CIDR, 127.96.0.0/12.
	const ip = `127\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+`
	const ingHeader = `NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE`
	return []exampleCase{
		{"service-clusterip.yaml", []string{"svc/nginx"}, []string{svcHeader, `nginx\s+ClusterIP\s+` + ip + `\s+<none>\s+80/TCP\s+`}},
		{"service-nodeport.yaml", []string{"svc/demo-service"}, []string{svcHeader, `demo-service\s+NodePort\s+` + ip + `\s+<none>\s+80:30000/TCP\s+`}},
		{"service-nodeport-fixed.yaml", []string{"svc/kube-node-service"}, []string{svcHeader, `kube-node-service\s+NodePort\s+` + ip + `\s+<none>\s+80:32143/TCP\s+`}},
		{"service-multiport.yaml", []string{"svc/svc-deploy-nginx"}, []string{svcHeader, `svc-deploy-nginx\s+ClusterIP\s+` + ip + `\s+<none>\s+8080/TCP,443/TCP\s+`}},
		{"service-externalname.yaml", []string{"svc/svc-external-name"}, []string{svcHeader, `svc-external-name\s+ExternalName\s+<none>\s+www.baidu.com\s+`}},
		{"service-externalname-cname.yaml", []string{"svc/my-service"}, []string{svcHeader, `my-service\s+ExternalName\s+<none>\s+\S+\s+`}},
		{"service-selectorless-endpoints.yaml", []string{"svc/my-service", "ep/my-service"}, []string{svcHeader, `my-service\s+ClusterIP\s+` + ip + `\s+<none>\s+80/TCP\s+`, `NAME\s+ENDPOINTS\s+AGE`, `my-service\s+1\.2\.3\.4:9376\s+`}},
		{"service-and-deployment.yaml", []string{"svc/myapp", "deploy/myapp-deploy"}, []string{svcHeader, `myapp\s+ClusterIP\s+` + ip + `\s+<none>\s+80/TCP\s+`, `NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE`, `myapp-deploy\s+\d+/3\s+`}},
		{"ingress-default-backend.yaml", []string{"ingress/basic-ingress"}, []string{ingHeader, `basic-ingress\s+\S+\s+\*\s+`}},
		{"ingress-multi-host.yaml", []string{"ingress/multi-host-ingress"}, []string{ingHeader, `multi-host-ingress\s+\S+\s+\S*example\S*\s+`}},
		{"ingress-legacy-extensions-v1beta1.yaml", []string{"ingress/ingress-http"}, []string{ingHeader, `ingress-http\s+\S+\s+nginx.web.com,tomcat.web.com\s+`}},
		{"ingress-tls.yaml", []string{"ingress/demo-ingress-secure"}, []string{ingHeader, `demo-ingress-secure\s+\S+\s+https-example.com\s+.*80, 443\s+`}},
	}
}

// TestTutorialExamples applies each tutorial manifest that current
// Kubernetes accepts, in a namespace of its own, twice, and checks what
// `kubectl get` prints.
func TestTutorialExamples(t *testing.T) {
	c := framework.Start(t, framework.Options{})
	dir := filepath.Join("testdata", "examples")
	for i, tc := range exampleCases() {
		t.Run(strings.TrimSuffix(tc.file, ".yaml"), func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// A manifest that names its namespace is applied as written,
			// and removed afterwards; the others go to a namespace of
			// their own.
			ns := fmt.Sprintf("ex-%d", i)
			if m := regexp.MustCompile(`(?m)^\s+namespace:\s*(\S+)`).FindSubmatch(data); m != nil {
				ns = string(m[1])
				_, _ = c.Kubectl("create", "namespace", ns) // "dev" is the tutorial's own
				defer c.Kubectl("delete", "-f", path)
			} else {
				c.MustKubectl("create", "namespace", ns)
			}
			out := c.MustKubectl("apply", "-n", ns, "-f", path)
			if strings.Contains(out, "unchanged") {
				t.Fatalf("first apply says unchanged:\n%s", out)
			}
			out = c.MustKubectl("apply", "-n", ns, "-f", path)
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if strings.HasPrefix(line, "Warning:") {
					continue
				}
				// Endpoints.subsets is an atomic list and the server
				// defaults protocol: TCP inside it, so kubectl's
				// three-way diff is never empty: kube-apiserver answers
				// "configured" here too.
				// The legacy Ingress's paths list is atomic too, with
				// pathType defaulted to ImplementationSpecific inside it.
				if line == "endpoints/my-service configured" || line == "ingress.extensions/ingress-http configured" {
					continue
				}
				if !strings.HasSuffix(line, " unchanged") {
					t.Fatalf("second apply changed something: %q\n%s", line, out)
				}
			}
			for j, res := range tc.get {
				got := c.MustKubectl("get", "-n", ns, res)
				for _, w := range tc.want[j*2 : j*2+2] {
					if !regexp.MustCompile(`(?m)` + w).MatchString(got) {
						t.Fatalf("kubectl get %s does not match %q:\n%s", res, w, got)
					}
				}
			}
		})
	}
}
