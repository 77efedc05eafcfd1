package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/portal-dev/portal/test/e2e/framework"
)

const webDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: demo
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web}
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
`

// TestKubectlVerbs drives the kubectl verbs the acceptance list names, with
// kubectl's default flags (strict validation, protobuf bodies for create).
func TestKubectlVerbs(t *testing.T) {
	c := framework.Start(t, framework.Options{})
	manifest := filepath.Join(t.TempDir(), "web.yaml")
	if err := os.WriteFile(manifest, []byte(webDeployment), 0o644); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name string
		args []string
		env  []string
		want []string // regexps the output must match
	}{
		{"apply creates", []string{"apply", "-f", manifest}, nil, []string{`deployment.apps/web created`, `service/web created`}},
		{"apply again is unchanged", []string{"apply", "-f", manifest}, nil, []string{`deployment.apps/web unchanged`, `service/web unchanged`}},
		{"create namespace", []string{"create", "namespace", "team-a"}, nil, []string{`namespace/team-a created`}},
		{"create secret", []string{"-n", "team-a", "create", "secret", "generic", "creds", "--from-literal=user=admin"}, nil, []string{`secret/creds created`}},
		{"create configmap", []string{"-n", "team-a", "create", "configmap", "settings", "--from-literal=mode=fast"}, nil, []string{`configmap/settings created`}},
		{"get plain", []string{"get", "svc", "web"}, nil, []string{`NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE`, `web\s+ClusterIP\s+`}},
		{"get wide", []string{"get", "svc", "web", "-o", "wide"}, nil, []string{`SELECTOR`, `app=web`}},
		{"get yaml", []string{"get", "deploy", "web", "-o", "yaml"}, nil, []string{`apiVersion: apps/v1`, `kind: Deployment`, `resourceVersion: "\d+"`}},
		{"get all namespaces", []string{"get", "configmaps", "-A"}, nil, []string{`NAMESPACE\s+NAME\s+DATA\s+AGE`, `team-a\s+settings\s+1\s+`}},
		{"get show labels", []string{"get", "deploy", "--show-labels"}, nil, []string{`LABELS`, `app=web`}},
		{"get label selector", []string{"get", "svc", "-l", "app=web"}, nil, []string{`web\s+ClusterIP`}},
		{"label", []string{"label", "svc", "web", "tier=front"}, nil, []string{`service/web labeled`}},
		{"annotate", []string{"annotate", "svc", "web", "owner=team-a"}, nil, []string{`service/web annotated`}},
		{"patch merge", []string{"patch", "svc", "web", "--type=merge", "-p", `{"metadata":{"labels":{"patched":"merge"}}}`}, nil, []string{`service/web patched`}},
		{"patch strategic", []string{"patch", "deploy", "web", "-p", `{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"MODE","value":"sm"}]}]}}}}`}, nil, []string{`deployment.apps/web patched`}},
		{"patch json", []string{"patch", "svc", "web", "--type=json", "-p", `[{"op":"add","path":"/metadata/labels/patched-json","value":"yes"}]`}, nil, []string{`service/web patched`}},
		{"labels landed", []string{"get", "svc", "web", "--show-labels"}, nil, []string{`patched=merge`, `patched-json=yes`, `tier=front`}},
		{"strategic merge kept the container", []string{"get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].name}/{.spec.template.spec.containers[0].env[0].value}"}, nil, []string{`^web/sm$`}},
		{"edit", []string{"edit", "svc", "web"}, []string{"EDITOR=sed -i s/owner:\\ team-a/owner:\\ team-b/"}, []string{`service/web edited`}},
		{"edit landed", []string{"get", "svc", "web", "-o", "jsonpath={.metadata.annotations.owner}"}, nil, []string{`^team-b$`}},
		{"scale", []string{"scale", "deployment", "web", "--replicas", "4"}, nil, []string{`deployment.apps/web scaled`}},
		{"scale landed", []string{"get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"}, nil, []string{`^4$`}},
		{"describe", []string{"describe", "svc", "web"}, nil, []string{`Name:\s+web`, `Selector:\s+app=web`, `Port:\s+<unset>\s+80/TCP`}},
		{"explain reads OpenAPI v3", []string{"explain", "service.spec.ports"}, nil, []string{`KIND:\s+Service`, `targetPort`}},
		{"more configmaps", []string{"-n", "team-a", "create", "configmap", "second", "--from-literal=a=b"}, nil, []string{`configmap/second created`}},
		{"third configmap", []string{"-n", "team-a", "create", "configmap", "third", "--from-literal=a=b"}, nil, []string{`configmap/third created`}},
		{"chunked list uses limit and continue", []string{"-n", "team-a", "get", "configmaps", "--chunk-size=1", "-o", "name"}, nil, []string{`configmap/second`, `configmap/settings`, `configmap/third`}},
		{"field selector on name", []string{"-n", "team-a", "get", "configmaps", "--field-selector", "metadata.name=third", "-o", "name"}, nil, []string{`^configmap/third\s*$`}},
		{"field selector on secret type", []string{"-n", "team-a", "get", "secrets", "--field-selector", "type=Opaque", "-o", "name"}, nil, []string{`^secret/creds\s*$`}},
		{"unsupported field selector", []string{"-n", "team-a", "get", "configmaps", "--field-selector", "data.x=1"}, nil, []string{`"data.x" is not a known field selector`}},
		{"delete", []string{"delete", "svc", "web"}, nil, []string{`service "web" deleted`}},
		{"deleted", []string{"get", "svc"}, nil, []string{`^No resources found in default namespace.\s*$|^NAME`}},
	}
	for _, s := range steps {
		out, err := c.KubectlIn("", s.env, s.args...)
		if err != nil && s.name != "unsupported field selector" {
			t.Fatalf("%s: kubectl %s: %v\n%s", s.name, strings.Join(s.args, " "), err, out)
		}
		for _, w := range s.want {
			if !regexp.MustCompile(`(?m)` + w).MatchString(out) {
				t.Fatalf("%s: output of kubectl %s does not match %q:\n%s", s.name, strings.Join(s.args, " "), w, out)
			}
		}
	}
	if out, _ := c.Kubectl("get", "svc", "web"); !strings.Contains(out, `services "web" not found`) {
		t.Fatalf("deleted service still there: %s", out)
	}
}
