package agent

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/portal-dev/portal/internal/agent/agenttest"
	"github.com/portal-dev/portal/internal/agent/runner"
)

const testNode = "node-a"

// testAgent is an agent running against a fake clientset with the fake
// runner.
type testAgent struct {
	t      *testing.T
	client *fake.Clientset
	runner *agenttest.Runner
	dir    string
	cancel context.CancelFunc
	done   chan error
}

// startAgent runs an agent with fast timings on dir until the test ends
// (or stop is called). It returns once the agent watches pods.
func startAgent(t *testing.T, client *fake.Clientset, dir string, mutate ...func(*Options)) *testAgent {
	t.Helper()
	r := agenttest.New()
	opts := Options{
		Client:                    client,
		NodeName:                  testNode,
		DataDir:                   dir,
		NewRunner:                 func(RunnerEnv) (runner.Interface, error) { return r, nil },
		LeaseRenewInterval:        20 * time.Millisecond,
		NodeStatusUpdateFrequency: 20 * time.Millisecond,
		StatusMinInterval:         time.Millisecond,
		Log:                       slog.New(slog.DiscardHandler),
	}
	for _, m := range mutate {
		m(&opts)
	}
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	watching := agenttest.WatchStarted(client, "pods")
	ctx, cancel := context.WithCancel(context.Background())
	ta := &testAgent{t: t, client: client, runner: r, dir: dir, cancel: cancel, done: make(chan error, 1)}
	go func() { ta.done <- a.Run(ctx) }()
	t.Cleanup(ta.stop)
	select {
	case <-watching:
	case err := <-ta.done:
		t.Fatalf("agent stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("agent does not watch pods")
	}
	return ta
}

func (ta *testAgent) stop() {
	ta.cancel()
	select {
	case err := <-ta.done:
		if err != nil {
			ta.t.Errorf("agent Run: %v", err)
		}
		ta.done <- nil // a second stop returns at once
	case <-time.After(10 * time.Second):
		ta.t.Errorf("agent did not stop")
	}
}

// eventually polls cond until it holds; the bound only keeps a broken
// feature from hanging the test.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, msg := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testPod(name, node string, uid types.UID) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: uid},
		Spec: corev1.PodSpec{
			NodeName:                      node,
			TerminationGracePeriodSeconds: ptr.To(int64(3)),
			Containers:                    []corev1.Container{{Name: "web", Image: "portal-demo"}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
}

func (ta *testAgent) node() *corev1.Node {
	n, err := ta.client.CoreV1().Nodes().Get(context.Background(), testNode, metav1.GetOptions{})
	if err != nil {
		ta.t.Fatal(err)
	}
	return n
}

func (ta *testAgent) pod(name string) (*corev1.Pod, error) {
	return ta.client.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
}

// synced waits for the runner's first Sync of uid and returns it.
func (ta *testAgent) synced(uid types.UID) agenttest.SyncCall {
	ta.t.Helper()
	var call agenttest.SyncCall
	eventually(ta.t, "runner sync of "+string(uid), func() (bool, string) {
		for _, c := range ta.runner.Syncs() {
			if c.Pod.UID == uid {
				call = c
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d syncs, none of it", len(ta.runner.Syncs()))
	})
	return call
}

func podIPs(t *testing.T, dir string) map[types.UID]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "pod-ips.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f ipPoolFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f.Pods
}

func condition(n *corev1.Node, typ corev1.NodeConditionType) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == typ {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

func TestAgentRegistersNode(t *testing.T) {
	client := fake.NewClientset()
	ta := startAgent(t, client, t.TempDir())
	n := ta.node()
	if n.Labels[LabelHostname] != testNode || n.Labels[LabelOS] == "" {
		t.Errorf("labels %v", n.Labels)
	}
	for k := range n.Labels {
		if strings.HasPrefix(k, "node-role.kubernetes.io/") {
			t.Errorf("node has role label %s", k)
		}
	}
	if n.Spec.PodCIDR != DefaultLoopbackPodCIDR || len(n.Spec.PodCIDRs) != 1 {
		t.Errorf("podCIDR %q %v", n.Spec.PodCIDR, n.Spec.PodCIDRs)
	}
	want := []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}, {Type: corev1.NodeHostName, Address: testNode}}
	if fmt.Sprint(n.Status.Addresses) != fmt.Sprint(want) {
		t.Errorf("addresses %v, want %v", n.Status.Addresses, want)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourcePods} {
		if q, ok := n.Status.Capacity[r]; !ok || q.IsZero() {
			t.Errorf("capacity %s = %v", r, n.Status.Capacity)
		}
		if _, ok := n.Status.Allocatable[r]; !ok {
			t.Errorf("allocatable has no %s", r)
		}
	}
	info := n.Status.NodeInfo
	if info.KubeletVersion != "v1.37.0-portal" || !strings.HasPrefix(info.ContainerRuntimeVersion, "portal://") ||
		info.KernelVersion == "" || info.OSImage == "" || info.OperatingSystem == "" {
		t.Errorf("nodeInfo %+v", info)
	}
	ready := condition(n, corev1.NodeReady)
	if ready == nil || ready.Status != corev1.ConditionTrue || ready.Reason != "KubeletReady" || ready.LastHeartbeatTime.IsZero() {
		t.Errorf("Ready condition %+v", ready)
	}
	// daemonEndpoints names the log server's port: it answers there.
	port := n.Status.DaemonEndpoints.KubeletEndpoint.Port
	body, code := httpsGet(t, fmt.Sprintf("https://127.0.0.1:%d/healthz", port))
	if code != http.StatusOK || body != "ok" {
		t.Errorf("log server on the published port %d: %d %q", port, code, body)
	}
}

// TestAgentReregistersExistingNode: an existing Node keeps its podCIDR
// (assigned elsewhere) and other labels, and gets the agent's labels and
// status.
func TestAgentReregistersExistingNode(t *testing.T) {
	client := fake.NewClientset(&corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: testNode, Labels: map[string]string{"zone": "a"}},
		Spec:       corev1.NodeSpec{PodCIDR: "127.250.0.0/16", PodCIDRs: []string{"127.250.0.0/16"}},
	})
	ta := startAgent(t, client, t.TempDir())
	eventually(t, "node status", func() (bool, string) {
		n := ta.node()
		return n.Status.NodeInfo.KubeletVersion != "", "no nodeInfo"
	})
	n := ta.node()
	if n.Labels["zone"] != "a" || n.Labels[LabelHostname] != testNode {
		t.Errorf("labels %v", n.Labels)
	}
	if n.Spec.PodCIDR != "127.250.0.0/16" {
		t.Errorf("podCIDR %q changed", n.Spec.PodCIDR)
	}
}

