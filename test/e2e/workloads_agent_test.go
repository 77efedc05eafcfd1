package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/portal-dev/portal/test/e2e/framework"
)

// These tests run workloads for real: `portal up` with its node agent and
// pod runner, the demo image (cmd/portal-demo) as a local program, and the
// real kubectl — the tutorial's story of scaling, relabelling and failing
// probes, with processes behind every pod.

const demoApp = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: demo
spec:
  replicas: 3
  selector:
    matchLabels: {app: demo}
  template:
    metadata:
      labels: {app: demo}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: demo
        image: portal-demo
        env:
        - name: NODE_NAME
          valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
        ports:
        - {name: http, containerPort: 8080}
        readinessProbe:
          httpGet: {path: /readyz, port: http}
          periodSeconds: 1
          failureThreshold: 2
        livenessProbe:
          httpGet: {path: /healthz, port: http}
          periodSeconds: 1
          failureThreshold: 2
---
apiVersion: v1
kind: Service
metadata:
  name: demo
spec:
  selector: {app: demo}
  ports:
  - {port: 80, targetPort: http}
`

// readyAddresses returns the ready and not-ready addresses of an Endpoints.
func readyAddresses(t *testing.T, client kubernetes.Interface, ns, name string) (ready, notReady []string) {
	t.Helper()
	ep, err := client.CoreV1().Endpoints(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return nil, nil
	}
	for _, s := range ep.Subsets {
		for _, a := range s.Addresses {
			ready = append(ready, a.IP)
		}
		for _, a := range s.NotReadyAddresses {
			notReady = append(notReady, a.IP)
		}
	}
	return ready, notReady
}

func applyString(t *testing.T, c *framework.Cluster, manifest string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	c.MustKubectl("apply", "-f", path)
}

func post(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Post(url, "text/plain", nil)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	resp.Body.Close()
}

func TestDeploymentWithRealPods(t *testing.T) {
	c := framework.Start(t, framework.Options{Images: true})
	client := c.Client()
	ctx := context.Background()
	applyString(t, c, demoApp)
	c.MustKubectl("rollout", "status", "deployment/demo", "--timeout=90s")
	wantReady := func(n int) {
		t.Helper()
		framework.Eventually(t, 60*time.Second, func() (bool, string) {
			r, nr := readyAddresses(t, client, "default", "demo")
			return len(r) == n && len(nr) == 0, fmt.Sprintf("ready %v not ready %v, want %d ready", r, nr, n)
		})
	}
	wantReady(3)

	// Every pod answers /host with its own address and node.
	pods, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=demo"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		resp, err := http.Get("http://" + p.Status.PodIP + ":8080/host")
		if err != nil {
			t.Fatalf("pod %s: %v", p.Name, err)
		}
		body := make([]byte, 200)
		n, _ := resp.Body.Read(body)
		resp.Body.Close()
		want := fmt.Sprintf("NODE: %s, POD IP: %s", p.Spec.NodeName, p.Status.PodIP)
		if !strings.Contains(string(body[:n]), want) {
			t.Fatalf("pod %s /host = %q, want %q", p.Name, body[:n], want)
		}
	}
	// kubectl logs shows the pod's output (the demo logs each request).
	if out := c.MustKubectl("logs", pods.Items[0].Name); !strings.Contains(out, "/host") {
		t.Fatalf("kubectl logs: %q", out)
	}

	c.MustKubectl("scale", "deployment", "demo", "--replicas", "5")
	wantReady(5)
	c.MustKubectl("scale", "deployment", "demo", "--replicas", "1")
	wantReady(1)

	// The tutorial's relabel: the pod leaves the endpoints and the
	// ReplicaSet starts a replacement.
	r, _ := readyAddresses(t, client, "default", "demo")
	victim := podByIP(t, client, r[0])
	c.MustKubectl("label", "pod", victim, "app=nope", "--overwrite")
	framework.Eventually(t, 60*time.Second, func() (bool, string) {
		r, _ := readyAddresses(t, client, "default", "demo")
		return len(r) == 1 && podByIP(t, client, r[0]) != victim, fmt.Sprintf("ready %v", r)
	})
	c.MustKubectl("delete", "pod", victim)

	// Readiness made to fail: not ready within periodSeconds ×
	// failureThreshold + 1 s (plus the time the change takes to reach the
	// Endpoints; the bound below only keeps a broken build from hanging).
	r, _ = readyAddresses(t, client, "default", "demo")
	ip := r[0]
	start := time.Now()
	post(t, "http://"+ip+":8080/fail/ready")
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		_, nr := readyAddresses(t, client, "default", "demo")
		return len(nr) == 1 && nr[0] == ip, fmt.Sprintf("not ready %v", nr)
	})
	t.Logf("readiness failure reached notReadyAddresses in %v (budget 1s × 2 + 1s = 3s)", time.Since(start).Round(time.Millisecond))
	post(t, "http://"+ip+":8080/ok/ready")
	wantReady(1)

	// Liveness failure restarts the container and counts it.
	name := podByIP(t, client, ip)
	post(t, "http://"+ip+":8080/fail/live")
	framework.Eventually(t, 60*time.Second, func() (bool, string) {
		p, err := client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil || len(p.Status.ContainerStatuses) == 0 {
			return false, fmt.Sprint(err)
		}
		return p.Status.ContainerStatuses[0].RestartCount >= 1, fmt.Sprintf("restartCount %d", p.Status.ContainerStatuses[0].RestartCount)
	})
	wantReady(1)

	// Deleting a pod makes its endpoint terminating, then removes it.
	sawTerminating := make(chan bool, 1)
	watchCtx, stop := context.WithCancel(ctx)
	defer stop()
	w, err := client.DiscoveryV1().EndpointSlices("default").Watch(watchCtx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=demo"})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for ev := range w.ResultChan() {
			slice, ok := ev.Object.(*discoveryv1.EndpointSlice)
			if !ok {
				continue
			}
			for _, e := range slice.Endpoints {
				if len(e.Addresses) > 0 && e.Addresses[0] == ip && e.Conditions.Terminating != nil && *e.Conditions.Terminating {
					sawTerminating <- true
					return
				}
			}
		}
	}()
	c.MustKubectl("delete", "pod", name, "--wait=false")
	select {
	case <-sawTerminating:
	case <-time.After(30 * time.Second):
		t.Fatal("the deleted pod's endpoint never showed terminating=true")
	}
	framework.Eventually(t, 60*time.Second, func() (bool, string) {
		r, nr := readyAddresses(t, client, "default", "demo")
		for _, a := range append(r, nr...) {
			if a == ip {
				return false, fmt.Sprintf("%s still listed", ip)
			}
		}
		return len(r) == 1, fmt.Sprintf("ready %v", r)
	})
}

func podByIP(t *testing.T, client kubernetes.Interface, ip string) string {
	t.Helper()
	pods, err := client.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{FieldSelector: "status.podIP=" + ip})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("no pod with IP %s: %v", ip, err)
	}
	return pods.Items[0].Name
}

const statefulDemo = `apiVersion: v1
kind: Service
metadata:
  name: nginx
