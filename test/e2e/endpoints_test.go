package e2e

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/portal-dev/portal/test/e2e/framework"
)

const endpointsService = `apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {tier: front}
spec:
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: 8080
`

// e2ePod creates a pod bound to node-1 (there is no agent: the test plays
// the kubelet) and sets its status: Running, the given IP, Ready. The IPs
// are documentation addresses (RFC 5737): nothing is sent to them, and the
// API server refuses loopback addresses in Endpoints and EndpointSlices,
// as kube-apiserver does.
func e2ePod(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, name, app, ip string) {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{
			NodeName: "node-1",
			Containers: []corev1.Container{{
				Name: "web", Image: "demo",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
			}},
		},
	}
	created, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
	created.Status = corev1.PodStatus{
		Phase: corev1.PodRunning,
		PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}},
	}
	if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("status of pod %s: %v", name, err)
	}
}

// setReady flips a pod's Ready condition through /status.
func setReady(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, name string, ready bool) {
	t.Helper()
	pod, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodReady {
			pod.Status.Conditions[i].Status = status
			pod.Status.Conditions[i].LastTransitionTime = metav1.Now()
		}
	}
	if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// sliceState is "pod:ready" for every endpoint of a Service's slices.
func sliceState(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, svc string) ([]string, []int) {
	t.Helper()
	list, err := cs.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
	if err != nil {
		t.Fatal(err)
	}
	var eps []string
	var sizes []int
	for _, s := range list.Items {
		sizes = append(sizes, len(s.Endpoints))
		for _, ep := range s.Endpoints {
			eps = append(eps, fmt.Sprintf("%s:%t", ep.TargetRef.Name, *ep.Conditions.Ready))
		}
	}
	sort.Strings(eps)
	sort.Sort(sort.Reverse(sort.IntSlice(sizes)))
	return eps, sizes
}

