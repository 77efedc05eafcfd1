package e2e

import (
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portal-dev/portal/test/e2e/framework"
)

// ghostNode is a Node no agent runs: the node lifecycle controller must
// find it silent.
const ghostNode = `apiVersion: v1
kind: Node
metadata:
  name: ghost
  labels: {kubernetes.io/hostname: ghost}
status:
  conditions:
  - type: Ready
    status: "True"
    reason: KubeletReady
    message: kubelet is posting ready status
`

const podOnGhost = `apiVersion: v1
kind: Pod
metadata:
  name: on-ghost
spec:
  nodeName: ghost
  containers:
  - name: c
    image: portal-demo
`

const manualPod = `apiVersion: v1
kind: Pod
metadata:
  name: manual
spec:
  schedulerName: manual
  containers:
  - name: c
    image: portal-demo
`

// TestAgent drives `portal up`'s node agent, scheduler and node lifecycle
// controller with kubectl. It needs no pod runner: what it checks holds
// with the stand-in runner and with the real one (see
// agent_runner_e2e_test.go for what needs processes).
func TestAgent(t *testing.T) {
	c := framework.Start(t, framework.Options{Images: true, Args: []string{"--node-monitor-grace-period=15s"}})
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	get := func(args ...string) string {
		out, _ := c.Kubectl(append([]string{"get"}, args...)...)
		return strings.TrimSpace(out)
	}

	// The agent registers its node, Ready.
	node := get("nodes", "-o", "jsonpath={.items[0].metadata.name}")
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		out := get("nodes")
		return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(node) + `\s+Ready\s+<none>\s+\S+\s+v1\.37\.0-portal`).MatchString(out), out
	})
	if out := get("node", node, "-o", "jsonpath={.status.nodeInfo.containerRuntimeVersion} {.status.addresses[0].address} {.spec.podCIDR}"); !regexp.MustCompile(`^portal://\S+ 127\.0\.0\.1 127\.244\.0\.0/16$`).MatchString(out) {
		t.Errorf("node details: %q", out)
	}

	// ... and renews its Lease.
	renew := get("lease", "-n", "kube-node-lease", node, "-o", "jsonpath={.spec.holderIdentity} {.spec.leaseDurationSeconds} {.spec.renewTime}")
	if !strings.HasPrefix(renew, node+" 40 ") {
		t.Fatalf("lease: %q", renew)
	}
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		now := get("lease", "-n", "kube-node-lease", node, "-o", "jsonpath={.spec.holderIdentity} {.spec.leaseDurationSeconds} {.spec.renewTime}")
		return now != renew, "renewTime still " + renew
	})

	// A pod is scheduled to the node, gets a pod IP from the loopback
	// range and its status from the agent.
	c.MustKubectl("run", "web", "--image=portal-demo", "--restart=Never")
	var podIP string
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		out := get("pod", "web", "-o", "jsonpath={.spec.nodeName} {.status.podIP} {.status.hostIP}")
		f := strings.Fields(out)
		if len(f) != 3 || f[0] != node || f[2] != "127.0.0.1" {
			return false, out
		}
		ip, err := netip.ParseAddr(f[1])
		if err != nil || !netip.MustParsePrefix("127.244.0.0/16").Contains(ip) {
			return false, out
		}
		podIP = f[1]
		return true, ""
	})
	events := get("events", "--field-selector", "involvedObject.name=web")
	if !strings.Contains(events, "Scheduled") || !strings.Contains(events, "Successfully assigned default/web to "+node) {
		t.Errorf("events of web:\n%s", events)
	}

	// pods/log reaches the agent: with the stand-in runner the container
	// waits (and kubectl shows kubelet's message); with a runner it logs.
	out, err := c.Kubectl("logs", "web")
	if !(err == nil && strings.Contains(out, "portal-demo")) &&
		!(err != nil && strings.Contains(out, `container "web" in pod "web" is waiting to start`)) {
		t.Errorf("kubectl logs web: %v\n%s", err, out)
	}
	if out, _ := c.Kubectl("logs", "web", "-c", "nope"); !strings.Contains(out, "container nope is not valid for pod web") {
		t.Errorf("kubectl logs -c nope: %s", out)
	}
	if out, _ := c.Kubectl("logs", "web", "-p"); !strings.Contains(out, `previous terminated container "web" in pod "web" not found`) {
		t.Errorf("kubectl logs -p: %s", out)
	}

	// pods/binding: a pod for another scheduler waits until bound by hand;
	// a second binding is refused as kube refuses it.
	c.MustKubectl("apply", "-f", write("manual.yaml", manualPod))
	time.Sleep(time.Second)
	if n := get("pod", "manual", "-o", "jsonpath={.spec.nodeName}"); n != "" {
		t.Fatalf("a pod for another scheduler was bound to %q", n)
	}
	if out, err := c.Kubectl("logs", "manual"); err != nil || out != "" {
		t.Errorf("logs of an unbound pod: %v %q, want empty", err, out)
	}
	binding := write("binding.json", `{"apiVersion":"v1","kind":"Binding","metadata":{"name":"manual"},"target":{"kind":"Node","name":"`+node+`"}}`)
	c.MustKubectl("create", "--raw", "/api/v1/namespaces/default/pods/manual/binding", "-f", binding)
	if n := get("pod", "manual", "-o", "jsonpath={.spec.nodeName}"); n != node {
		t.Errorf("after binding, manual is on %q", n)
	}
	if out, _ := c.Kubectl("create", "--raw", "/api/v1/namespaces/default/pods/manual/binding", "-f", binding); !strings.Contains(out, `pod manual is already assigned to node "`+node+`"`) {
		t.Errorf("second binding: %s", out)
	}

	// A restart keeps the pod, its node and its IP; the node is Ready again.
	c.Restart()
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		out := get("pod", "web", "-o", "jsonpath={.spec.nodeName} {.status.podIP}")
		return out == node+" "+podIP, out
	})
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		out := get("node", node, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		return out == "True", out
	})

	// A node that never renews a Lease goes Unknown after the grace
	// period, and its pods stop being ready.
	c.MustKubectl("apply", "-f", write("ghost.yaml", ghostNode))
	c.MustKubectl("apply", "-f", write("on-ghost.yaml", podOnGhost))
	c.MustKubectl("patch", "pod", "on-ghost", "--subresource=status", "--type=merge",
		"-p", `{"status":{"conditions":[{"type":"Ready","status":"True"}]}}`)
	framework.Eventually(t, 60*time.Second, func() (bool, string) {
		out := get("node", "ghost", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].reason}`)
		return out == "Unknown NodeStatusUnknown", out
	})
	if out := get("nodes"); !regexp.MustCompile(`(?m)^ghost\s+NotReady`).MatchString(out) {
		t.Errorf("kubectl get nodes:\n%s", out)
	}
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		out := get("pod", "on-ghost", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		return out == "False", out
	})
	// The agent's node, which renews its Lease, stays Ready.
	if out := get("node", node, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`); out != "True" {
		t.Errorf("%s went %s", node, out)
	}

	// Deleting a pod goes through the agent: it stops the pod and removes
	// the object.
	c.MustKubectl("delete", "pod", "web", "manual", "--wait=false")
	framework.Eventually(t, 60*time.Second, func() (bool, string) {
		out, _ := c.Kubectl("get", "pods", "web", "manual")
		return strings.Count(out, "NotFound") == 2, out
	})
}