func TestAgentRenewsLease(t *testing.T) {
	client := fake.NewClientset()
	// The fake assigns no UIDs; the API server would.
	client.PrependReactor("create", "nodes", func(a clienttesting.Action) (bool, runtime.Object, error) {
		a.(clienttesting.CreateAction).GetObject().(*corev1.Node).UID = "node-uid"
		return false, nil, nil
	})
	startAgent(t, client, t.TempDir())
	var first time.Time
	eventually(t, "lease created", func() (bool, string) {
		l, err := client.CoordinationV1().Leases("kube-node-lease").Get(context.Background(), testNode, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		if *l.Spec.HolderIdentity != testNode || *l.Spec.LeaseDurationSeconds != 40 || l.Spec.RenewTime == nil {
			t.Fatalf("lease spec %+v", l.Spec)
		}
		if len(l.OwnerReferences) != 1 || l.OwnerReferences[0].Kind != "Node" || l.OwnerReferences[0].UID != "node-uid" {
			t.Fatalf("lease owners %+v", l.OwnerReferences)
		}
		first = l.Spec.RenewTime.Time
		return true, ""
	})
	eventually(t, "lease renewed", func() (bool, string) {
		l, _ := client.CoordinationV1().Leases("kube-node-lease").Get(context.Background(), testNode, metav1.GetOptions{})
		return l.Spec.RenewTime.After(first), "renewTime " + l.Spec.RenewTime.String()
	})
}

// TestAgentRestoresNodeReady: when the node lifecycle controller marks the
// node Unknown, the agent's next status update sets it Ready again.
func TestAgentRestoresNodeReady(t *testing.T) {
	client := fake.NewClientset()
	ta := startAgent(t, client, t.TempDir())
	n := ta.node()
	c := condition(n, corev1.NodeReady)
	c.Status, c.Reason, c.Message = corev1.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status."
	if _, err := client.CoreV1().Nodes().UpdateStatus(context.Background(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "node Ready again", func() (bool, string) {
		c := condition(ta.node(), corev1.NodeReady)
		return c.Status == corev1.ConditionTrue, string(c.Status)
	})
}

func TestAgentRunsPods(t *testing.T) {
	mine := testPod("web", testNode, "uid-web")
	mine.Namespace = "shop"
	other := testPod("elsewhere", "node-b", "uid-other")
	client := fake.NewClientset(mine, other)
	dir := t.TempDir()
	ta := startAgent(t, client, dir)

	call := ta.synced("uid-web")
	sb := call.Sandbox
	ip, err := netip.ParseAddr(sb.PodIP)
	if err != nil || !netip.MustParsePrefix(DefaultLoopbackPodCIDR).Contains(ip) {
		t.Fatalf("pod IP %q not in %s", sb.PodIP, DefaultLoopbackPodCIDR)
	}
	if sb.NetNS != "" || sb.NodeName != testNode {
		t.Errorf("sandbox %+v", sb)
	}
	resolv, err := os.ReadFile(sb.ResolvConf)
	if err != nil {
		t.Fatal(err)
	}
	wantResolv := "nameserver 127.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n"
	if string(resolv) != wantResolv {
		t.Errorf("resolv.conf:\n%s\nwant:\n%s", resolv, wantResolv)
	}
	if got := podIPs(t, dir)["uid-web"]; got != sb.PodIP {
		t.Errorf("persisted IP %q, want %q", got, sb.PodIP)
	}

	// The runner's status is published.
	pods := client.CoreV1().Pods("shop")
	eventually(t, "status published", func() (bool, string) {
		p, err := pods.Get(context.Background(), "web", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		st := p.Status
		return st.Phase == corev1.PodRunning && st.PodIP == sb.PodIP && st.HostIP == "127.0.0.1" && st.StartTime != nil,
			fmt.Sprintf("%+v", st)
	})
	// A change the runner reports is published too.
	ta.runner.SetStatus("uid-web", func(st *corev1.PodStatus) {
		for i := range st.Conditions {
			if st.Conditions[i].Type == corev1.PodReady {
				st.Conditions[i].Status = corev1.ConditionFalse
			}
		}
	})
	eventually(t, "readiness change published", func() (bool, string) {
		p, _ := pods.Get(context.Background(), "web", metav1.GetOptions{})
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady {
				return c.Status == corev1.ConditionFalse, string(c.Status)
			}
		}
		return false, "no Ready condition"
	})
	// Nothing changes, so nothing more is sent: status updates only go out
	// when the status differs.
	before := countActions(client, "update", "pods", "status")
	for range 5 {
		ta.runner.SetStatus("uid-web", func(*corev1.PodStatus) {})
	}
	time.Sleep(100 * time.Millisecond)
	if after := countActions(client, "update", "pods", "status"); after != before {
		t.Errorf("%d status updates for unchanged status", after-before)
	}
	for _, c := range ta.runner.Syncs() {
		if c.Pod.UID == "uid-other" {
			t.Errorf("synced a pod bound to another node")
		}
	}
}

func countActions(client *fake.Clientset, verb, resource, subresource string) int {
	n := 0
	for _, a := range client.Actions() {
		if a.GetVerb() == verb && a.GetResource().Resource == resource && a.GetSubresource() == subresource {
			n++
		}
	}
	return n
}

// TestAgentGracefulDeletion: a pod with a deletionTimestamp is terminated
// with the deletion's grace period, its final status posted, its address
// and directory released, and then deleted with grace 0 and its UID as a
// precondition.
func TestAgentGracefulDeletion(t *testing.T) {
	client := fake.NewClientset(testPod("web", testNode, "uid-web"))
	dir := t.TempDir()
	ta := startAgent(t, client, dir)
	sb := ta.synced("uid-web").Sandbox
	eventually(t, "running", func() (bool, string) {
		p, _ := ta.pod("web")
		return p.Status.Phase == corev1.PodRunning, string(p.Status.Phase)
	})

	p, _ := ta.pod("web")
	p.DeletionTimestamp = ptr.To(metav1.Now())
	p.DeletionGracePeriodSeconds = ptr.To(int64(7))
	if _, err := client.CoreV1().Pods("default").Update(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "pod deleted", func() (bool, string) {
		_, err := ta.pod("web")
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
	terms := ta.runner.Terminations()
	if len(terms) != 1 || terms[0].UID != "uid-web" || terms[0].Grace != 7*time.Second {
		t.Errorf("terminations %+v, want one of uid-web with 7s", terms)
	}
	var sawFinalStatus bool
	var del clienttesting.DeleteActionImpl
	for _, a := range client.Actions() {
		switch act := a.(type) {
		case clienttesting.UpdateActionImpl:
			if act.GetSubresource() == "status" {
				pod := act.GetObject().(*corev1.Pod)
				if cs := pod.Status.ContainerStatuses; len(cs) == 1 && cs[0].State.Terminated != nil {
					sawFinalStatus = true
				}
			}
		case clienttesting.DeleteActionImpl:
			del = act
			if !sawFinalStatus {
				t.Errorf("pod deleted before its final status was posted")
			}
		}
	}
	if del.Name != "web" || ptr.Deref(del.DeleteOptions.GracePeriodSeconds, -1) != 0 ||
		del.DeleteOptions.Preconditions == nil || ptr.Deref(del.DeleteOptions.Preconditions.UID, "") != "uid-web" {
		t.Errorf("delete %+v, want web with grace 0 and UID precondition", del)
	}
	if _, ok := podIPs(t, dir)["uid-web"]; ok {
		t.Errorf("pod IP still allocated")
	}
	if _, err := os.Stat(filepath.Dir(sb.ResolvConf)); !os.IsNotExist(err) {
		t.Errorf("pod directory still there: %v", err)
	}
	if f := ta.runner.Forgotten(); len(f) != 1 || f[0] != "uid-web" {
		t.Errorf("forgotten %v", f)
	}
}

// TestAgentPodRemovedFromAPI: a pod force-deleted from the API is stopped
// with its own grace period and forgotten; nothing is deleted again.
func TestAgentPodRemovedFromAPI(t *testing.T) {
	client := fake.NewClientset(testPod("web", testNode, "uid-web"))
	dir := t.TempDir()
	ta := startAgent(t, client, dir)
	ta.synced("uid-web")
	if err := client.CoreV1().Pods("default").Delete(context.Background(), "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "pod forgotten", func() (bool, string) {
		return len(ta.runner.Forgotten()) == 1, fmt.Sprint(ta.runner.Forgotten())
	})
	if terms := ta.runner.Terminations(); len(terms) != 1 || terms[0].Grace != 3*time.Second {
		t.Errorf("terminations %+v, want one with the pod's 3s", terms)
	}
	if n := countActions(client, "delete", "pods", ""); n != 1 {
		t.Errorf("%d pod deletions, want only the test's", n)
	}
	eventually(t, "IP released", func() (bool, string) {
		_, ok := podIPs(t, dir)["uid-web"]
		return !ok, "still allocated"
	})
}

// TestAgentRestartKeepsPodIPs: a restarted agent syncs its pods again with
// the addresses they had, and releases those of pods deleted meanwhile.
func TestAgentRestartKeepsPodIPs(t *testing.T) {
	client := fake.NewClientset(testPod("a", testNode, "uid-a"), testPod("b", testNode, "uid-b"))
	dir := t.TempDir()
	first := startAgent(t, client, dir)
	ipA := first.synced("uid-a").Sandbox.PodIP
	ipB := first.synced("uid-b").Sandbox.PodIP
	first.stop()

	// While the agent is down, b goes.
	if err := client.CoreV1().Pods("default").Delete(context.Background(), "b", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	second := startAgent(t, client, dir)
	if got := second.synced("uid-a").Sandbox.PodIP; got != ipA {
		t.Errorf("after restart pod a has %s, want %s", got, ipA)
	}
	ips := podIPs(t, dir)
	if _, ok := ips["uid-b"]; ok {
		t.Errorf("pod b's address %s still allocated after restart", ipB)
	}
	if _, err := os.Stat(filepath.Join(dir, "pods", "uid-b")); !os.IsNotExist(err) {
		t.Errorf("pod b's directory still there: %v", err)
	}
}

func httpsGet(t *testing.T, url string) (string, int) {
	t.Helper()
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body), resp.StatusCode
}

func TestAgentServesLogs(t *testing.T) {
	client := fake.NewClientset(testPod("web", testNode, "uid-web"))
	ta := startAgent(t, client, t.TempDir())
	ta.synced("uid-web")
	logPath := filepath.Join(t.TempDir(), "web.log")
	if err := os.WriteFile(logPath, []byte("GET /\nGET /host\nGET /healthz\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ta.runner.SetLog("uid-web", "web", false, logPath)
	base := fmt.Sprintf("https://127.0.0.1:%d/containerLogs/default/", ta.node().Status.DaemonEndpoints.KubeletEndpoint.Port)

	cases := []struct {
		path, want string
		code       int
	}{
		{"web/web", "GET /\nGET /host\nGET /healthz\n", 200},
		{"web/web?tailLines=1", "GET /healthz\n", 200},
		{"web/web?limitBytes=3", "GET", 200},
		{"web/web?previous=true", `previous terminated container "web" in pod "web" not found`, 400},
		{"web/sidecar", `container "sidecar" not found in pod "web"`, 404},
		{"nope/web", `pod "nope" does not exist`, 404},
		{"web/web?tailLines=x", `invalid tailLines "x"`, 400},
	}
	for _, tc := range cases {
		body, code := httpsGet(t, base+tc.path)
		if code != tc.code || !strings.HasPrefix(body, tc.want) {
			t.Errorf("GET %s = %d %q, want %d %q", tc.path, code, body, tc.code, tc.want)
		}
	}

	// A running container with no log file yet.
	ta.runner.SetLog("uid-web", "web", false, filepath.Join(t.TempDir(), "missing.log"))
	if body, code := httpsGet(t, base+"web/web"); code != 400 || body != `container "web" in pod "web" is waiting to start - no logs yet` {
		t.Errorf("missing log: %d %q", code, body)
	}
	ta.runner.SetLog("uid-web", "web", false, logPath)

	// follow streams until the container stops.
	client2 := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client2.Get(base + "web/web?follow=true&tailLines=0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	f, _ := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.WriteString("GET /later\n")
	f.Close()
	buf := make([]byte, 64)
	n, err := resp.Body.Read(buf)
	if err != nil || string(buf[:n]) != "GET /later\n" {
		t.Fatalf("followed read %q, %v", buf[:n], err)
	}
	ta.runner.SetStatus("uid-web", func(st *corev1.PodStatus) {
		st.ContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}}
	})
	rest, err := io.ReadAll(resp.Body)
	if err != nil || len(rest) != 0 {
		t.Fatalf("after the container stopped: %q, %v", rest, err)
	}
}
