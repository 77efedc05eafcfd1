package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"

	"github.com/portal-dev/portal/test/e2e/framework"
)

// rolloutDeployment has 3 replicas and the default strategy written out:
// 25% of 3 rounds up to maxSurge 1 and down to maxUnavailable 0.
const rolloutDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  annotations:
    kubernetes.io/change-cause: first
spec:
  replicas: 3
  selector:
    matchLabels: {app: shop}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
      - name: shop
        image: demo:v1
        ports:
        - containerPort: 8080
`

// TestWorkloads drives Deployments, ReplicaSets and the garbage collector
// through kubectl, with a stand-in kubelet marking pods ready (no node agent
// runs in this suite).
func TestWorkloads(t *testing.T) {
	// A stand-in kubelet plays the node in this test, so no agent runs.
	c := framework.Start(t, framework.Options{Args: []string{"--agent=false"}})
	client := c.Client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kubelet := startFakeKubelet(ctx, t, client)

	manifest := filepath.Join(t.TempDir(), "shop.yaml")
	if err := os.WriteFile(manifest, []byte(rolloutDeployment), 0o644); err != nil {
		t.Fatal(err)
	}

	// Create: 3 pods, rollout status reports success.
	start := time.Now()
	c.MustKubectl("apply", "-f", manifest)
	rolloutStatus(t, c, "shop")
	t.Logf("rollout of 3 pods from apply to 'successfully rolled out': %s", time.Since(start).Round(time.Millisecond))
	waitPods(t, client, "app=shop", 3)
	rs1 := onlyReplicaSet(t, client)
	for _, p := range activePods(t, client, "app=shop") {
		ref := metav1.GetControllerOf(&p)
		if ref == nil || ref.UID != rs1.UID || !strings.HasPrefix(p.Name, rs1.Name+"-") || p.Labels["pod-template-hash"] != rs1.Labels["pod-template-hash"] {
			t.Fatalf("pod %s not created by %s: %+v", p.Name, rs1.Name, p.ObjectMeta)
		}
	}
	out := c.MustKubectl("get", "deployments.apps", "shop")
	if !regexp.MustCompile(`shop\s+3/3\s+3\s+3\s+`).MatchString(out) {
		t.Fatalf("kubectl get deploy:\n%s", out)
	}

	// Scale through /scale.
	for _, n := range []int{5, 1} {
		start := time.Now()
		c.MustKubectl("scale", "deployment", "shop", "--replicas", fmt.Sprint(n))
		waitPods(t, client, "app=shop", n)
		rolloutStatus(t, c, "shop")
		t.Logf("scale to %d: %s", n, time.Since(start).Round(time.Millisecond))
	}
	c.MustKubectl("scale", "deployment", "shop", "--replicas", "3")
	waitPods(t, client, "app=shop", 3)
	rolloutStatus(t, c, "shop")

	// Relabel a pod out of the ReplicaSet: it is released and replaced.
	victim := activePods(t, client, "app=shop")[0].Name
	c.MustKubectl("label", "pod", victim, "app=nope", "--overwrite")
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		p, err := client.CoreV1().Pods("default").Get(ctx, victim, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		n := len(activePods(t, client, "app=shop"))
		return len(p.OwnerReferences) == 0 && n == 3, fmt.Sprintf("ownerReferences %v, %d app=shop pods", p.OwnerReferences, n)
	})

	// Rolling update: never fewer than 3 ready pods (maxUnavailable 0),
	// never more than 4 pods (maxSurge 1). New pods take a while to become
	// ready, so the rollout has to wait for them.
	kubelet.setDelay(300 * time.Millisecond)
	sampler := sampleAvailability(ctx, t, client, "app=shop")
	start = time.Now()
	c.MustKubectl("set", "image", "deployment/shop", "shop=demo:v2")
	c.MustKubectl("annotate", "deployment/shop", "kubernetes.io/change-cause=second", "--overwrite")
	rolloutStatus(t, c, "shop")
	t.Logf("rolling update of 3 pods, each ready 300ms after creation: %s", time.Since(start).Round(time.Millisecond))
	waitPods(t, client, "app=shop", 3)
	s := sampler.stop()
	kubelet.setDelay(0)
	t.Logf("during the rollout: %d pod states sampled, worst %d unavailable, most %d pods", s.samples, s.worstUnavailable, s.mostPods)
	if s.worstUnavailable > 0 || s.mostPods > 4 {
		t.Fatalf("rollout exceeded its bounds: %d unavailable (max 0), %d pods (max 4)", s.worstUnavailable, s.mostPods)
	}
	if s.mostPods < 4 {
		t.Fatalf("the rollout never surged (most %d pods): the sampler saw nothing", s.mostPods)
	}
	rss, err := client.AppsV1().ReplicaSets("default").List(ctx, metav1.ListOptions{LabelSelector: "app=shop"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rss.Items) != 2 {
		t.Fatalf("%d ReplicaSets after the update, want 2", len(rss.Items))
	}
	for _, rs := range rss.Items {
		want := int32(0)
		if rs.Spec.Template.Spec.Containers[0].Image == "demo:v2" {
			want = 3
		}
		if *rs.Spec.Replicas != want || rs.Status.Replicas != want {
			t.Fatalf("ReplicaSet %s (%s) has %d/%d replicas, want %d", rs.Name, rs.Spec.Template.Spec.Containers[0].Image, *rs.Spec.Replicas, rs.Status.Replicas, want)
		}
	}

	// History and undo work from the revision annotations.
	out = c.MustKubectl("rollout", "history", "deployment/shop")
	if !regexp.MustCompile(`(?m)^1\s+first\s*$`).MatchString(out) || !regexp.MustCompile(`(?m)^2\s+second\s*$`).MatchString(out) {
		t.Fatalf("rollout history:\n%s", out)
	}
	out = c.MustKubectl("rollout", "undo", "deployment/shop")
	if !strings.Contains(out, "deployment.apps/shop rolled back") {
		t.Fatalf("rollout undo: %s", out)
	}
	rolloutStatus(t, c, "shop")
	out = c.MustKubectl("get", "deployments.apps", "shop", "-o", `jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision} {.spec.template.spec.containers[0].image}`)
	if out != "3 demo:v1" {
		t.Fatalf("after undo: revision and image %q, want \"3 demo:v1\"", out)
	}
	out = c.MustKubectl("describe", "deployments.apps", "shop")
	for _, w := range []string{`Available\s+True\s+MinimumReplicasAvailable`, `Progressing\s+True\s+NewReplicaSetAvailable`, `ScalingReplicaSet`} {
		if !regexp.MustCompile(w).MatchString(out) {
			t.Fatalf("describe does not match %q:\n%s", w, out)
		}
	}

	// Delete: the garbage collector removes the ReplicaSets and their pods;
	// the released pod, owned by nothing, stays.
	start = time.Now()
	c.MustKubectl("delete", "deployment", "shop")
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		rss, err := client.AppsV1().ReplicaSets("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		pods, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=shop"})
		if err != nil {
			return false, err.Error()
		}
		return len(rss.Items) == 0 && len(pods.Items) == 0, fmt.Sprintf("%d ReplicaSets, %d pods left", len(rss.Items), len(pods.Items))
	})
	t.Logf("cascading delete of 2 ReplicaSets and 3 pods: %s", time.Since(start).Round(time.Millisecond))
	if _, err := client.CoreV1().Pods("default").Get(ctx, victim, metav1.GetOptions{}); err != nil {
		t.Fatalf("the released pod was collected: %v", err)
	}
	t.Logf("fake kubelet readied %d pods", kubelet.readied())
}

// TestDeletePropagation: kubectl's --cascade=orphan keeps the ReplicaSet
// (without its owner reference), --cascade=foreground deletes it first.
func TestDeletePropagation(t *testing.T) {
	// A stand-in kubelet plays the node in this test, so no agent runs.
	c := framework.Start(t, framework.Options{Args: []string{"--agent=false"}})
	client := c.Client()
	ctx := context.Background()
	manifest := filepath.Join(t.TempDir(), "shop.yaml")
	if err := os.WriteFile(manifest, []byte(rolloutDeployment), 0o644); err != nil {
		t.Fatal(err)
	}

	c.MustKubectl("apply", "-f", manifest)
	waitPods(t, client, "app=shop", 3)
	rs := onlyReplicaSet(t, client)
	c.MustKubectl("delete", "deployment", "shop", "--cascade=orphan")
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		_, err := client.AppsV1().Deployments("default").Get(ctx, "shop", metav1.GetOptions{})
		got, rerr := client.AppsV1().ReplicaSets("default").Get(ctx, rs.Name, metav1.GetOptions{})
		if rerr != nil {
			return false, rerr.Error()
		}
		return apierrors.IsNotFound(err) && len(got.OwnerReferences) == 0, fmt.Sprintf("deployment: %v; ReplicaSet owners %v", err, got.OwnerReferences)
	})
	waitPods(t, client, "app=shop", 3)

	// Applying again adopts the orphaned ReplicaSet rather than creating one.
	c.MustKubectl("apply", "-f", manifest)
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		got, err := client.AppsV1().ReplicaSets("default").Get(ctx, rs.Name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		ref := metav1.GetControllerOf(got)
		return ref != nil && ref.Kind == "Deployment", fmt.Sprintf("owners %v", got.OwnerReferences)
	})
	if n := len(listReplicaSets(t, client)); n != 1 {
		t.Fatalf("%d ReplicaSets after re-apply, want the adopted one", n)
	}

	out := c.MustKubectl("delete", "deployment", "shop", "--cascade=foreground")
	if !strings.Contains(out, `deployment.apps "shop" deleted`) {
		t.Fatalf("delete: %s", out)
	}
	framework.Eventually(t, 30*time.Second, func() (bool, string) {
		_, err := client.AppsV1().Deployments("default").Get(ctx, "shop", metav1.GetOptions{})
		n := len(listReplicaSets(t, client))
		pods := len(activePods(t, client, "app=shop"))
		return apierrors.IsNotFound(err) && n == 0 && pods == 0, fmt.Sprintf("deployment: %v; %d ReplicaSets, %d pods", err, n, pods)
	})
}

func rolloutStatus(t *testing.T, c *framework.Cluster, name string) {
	t.Helper()
	out, err := c.Kubectl("rollout", "status", "deployment/"+name, "--timeout=60s")
	if err != nil || !strings.Contains(out, fmt.Sprintf("deployment %q successfully rolled out", name)) {
		t.Fatalf("rollout status: %v\n%s\n%s", err, out, c.Logs())
	}
}

func listReplicaSets(t *testing.T, client kubernetes.Interface) []string {
	t.Helper()
	rss, err := client.AppsV1().ReplicaSets("default").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rs := range rss.Items {
		out = append(out, rs.Name)
	}
	return out
}

func onlyReplicaSet(t *testing.T, client kubernetes.Interface) *metav1.ObjectMeta {
	t.Helper()
	rss, err := client.AppsV1().ReplicaSets("default").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rss.Items) != 1 {
		t.Fatalf("%d ReplicaSets, want 1", len(rss.Items))
	}
	return &rss.Items[0].ObjectMeta
}

// activePods lists the pods matching selector that are not terminating.
func activePods(t *testing.T, client kubernetes.Interface, selector string) []corev1.Pod {
	t.Helper()
	pods, err := client.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	var out []corev1.Pod
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

func waitPods(t *testing.T, client kubernetes.Interface, selector string, n int) {
	t.Helper()
	framework.Eventually(t, 60*time.Second, func() (bool, string) {
		got := len(activePods(t, client, selector))
		return got == n, fmt.Sprintf("%d pods match %s, want %d", got, selector, n)
	})
}

// fakeKubelet stands in for the node agent: it marks every new pod
// Running and Ready with a loopback pod IP, through the status endpoint.
// Pods stay unscheduled (no scheduler runs), so they are deleted at once.
type fakeKubelet struct {
	mu    sync.Mutex
	n     int
	delay time.Duration
}

// setDelay makes pods become ready d after the fake kubelet sees them.
func (k *fakeKubelet) setDelay(d time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.delay = d
}

func (k *fakeKubelet) readied() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.n
}

func startFakeKubelet(ctx context.Context, t *testing.T, client kubernetes.Interface) *fakeKubelet {
	t.Helper()
	k := &fakeKubelet{}
	factory := informers.NewSharedInformerFactory(client, 0)
	inf := factory.Core().V1().Pods().Informer()
	work := make(chan *corev1.Pod, 1024)
	ready := func(obj interface{}) {
		pod, ok := obj.(*corev1.Pod)
		if ok && pod.DeletionTimestamp == nil && pod.Status.Phase == corev1.PodPending {
			work <- pod
		}
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    ready,
		UpdateFunc: func(_, obj interface{}) { ready(obj) },
	})
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case pod := <-work:
				k.mu.Lock()
				delay := k.delay
				k.mu.Unlock()
				if delay == 0 {
					k.markReady(ctx, t, client, pod)
					continue
				}
				time.AfterFunc(delay, func() { k.markReady(ctx, t, client, pod) })
			}
		}
	}()
	factory.Start(ctx.Done())
	t.Cleanup(factory.Shutdown)
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		t.Fatal("fake kubelet: pod cache did not sync")
	}
	return k
}

func (k *fakeKubelet) markReady(ctx context.Context, t *testing.T, client kubernetes.Interface, pod *corev1.Pod) {
	k.mu.Lock()
	k.n++
	n := k.n
	k.mu.Unlock()
	ip := fmt.Sprintf("127.244.%d.%d", n/250, n%250+1)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.UID != pod.UID || cur.DeletionTimestamp != nil || cur.Status.Phase != corev1.PodPending {
			return nil
		}
		now := metav1.Now()
		cur.Status.Phase = corev1.PodRunning
		cur.Status.PodIP = ip
		cur.Status.PodIPs = []corev1.PodIP{{IP: ip}}
		cur.Status.StartTime = &now
		cur.Status.Conditions = nil
		for _, ct := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
			cur.Status.Conditions = append(cur.Status.Conditions, corev1.PodCondition{Type: ct, Status: corev1.ConditionTrue, LastTransitionTime: now})
		}
		_, err = client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
		t.Errorf("fake kubelet: %s: %v", pod.Name, err)
	}
}

// availability is what sampleAvailability saw.
type availability struct {
	samples          int
	worstUnavailable int
	mostPods         int
}

type sampler struct {
	cancel context.CancelFunc
	done   chan availability
}

func (s *sampler) stop() availability {
	s.cancel()
	return <-s.done
}

// sampleAvailability watches the pods matching selector and, after every
// change, counts the pods that are not terminating and those of them that
// are ready: it records the largest shortfall of ready pods below the
// Deployment's replicas (read at start) and the largest pod count.
func sampleAvailability(ctx context.Context, t *testing.T, client kubernetes.Interface, selector string) *sampler {
	t.Helper()
	d, err := client.AppsV1().Deployments("default").Get(ctx, "shop", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	desired := int(*d.Spec.Replicas)
	ctx, cancel := context.WithCancel(ctx)
	s := &sampler{cancel: cancel, done: make(chan availability, 1)}
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace("default"),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = selector }))
	inf := factory.Core().V1().Pods().Informer()
	var mu sync.Mutex
	var got availability
	measure := func() {
		mu.Lock()
		defer mu.Unlock()
		pods, ready := 0, 0
		for _, obj := range inf.GetStore().List() {
			p := obj.(*corev1.Pod)
			if p.DeletionTimestamp != nil {
				continue
			}
			pods++
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		got.samples++
		got.worstUnavailable = max(got.worstUnavailable, desired-ready)
		got.mostPods = max(got.mostPods, pods)
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(interface{}) { measure() },
		UpdateFunc: func(_, _ interface{}) { measure() },
		DeleteFunc: func(interface{}) { measure() },
	})
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		t.Fatal("sampler: pod cache did not sync")
	}
	go func() {
		<-ctx.Done()
		factory.Shutdown()
		mu.Lock()
		defer mu.Unlock()
		s.done <- got
	}()
	return s
}