// TestEndpoints drives the endpoint controllers of a real `portal up` with
// client-go (as the kubelet would) and the real kubectl.
func TestEndpoints(t *testing.T) {
	c := framework.Start(t, framework.Options{})
	cs := c.Client()
	ctx := context.Background()
	const ns = "default"
	const bound = 30 * time.Second // a hang guard, not a speed assertion

	if out, err := c.KubectlIn(endpointsService, nil, "apply", "-f", "-"); err != nil {
		t.Fatalf("apply service: %v\n%s", err, out)
	}
	for i := 1; i <= 4; i++ {
		e2ePod(t, ctx, cs, ns, fmt.Sprintf("web-%d", i), "web", fmt.Sprintf("192.0.2.%d", i))
	}
	waitKubectl := func(want string, args ...string) string {
		t.Helper()
		var out string
		re := regexp.MustCompile(want)
		framework.Eventually(t, bound, func() (bool, string) {
			out, _ = c.Kubectl(args...)
			out = withoutWarnings(out)
			return re.MatchString(out), fmt.Sprintf("kubectl %s: %q does not match %q", strings.Join(args, " "), out, want)
		})
		return out
	}
	mustKubectl := func(args ...string) string { t.Helper(); return withoutWarnings(c.MustKubectl(args...)) }

	// 4 ready pods: 4 addresses.
	waitKubectl(`^192\.0\.2\.1 192\.0\.2\.2 192\.0\.2\.3 192\.0\.2\.4$`,
		"get", "endpoints", "web", "-o", "jsonpath={.subsets[*].addresses[*].ip}")
	waitKubectl(`(?m)^web\s+192\.0\.2\.1:8080,192\.0\.2\.2:8080,192\.0\.2\.3:8080 \+ 1 more\.\.\.\s+`, "get", "endpoints", "web")
	out := mustKubectl("get", "endpoints", "web", "-o", "jsonpath={.subsets[0].ports[0].name}/{.subsets[0].ports[0].port}/{.subsets[0].addresses[0].targetRef.kind}/{.subsets[0].addresses[0].nodeName}/{.metadata.labels.tier}")
	if out != "http/8080/Pod/node-1/front" {
		t.Errorf("endpoints fields: %q", out)
	}
	// A slice keeps its endpoints in the order they joined (kubectl
	// prints the first three): any three of the four.
	slicesOut := waitKubectl(`(?m)^web-\S+\s+IPv4\s+8080\s+192\.0\.2\.[1-4],192\.0\.2\.[1-4],192\.0\.2\.[1-4] \+ 1 more\.\.\.\s+`,
		"get", "endpointslices", "-l", "kubernetes.io/service-name=web")
	t.Logf("kubectl get endpointslices:\n%s", slicesOut)
	out = mustKubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=web", "-o",
		"jsonpath={.items[0].metadata.labels.endpointslice\\.kubernetes\\.io/managed-by} {.items[0].metadata.ownerReferences[0].kind}/{.items[0].metadata.ownerReferences[0].name}")
	if out != "endpointslice-controller.k8s.io Service/web" {
		t.Errorf("slice metadata: %q", out)
	}

	// web-2 loses readiness: notReadyAddresses, ready=false in the slice.
	// Timed from the status write to the watch event that shows it.
	w, err := cs.DiscoveryV1().EndpointSlices(ns).Watch(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=web"})
	if err != nil {
		t.Fatal(err)
	}
	startFlip := time.Now()
	setReady(t, ctx, cs, ns, "web-2", false)
	sliceLatency := waitSliceEvent(t, w, bound, func(s *discoveryv1.EndpointSlice) bool {
		for _, ep := range s.Endpoints {
			if ep.TargetRef.Name == "web-2" && !*ep.Conditions.Ready && !*ep.Conditions.Serving {
				return true
			}
		}
		return false
	}, startFlip)
	w.Stop()
	waitKubectl(`^192\.0\.2\.2$`, "get", "endpoints", "web", "-o", "jsonpath={.subsets[*].notReadyAddresses[*].ip}")
	t.Logf("readiness change reached the EndpointSlice in %s", sliceLatency)

	// Relabelled pod leaves; new pod joins.
	startLabel := time.Now()
	mustKubectl("label", "pod", "web-3", "app=nope", "--overwrite")
	waitKubectl(`^192\.0\.2\.1 192\.0\.2\.4$`, "get", "endpoints", "web", "-o", "jsonpath={.subsets[*].addresses[*].ip}")
	labelLatency := time.Since(startLabel)
	framework.Eventually(t, bound, func() (bool, string) {
		eps, _ := sliceState(t, ctx, cs, ns, "web")
		return slices.Equal(eps, []string{"web-1:true", "web-2:false", "web-4:true"}), fmt.Sprintf("slice endpoints %v", eps)
	})
	t.Logf("relabelled pod left the Endpoints (kubectl label to kubectl get) in %s", labelLatency)
	e2ePod(t, ctx, cs, ns, "web-5", "web", "192.0.2.5")
	waitKubectl(`^192\.0\.2\.1 192\.0\.2\.4 192\.0\.2\.5$`, "get", "endpoints", "web", "-o", "jsonpath={.subsets[*].addresses[*].ip}")
	framework.Eventually(t, bound, func() (bool, string) {
		eps, _ := sliceState(t, ctx, cs, ns, "web")
		return slices.Equal(eps, []string{"web-1:true", "web-2:false", "web-4:true", "web-5:true"}), fmt.Sprintf("slice endpoints %v", eps)
	})

	// kubectl describe shows them.
	out = mustKubectl("describe", "svc", "web")
	if !regexp.MustCompile(`(?m)^Endpoints:\s+192\.0\.2\.1:8080,192\.0\.2\.4:8080,192\.0\.2\.5:8080\s*$`).MatchString(out) {
		t.Errorf("kubectl describe svc web:\n%s", out)
	}

	// 250 pods: three slices of 100, 100 and 50.
	if out, err := c.KubectlIn(strings.ReplaceAll(strings.ReplaceAll(endpointsService, "web", "big"), "tier: front", "tier: back"), nil, "apply", "-f", "-"); err != nil {
		t.Fatalf("apply big: %v\n%s", err, out)
	}
	startBig := time.Now()
	for i := range 250 {
		e2ePod(t, ctx, cs, ns, fmt.Sprintf("big-%d", i), "big", fmt.Sprintf("198.51.100.%d", 1+i))
	}
	created := time.Since(startBig)
	framework.Eventually(t, bound, func() (bool, string) {
		eps, sizes := sliceState(t, ctx, cs, ns, "big")
		return slices.Equal(sizes, []int{100, 100, 50}) && len(eps) == 250 && !slices.ContainsFunc(eps, func(s string) bool { return strings.HasSuffix(s, ":false") }),
			fmt.Sprintf("slice sizes %v", sizes)
	})
	t.Logf("250 pods created and made ready in %s; all 250 in 3 slices %s after the first", created, time.Since(startBig))
	waitKubectl(`^3$`, "get", "endpointslices", "-l", "kubernetes.io/service-name=big", "-o", "go-template={{len .items}}")
	waitKubectl(`^250$`, "get", "endpoints", "big", "-o", "go-template={{len (index .subsets 0).addresses}}")

	// A selectorless Service's hand-made Endpoints are mirrored.
	mustKubectl("apply", "-f", "testdata/examples/service-selectorless-endpoints.yaml")
	out = waitKubectl(`(?m)^my-service-\S+\s+IPv4\s+9376\s+1\.2\.3\.4\s+`, "get", "endpointslices", "-l", "kubernetes.io/service-name=my-service")
	if !strings.Contains(mustKubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=my-service", "-o", "jsonpath={.items[*].metadata.labels}"),
		"endpointslicemirroring-controller.k8s.io") {
		t.Errorf("mirrored slice not managed by the mirroring controller:\n%s", out)
	}

	// Controller metrics are on the API server's /metrics.
	metrics := mustKubectl("get", "--raw", "/metrics")
	for _, name := range []string{"endpointslice", "endpoints", "endpointslicemirroring"} {
		sum := regexp.MustCompile(`(?m)^portal_` + name + `_sync_duration_seconds_sum (\S+)$`).FindStringSubmatch(metrics)
		count := regexp.MustCompile(`(?m)^portal_` + name + `_sync_duration_seconds_count (\S+)$`).FindStringSubmatch(metrics)
		if sum == nil || count == nil {
			t.Errorf("/metrics lacks portal_%s_sync_duration_seconds", name)
			continue
		}
		var s, n float64
		fmt.Sscan(sum[1], &s)
		fmt.Sscan(count[1], &n)
		t.Logf("%s controller: %.0f syncs, mean %.2fms", name, n, 1000*s/max(n, 1))
	}

	// Deleting the Services deletes their Endpoints and slices.
	mustKubectl("delete", "svc", "web", "big", "my-service")
	framework.Eventually(t, bound, func() (bool, string) {
		out, _ := c.Kubectl("get", "endpoints,endpointslices", "-o", "name")
		// What is left is the API server's own, for the kubernetes Service.
		left := slices.DeleteFunc(strings.Fields(withoutWarnings(out)), func(n string) bool {
			return strings.HasSuffix(n, "/kubernetes")
		})
		return len(left) == 0, fmt.Sprintf("left after deleting the Services: %v", left)
	})
}

// waitSliceEvent waits on w for a slice that matches and returns how long
// after since it arrived.
func waitSliceEvent(t *testing.T, w watch.Interface, bound time.Duration, match func(*discoveryv1.EndpointSlice) bool, since time.Time) time.Duration {
	t.Helper()
	timeout := time.After(bound)
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatal("slice watch closed")
			}
			if s, isSlice := ev.Object.(*discoveryv1.EndpointSlice); isSlice && ev.Type != watch.Deleted && match(s) {
				return time.Since(since)
			}
		case <-timeout:
			t.Fatalf("no matching slice event within %s", bound)
		}
	}
}

// withoutWarnings drops the "Warning: ..." lines kubectl prints for
// deprecated APIs (v1 Endpoints, as kube-apiserver 1.33+ warns).
func withoutWarnings(out string) string {
	lines := strings.SplitAfter(out, "\n")
	lines = slices.DeleteFunc(lines, func(l string) bool { return strings.HasPrefix(l, "Warning: ") })
	return strings.Join(lines, "")
}
