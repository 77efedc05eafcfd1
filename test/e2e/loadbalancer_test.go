package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portal-dev/portal/test/e2e/framework"
)

// lbService is a tutorial-style LoadBalancer Service; extra is appended to
// its spec.
func lbService(name, extra string) string {
	return `apiVersion: v1
kind: Service
metadata:
  name: ` + name + `
spec:
  type: LoadBalancer
  selector:
    app: ` + name + `
  ports:
  - port: 80
    targetPort: 8080
` + extra
}

// externalIP waits until `kubectl get svc -n ns name` shows an EXTERNAL-IP
// matching want (a regexp) and returns it.
func externalIP(t *testing.T, c *framework.Cluster, ns, name, want string) string {
	t.Helper()
	row := regexp.MustCompile(`(?m)^` + name + `\s+(\S+)\s+\S+\s+(\S+)\s+(\S+)\s+`)
	var ip string
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		out, err := c.Kubectl("get", "svc", "-n", ns, name)
		if err != nil {
			return false, out
		}
		m := row.FindStringSubmatch(out)
		if m == nil {
			return false, out
		}
		ip = m[2]
		return regexp.MustCompile(`^` + want + `$`).MatchString(ip), out
	})
	return ip
}

// TestLoadBalancerFromPool runs portal with a loopback pool: LoadBalancer
// Services get addresses from it, `kubectl describe` shows the event,
// a type change gives the address back, and a restart keeps addresses.
func TestLoadBalancerFromPool(t *testing.T) {
	c := framework.Start(t, framework.Options{Args: []string{"--load-balancer-pool", "default=127.200.0.0/24"}})

	c.MustKubectl("create", "namespace", "lb")
	out, err := c.KubectlIn(lbService("web", ""), nil, "apply", "-n", "lb", "-f", "-")
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	web := externalIP(t, c, "lb", "web", `127\.200\.0\.\d+`)
	out = c.MustKubectl("get", "svc", "-n", "lb", "web")
	if !regexp.MustCompile(`(?m)^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\n` +
		`web\s+LoadBalancer\s+\S+\s+` + regexp.QuoteMeta(web) + `\s+80\S*/TCP\s+`).MatchString(out) {
		t.Fatalf("kubectl get svc:\n%s", out)
	}
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		out, _ := c.Kubectl("describe", "svc", "-n", "lb", "web")
		return strings.Contains(out, "LoadBalancer Ingress:     "+web) &&
			regexp.MustCompile(`Normal\s+IPAllocated\s+\S+\s+portal-controllers\s+Assigned IP \["`+regexp.QuoteMeta(web)+`"\]`).MatchString(out), out
	})

	// A specific address, as tutorials ask for it.
	out, err = c.KubectlIn(lbService("fixed", "  loadBalancerIP: 127.200.0.200\n"), nil, "apply", "-n", "lb", "-f", "-")
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	externalIP(t, c, "lb", "fixed", `127\.200\.0\.200`)
	// Two services sharing one address on different ports, MetalLB style.
	for _, name := range []string{"dns-tcp", "dns-udp"} {
		proto := strings.ToUpper(strings.TrimPrefix(name, "dns-"))
		manifest := strings.Replace(lbService(name, ""), "spec:", "  annotations:\n    metallb.universe.tf/allow-shared-ip: dns\nspec:", 1)
		manifest = strings.Replace(manifest, "  - port: 80\n    targetPort: 8080\n", "  - port: 53\n    protocol: "+proto+"\n", 1)
		if out, err := c.KubectlIn(manifest, nil, "apply", "-n", "lb", "-f", "-"); err != nil {
			t.Fatalf("apply %s: %v\n%s", name, err, out)
		}
	}
	shared := externalIP(t, c, "lb", "dns-tcp", `127\.200\.0\.\d+`)
	externalIP(t, c, "lb", "dns-udp", regexp.QuoteMeta(shared))

	// Not a LoadBalancer any more: the address goes away. The patch clears
	// the LoadBalancer-only fields itself (kube-apiserver would drop them on
	// a type change), so it does not depend on the API server doing that.
	c.MustKubectl("patch", "svc", "-n", "lb", "web", "--type", "merge", "-p",
		`{"spec":{"type":"ClusterIP","allocateLoadBalancerNodePorts":null,"externalTrafficPolicy":null,`+
			`"ports":[{"port":80,"targetPort":8080,"protocol":"TCP"}]}}`)
	externalIP(t, c, "lb", "web", `<none>`)

	// A restart keeps every address where it was.
	before := c.MustKubectl("get", "svc", "-n", "lb", "fixed", "dns-tcp", "dns-udp", "-o", "custom-columns=NAME:.metadata.name,IP:.status.loadBalancer.ingress[*].ip")
	c.Restart()
	out, err = c.KubectlIn(lbService("after", ""), nil, "apply", "-n", "lb", "-f", "-")
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	after := externalIP(t, c, "lb", "after", `127\.200\.0\.\d+`)
	if after == shared || after == "127.200.0.200" {
		t.Fatalf("new service got %s, which is taken", after)
	}
	if got := c.MustKubectl("get", "svc", "-n", "lb", "fixed", "dns-tcp", "dns-udp", "-o", "custom-columns=NAME:.metadata.name,IP:.status.loadBalancer.ingress[*].ip"); got != before {
		t.Fatalf("addresses changed across the restart:\n%s\nthen:\n%s", before, got)
	}
}

// TestLoadBalancerPendingWithoutPool runs portal as the tutorials expect:
// no pool, so a LoadBalancer Service stays <pending> and says why.
func TestLoadBalancerPendingWithoutPool(t *testing.T) {
	c := framework.Start(t, framework.Options{})
	out, err := c.KubectlIn(lbService("web", ""), nil, "apply", "-f", "-")
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		out, _ := c.Kubectl("describe", "svc", "web")
		return regexp.MustCompile(`Warning\s+AllocationFailed\s+\S+\s+portal-controllers\s+Failed to allocate IP for "default/web": no address pool configured`).MatchString(out), out
	})
	out = c.MustKubectl("get", "svc", "web")
	if !regexp.MustCompile(`(?m)^web\s+LoadBalancer\s+\S+\s+<pending>\s+80\S*/TCP\s+`).MatchString(out) {
		t.Fatalf("kubectl get svc:\n%s", out)
	}
}