spec:
  clusterIP: None
  selector: {app: sts}
  ports:
  - {name: web, port: 80, targetPort: 8080}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: nginx
  replicas: 2
  selector:
    matchLabels: {app: sts}
  template:
    metadata:
      labels: {app: sts}
    spec:
      containers:
      - name: web
        image: portal-demo
        readinessProbe:
          httpGet: {path: /readyz, port: 8080}
          periodSeconds: 1
`

const jobDemo = `apiVersion: batch/v1
kind: Job
metadata:
  name: six
spec:
  completions: 6
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: work
        image: busybox
        command: ["sh", "-c", "echo working; sleep 0.5"]
`

func TestStatefulSetAndJobWithRealPods(t *testing.T) {
	c := framework.Start(t, framework.Options{Images: true})
	client := c.Client()
	ctx := context.Background()

	applyString(t, c, statefulDemo)
	c.MustKubectl("rollout", "status", "statefulset/web", "--timeout=90s")
	for _, name := range []string{"web-0", "web-1"} {
		p, err := client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Spec.Hostname != name || p.Spec.Subdomain != "nginx" {
			t.Fatalf("%s hostname %q subdomain %q", name, p.Spec.Hostname, p.Spec.Subdomain)
		}
	}
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		out, _ := c.Kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=nginx", "-o", "jsonpath={.items[*].endpoints[*].hostname}")
		return strings.Contains(out, "web-0") && strings.Contains(out, "web-1"), out
	})

	// A Job of 6 completions, 2 at a time: sample the active pods all along.
	var mu sync.Mutex
	maxActive := 0
	sampleCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for sampleCtx.Err() == nil {
			pods, err := client.CoreV1().Pods("default").List(sampleCtx, metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=six"})
			if err == nil {
				active := 0
				for _, p := range pods.Items {
					if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed && p.DeletionTimestamp == nil {
						active++
					}
				}
				mu.Lock()
				if active > maxActive {
					maxActive = active
				}
				mu.Unlock()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	applyString(t, c, jobDemo)
	c.MustKubectl("wait", "--for=condition=complete", "job/six", "--timeout=120s")
	stop()
	<-done
	succeeded := c.MustKubectl("get", "job", "six", "-o", "jsonpath={.status.succeeded}")
	if strings.TrimSpace(succeeded) != "6" {
		t.Fatalf("succeeded %q, want 6", succeeded)
	}
	if maxActive > 2 {
		t.Fatalf("%d pods were active at once; parallelism is 2", maxActive)
	}
	if maxActive < 1 {
		t.Fatal("never saw an active pod")
	}
	t.Logf("job six: 6 completions, at most %d active at once", maxActive)
	if out := c.MustKubectl("logs", "job/six"); !strings.Contains(out, "working") {
		t.Fatalf("kubectl logs job/six: %q", out)
	}
}

// TestBadPodsLeaveTheAgentServing: a command that does not exist, a probe
// that hangs past its timeout and a process that forks and exits each get
// a clear status, and a healthy pod beside them still runs.
func TestBadPodsLeaveTheAgentServing(t *testing.T) {
	c := framework.Start(t, framework.Options{Images: true})
	client := c.Client()
	ctx := context.Background()
	applyString(t, c, `apiVersion: v1
