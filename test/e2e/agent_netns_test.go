package e2e

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portal-dev/portal/test/e2e/framework"
)

// TestAgentNetnsPodNetwork runs `portal up --pod-network=netns` inside a
// network namespace the test makes, so nothing touches the host's
// interfaces or routes. A pod gets a namespace portal-<uid> with eth0 on
// the portal0 bridge, an address from 10.244.0.0/24 and a default route;
// a server started in that namespace answers from portal's namespace over
// the bridge; deleting the pod removes its namespace.
//
// The pod's process is started by the test (nsenter), not by a runner, so
// this runs without one. Root and ip(8) are required; the test skips
// otherwise.
func TestAgentNetnsPodNetwork(t *testing.T) {
	ns := framework.NewNetns(t)
	for _, tool := range []string{"nsenter", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	c := framework.Start(t, framework.Options{Netns: ns, Images: true, Args: []string{"--pod-network=netns"}})
	pid := strconv.Itoa(c.Pid())
	// inPortal runs a command in portal's network and mount namespaces,
	// where its pod namespaces are mounted.
	inPortal := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "nsenter", append([]string{"-t", pid, "-m", "-n"}, args...)...).CombinedOutput()
		return string(out), err
	}
	get := func(args ...string) string {
		out, _ := c.Kubectl(append([]string{"get"}, args...)...)
		return strings.TrimSpace(out)
	}

	if out := get("nodes", "-o", "jsonpath={.items[0].spec.podCIDR}"); out != "10.244.0.0/24" {
		t.Fatalf("node podCIDR %q", out)
	}
	c.MustKubectl("run", "web", "--image=portal-demo", "--restart=Never")
	var podIP, uid string
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		out := get("pod", "web", "-o", "jsonpath={.status.podIP} {.metadata.uid}")
		f := strings.Fields(out)
		if len(f) != 2 {
			return false, out
		}
		ip, err := netip.ParseAddr(f[0])
		if err != nil || !netip.MustParsePrefix("10.244.0.0/24").Contains(ip) || f[0] == "10.244.0.1" {
			return false, out
		}
		podIP, uid = f[0], f[1]
		return true, ""
	})
	podNS := "portal-" + strings.ReplaceAll(uid, "-", "")[:12]
	t.Cleanup(func() {
		// Should the test fail half-way: the name ip(8) left on the host.
		_ = os.Remove(filepath.Join("/var/run/netns", podNS))
	})

	// The pod's namespace: eth0 with the pod IP, a default route via the
	// bridge, which holds the first address.
	if out, err := inPortal("ip", "-n", podNS, "-4", "-br", "addr", "show", "eth0"); err != nil || !strings.Contains(out, podIP+"/24") || !strings.Contains(out, "UP") {
		t.Fatalf("eth0 in %s: %v\n%s", podNS, err, out)
	}
	if out, err := inPortal("ip", "-n", podNS, "route"); err != nil || !strings.Contains(out, "default via 10.244.0.1 dev eth0") {
		t.Fatalf("routes in %s: %v\n%s", podNS, err, out)
	}
	if out, err := inPortal("ip", "-4", "-br", "addr", "show", "portal0"); err != nil || !strings.Contains(out, "10.244.0.1/24") {
		t.Fatalf("bridge: %v\n%s", err, out)
	}
	// The host has no bridge: everything happened in the test's namespace.
	if out, err := exec.Command("ip", "link", "show", "portal0").CombinedOutput(); err == nil {
		t.Fatalf("portal0 exists on the host:\n%s", out)
	}

	// A server in the pod's namespace answers across the bridge.
	demo := exec.Command("nsenter", "-t", pid, "-m", "-n", "ip", "netns", "exec", podNS,
		filepath.Join(framework.Images(t), "portal-demo"), "-listen", podIP+":8080")
	demo.Env = append(os.Environ(), "POD_IP="+podIP, "NODE_NAME=netns-node")
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	stopDemo := func() {
		if demo.Process != nil {
			_ = demo.Process.Kill()
			_ = demo.Wait()
			demo.Process = nil
		}
	}
	t.Cleanup(stopDemo)
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		out, err := inPortal("curl", "-s", "--max-time", "2", "http://"+podIP+":8080/host")
		return err == nil && strings.TrimSpace(out) == "NODE: netns-node, POD IP: "+podIP, out
	})
	stopDemo()

	// Deleting the pod removes its namespace and veth.
	c.MustKubectl("delete", "pod", "web")
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		out, _ := inPortal("ip", "netns", "list")
		return !strings.Contains(out, podNS), out
	})
	if out, _ := inPortal("ip", "-br", "link"); strings.Contains(out, "veth"+strings.ReplaceAll(uid, "-", "")[:11]) {
		t.Errorf("veth left behind:\n%s", out)
	}
}