kind: Pod
metadata: {name: nocommand}
spec:
  containers:
  - {name: c, image: busybox, command: ["/no/such/program"]}
---
apiVersion: v1
kind: Pod
metadata: {name: noimage}
spec:
  containers:
  - {name: c, image: "nginx:1.25"}
---
apiVersion: v1
kind: Pod
metadata: {name: hangprobe}
spec:
  containers:
  - name: c
    image: busybox
    command: ["sleep", "300"]
    readinessProbe:
      exec: {command: ["sleep", "100"]}
      timeoutSeconds: 1
      periodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata: {name: forker}
spec:
  restartPolicy: Never
  containers:
  - {name: c, image: busybox, command: ["sh", "-c", "sleep 300 & exit 0"]}
---
apiVersion: v1
kind: Pod
metadata: {name: healthy, labels: {app: healthy}}
spec:
  containers:
  - {name: c, image: portal-demo}
`)
	waiting := func(pod, reason string) {
		t.Helper()
		framework.Eventually(t, 60*time.Second, func() (bool, string) {
			p, err := client.CoreV1().Pods("default").Get(ctx, pod, metav1.GetOptions{})
			if err != nil || len(p.Status.ContainerStatuses) == 0 {
				return false, fmt.Sprint(err)
			}
			st := p.Status.ContainerStatuses[0]
			got := ""
			if st.State.Waiting != nil {
				got = st.State.Waiting.Reason + ": " + st.State.Waiting.Message
			}
			return strings.HasPrefix(got, reason), got
		})
	}
	waiting("nocommand", "") // any waiting state first
	framework.Eventually(t, 60*time.Second, func() (bool, string) {
		p, _ := client.CoreV1().Pods("default").Get(ctx, "nocommand", metav1.GetOptions{})
		if p == nil || len(p.Status.ContainerStatuses) == 0 {
			return false, "no status"
		}
		st := p.Status.ContainerStatuses[0]
		w := st.State.Waiting
		return w != nil && (w.Reason == "CrashLoopBackOff" || w.Reason == "RunContainerError") && st.RestartCount >= 1,
			fmt.Sprintf("%+v restarts %d", st.State, st.RestartCount)
	})
	waiting("noimage", "ImageNotRunnable")
	framework.Eventually(t, 60*time.Second, func() (bool, string) {
		p, _ := client.CoreV1().Pods("default").Get(ctx, "forker", metav1.GetOptions{})
		if p == nil {
			return false, "none"
		}
		return p.Status.Phase == corev1.PodSucceeded, string(p.Status.Phase)
	})
	// The hanging probe keeps the pod unready but running, and the
	// healthy pod is Ready all the same.
	c.MustKubectl("wait", "--for=condition=Ready", "pod/healthy", "--timeout=60s")
	p, err := client.CoreV1().Pods("default").Get(ctx, "hangprobe", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.Phase != corev1.PodRunning || len(p.Status.ContainerStatuses) == 0 || p.Status.ContainerStatuses[0].Ready {
		t.Fatalf("hangprobe: phase %s statuses %+v", p.Status.Phase, p.Status.ContainerStatuses)
	}
	out := c.MustKubectl("describe", "pod", "noimage")
	if !strings.Contains(out, "ImageNotRunnable") {
		t.Fatalf("describe pod noimage: %s", out)
	}
}
