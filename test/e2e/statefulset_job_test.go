package e2e

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/portal-dev/portal/test/e2e/framework"
)

// stsKubelet stands in for the node agent, which this suite does not
// run: it marks every new pod of its namespace Running and Ready (podIP
// 127.244.x.y) after readyDelay, and, for pods a Job owns, Succeeded after
// runFor more. Pods keep an empty nodeName: it cannot be set by update.
type stsKubelet struct {
	t                  *testing.T
	client             kubernetes.Interface
	readyDelay, runFor time.Duration

	mu      sync.Mutex
	readyAt map[string]time.Time // pod name -> when it was marked ready
	nextIP  int
}

func startKubelet(t *testing.T, client kubernetes.Interface, ns string, readyDelay, runFor time.Duration) *stsKubelet {
	k := &stsKubelet{t: t, client: client, readyDelay: readyDelay, runFor: runFor, readyAt: map[string]time.Time{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns))
	_, _ = factory.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			pod := obj.(*corev1.Pod)
			if pod.Status.Phase != corev1.PodPending || pod.DeletionTimestamp != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); k.run(ctx, pod) }()
		},
	})
	factory.Start(ctx.Done())
	return k
}

func (k *stsKubelet) run(ctx context.Context, pod *corev1.Pod) {
	sleep := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	if !sleep(k.readyDelay) {
		return
	}
	k.mu.Lock()
	k.nextIP++
	ip := fmt.Sprintf("127.244.%d.%d", k.nextIP/250, k.nextIP%250+1)
	k.mu.Unlock()
	if !k.setStatus(ctx, pod.Name, pod.Namespace, func(p *corev1.Pod) { running(p, ip) }) {
		return
	}
	k.mu.Lock()
	k.readyAt[pod.Name] = time.Now()
	k.mu.Unlock()
	if ref := metav1.GetControllerOf(pod); ref == nil || ref.Kind != "Job" || !sleep(k.runFor) {
		return
	}
	k.setStatus(ctx, pod.Name, pod.Namespace, succeeded)
}

// setStatus applies mutate to the pod's latest status, retrying on
// conflicts; it reports false if the pod is gone or the test is over.
func (k *stsKubelet) setStatus(ctx context.Context, name, ns string, mutate func(*corev1.Pod)) bool {
	for ctx.Err() == nil {
		pod, err := k.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil || pod.DeletionTimestamp != nil {
			return false
		}
		mutate(pod)
		_, err = k.client.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		switch {
		case err == nil:
			return true
		case apierrors.IsConflict(err):
			continue
		case apierrors.IsNotFound(err) || ctx.Err() != nil:
			return false
		default:
			k.t.Errorf("kubelet: update status of %s: %v", name, err)
			return false
		}
	}
	return false
}

func (k *stsKubelet) readyTime(name string) (time.Time, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	t, ok := k.readyAt[name]
	return t, ok
}

func running(pod *corev1.Pod, ip string) {
	now := metav1.Now()
	pod.Status.Phase = corev1.PodRunning
	pod.Status.PodIP = ip
	pod.Status.PodIPs = []corev1.PodIP{{IP: ip}}
	pod.Status.StartTime = &now
	pod.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}
	pod.Status.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, Ready: true, Started: ptrTo(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
}

func succeeded(pod *corev1.Pod) {
	now := metav1.Now()
	pod.Status.Phase = corev1.PodSucceeded
	for i := range pod.Status.Conditions {
		if t := pod.Status.Conditions[i].Type; t == corev1.PodReady || t == corev1.ContainersReady {
			pod.Status.Conditions[i].Status = corev1.ConditionFalse
			pod.Status.Conditions[i].LastTransitionTime = now
		}
	}
	for i := range pod.Status.ContainerStatuses {
		s := &pod.Status.ContainerStatuses[i]
		s.Ready, s.Started = false, ptrTo(false)
		s.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", FinishedAt: now}}
	}
}

func ptrTo[T any](v T) *T { return &v }

// podEvents records, in order, when pods matching a label selector are
// added and deleted, and runs onChange with the informer's store after
// every event.
type podEvents struct {
	mu      sync.Mutex
	added   []string
	addedAt map[string]time.Time
	deleted []string
}

func watchPods(t *testing.T, client kubernetes.Interface, ns, selector string, onChange func([]*corev1.Pod)) *podEvents {
	ev := &podEvents{addedAt: map[string]time.Time{}}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = selector }))
	inf := factory.Core().V1().Pods().Informer()
	changed := func() {
		if onChange == nil {
			return
		}
		var pods []*corev1.Pod
		for _, o := range inf.GetStore().List() {
			pods = append(pods, o.(*corev1.Pod))
		}
		onChange(pods)
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			ev.mu.Lock()
			name := obj.(*corev1.Pod).Name
			ev.added = append(ev.added, name)
			ev.addedAt[name] = time.Now()
			ev.mu.Unlock()
			changed()
		},
		UpdateFunc: func(_, _ interface{}) { changed() },
		DeleteFunc: func(obj interface{}) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			ev.mu.Lock()
			ev.deleted = append(ev.deleted, obj.(*corev1.Pod).Name)
			ev.mu.Unlock()
			changed()
		},
	})
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		t.Fatal("pod informer did not sync")
	}
	return ev
}

func (e *podEvents) snapshot() (added, deleted []string, addedAt map[string]time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	at := make(map[string]time.Time, len(e.addedAt))
	for k, v := range e.addedAt {
		at[k] = v
	}
	return slices.Clone(e.added), slices.Clone(e.deleted), at
}

const webStatefulSet = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  clusterIP: None
  clusterIPs: ["None"]
  selector: {app: web}
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx
`

const countJob = `apiVersion: batch/v1
kind: Job
metadata:
  name: count
spec:
  completions: 6
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: count
        image: busybox
`

const helloCronJob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  schedule: "*/5 * * * *"
  successfulJobsHistoryLimit: 2
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: hello
            image: busybox
`

// TestWorkloadControllers runs the StatefulSet, Job and CronJob
// controllers of `portal up` with a fake kubelet standing in for the node
// agent.
func TestWorkloadControllers(t *testing.T) {
	// A stand-in kubelet plays the node in this test, so no agent runs.
	c := framework.Start(t, framework.Options{Args: []string{"--agent=false"}})
	client := c.Client()
	ctx := context.Background()

	t.Run("statefulset", func(t *testing.T) {
		ns := "sts"
		c.MustKubectl("create", "namespace", ns)
		events := watchPods(t, client, ns, "app=web", nil)
		kubelet := startKubelet(t, client, ns, 500*time.Millisecond, 0)
		out, err := c.KubectlIn(webStatefulSet, nil, "-n", ns, "apply", "-f", "-")
		if err != nil {
			t.Fatalf("apply: %v\n%s", err, out)
		}
		framework.Eventually(t, 60*time.Second, func() (bool, string) {
			out, _ := c.Kubectl("-n", ns, "get", "sts", "web", "-o", "jsonpath={.status.readyReplicas}/{.status.replicas}")
			return out == "2/2", "ready/replicas " + out
		})
		added, _, addedAt := events.snapshot()
		if !slices.Equal(added, []string{"web-0", "web-1"}) {
			t.Fatalf("pods created in order %v, want [web-0 web-1]", added)
		}
		// OrderedReady: web-1 only once web-0 was Running and Ready.
		ready0, ok := kubelet.readyTime("web-0")
		if !ok || addedAt["web-1"].Before(ready0) {
			t.Fatalf("web-1 created at %s, before web-0 was ready (%s)", addedAt["web-1"].Format(time.StampMilli), ready0.Format(time.StampMilli))
		}
		for _, name := range []string{"web-0", "web-1"} {
			pod, err := client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if pod.Spec.Hostname != name || pod.Spec.Subdomain != "web" ||
				pod.Labels["statefulset.kubernetes.io/pod-name"] != name || pod.Labels["controller-revision-hash"] == "" {
				t.Errorf("%s: hostname %q subdomain %q labels %v", name, pod.Spec.Hostname, pod.Spec.Subdomain, pod.Labels)
			}
			if ref := metav1.GetControllerOf(pod); ref == nil || ref.Kind != "StatefulSet" || ref.Name != "web" {
				t.Errorf("%s: controller %+v", name, ref)
			}
		}
		if out := c.MustKubectl("-n", ns, "get", "sts", "web"); !regexp.MustCompile(`web\s+2/2\s+`).MatchString(out) {
			t.Errorf("kubectl get sts:\n%s", out)
		}
		if out, err := c.Kubectl("-n", ns, "rollout", "status", "sts/web", "--timeout=30s"); err != nil {
			t.Errorf("rollout status: %v\n%s", err, out)
		}

		// kubectl scale goes through /scale.
		c.MustKubectl("-n", ns, "scale", "statefulset", "web", "--replicas", "3")
		framework.Eventually(t, 60*time.Second, func() (bool, string) {
			out, _ := c.Kubectl("-n", ns, "get", "sts", "web", "-o", "jsonpath={.status.readyReplicas}")
			return out == "3", "ready " + out
		})

		// A rolling update replaces the pods from the highest ordinal down.
		c.MustKubectl("-n", ns, "set", "image", "statefulset/web", "nginx=nginx:2")
		if out, err := c.Kubectl("-n", ns, "rollout", "status", "sts/web", "--timeout=60s"); err != nil {
			t.Fatalf("rollout status after set image: %v\n%s", err, out)
		}
		if _, deleted, _ := events.snapshot(); !slices.Equal(deleted, []string{"web-2", "web-1", "web-0"}) {
			t.Fatalf("rolling update deleted %v, want [web-2 web-1 web-0]", deleted)
		}
		set, err := client.AppsV1().StatefulSets(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if st := set.Status; st.CurrentRevision != st.UpdateRevision || st.UpdatedReplicas != 3 || st.ObservedGeneration != set.Generation {
			t.Fatalf("status after the rollout %+v", st)
		}
		for _, name := range []string{"web-0", "web-1", "web-2"} {
			pod, err := client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if pod.Spec.Containers[0].Image != "nginx:2" || pod.Labels["controller-revision-hash"] != set.Status.UpdateRevision {
				t.Errorf("%s runs %s at %s", name, pod.Spec.Containers[0].Image, pod.Labels["controller-revision-hash"])
			}
		}

		c.MustKubectl("-n", ns, "scale", "statefulset", "web", "--replicas", "1")
		framework.Eventually(t, 60*time.Second, func() (bool, string) {
			_, deleted, _ := events.snapshot()
			return len(deleted) == 5, fmt.Sprintf("deleted %v", deleted)
		})
		if _, deleted, _ := events.snapshot(); !slices.Equal(deleted[3:], []string{"web-2", "web-1"}) {
			t.Fatalf("scale down deleted %v, want [web-2 web-1]", deleted[3:])
		}

		// A deleted member comes back under the same name.
		old, err := client.CoreV1().Pods(ns).Get(ctx, "web-0", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c.MustKubectl("-n", ns, "delete", "pod", "web-0")
		framework.Eventually(t, 60*time.Second, func() (bool, string) {
			pod, err := client.CoreV1().Pods(ns).Get(ctx, "web-0", metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			return pod.UID != old.UID && pod.Status.Phase == corev1.PodRunning, "phase " + string(pod.Status.Phase)
		})
	})

	t.Run("job", func(t *testing.T) {
		ns := "batch"
		c.MustKubectl("create", "namespace", ns)
		var mu sync.Mutex
		maxActive, maxStatusActive := 0, int32(0)
		seen := map[string]bool{}
		watchPods(t, client, ns, "batch.kubernetes.io/job-name=count", func(pods []*corev1.Pod) {
			active := 0
			mu.Lock()
			defer mu.Unlock()
			for _, p := range pods {
				seen[p.Name] = true
				if p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
					active++
				}
			}
			maxActive = max(maxActive, active)
		})
		jobCtx, stopJobs := context.WithCancel(ctx)
		defer stopJobs()
		go func() {
			for jobCtx.Err() == nil {
				if job, err := client.BatchV1().Jobs(ns).Get(jobCtx, "count", metav1.GetOptions{}); err == nil {
					mu.Lock()
					maxStatusActive = max(maxStatusActive, job.Status.Active)
					mu.Unlock()
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
		startKubelet(t, client, ns, 100*time.Millisecond, 300*time.Millisecond)
		if out, err := c.KubectlIn(countJob, nil, "-n", ns, "apply", "-f", "-"); err != nil {
			t.Fatalf("apply: %v\n%s", err, out)
		}
		framework.Eventually(t, 90*time.Second, func() (bool, string) {
			out, _ := c.Kubectl("-n", ns, "get", "job", "count", "-o", `jsonpath={.status.succeeded} {.status.conditions[?(@.type=="Complete")].status}`)
			return out == "6 True", "succeeded/complete: " + out
		})
		stopJobs()
		job, err := client.BatchV1().Jobs(ns).Get(ctx, "count", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if maxActive > 2 || maxStatusActive > 2 {
			t.Fatalf("saw %d active pods (status.active up to %d); parallelism is 2", maxActive, maxStatusActive)
		}
		if maxActive < 2 {
			t.Errorf("never more than %d active pod: parallelism 2 unused", maxActive)
		}
		if len(seen) != 6 || job.Status.Failed != 0 || job.Status.CompletionTime == nil {
			t.Fatalf("%d pods created, status %+v", len(seen), job.Status)
		}
		var conds []string
		for _, cond := range job.Status.Conditions {
			conds = append(conds, string(cond.Type)+"/"+cond.Reason)
		}
		if want := []string{"SuccessCriteriaMet/CompletionsReached", "Complete/CompletionsReached"}; !slices.Equal(conds, want) {
			t.Errorf("conditions %v, want %v", conds, want)
		}
		if out := c.MustKubectl("-n", ns, "get", "job", "count"); !regexp.MustCompile(`count\s+Complete\s+6/6\s+`).MatchString(out) {
			t.Errorf("kubectl get job:\n%s", out)
		}
		pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "job-name=count"})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pods.Items {
			if !strings.HasPrefix(p.Name, "count-") || len(p.Finalizers) != 0 || p.Labels[batchv1.ControllerUidLabel] != string(job.UID) {
				t.Errorf("pod %s: finalizers %v labels %v", p.Name, p.Finalizers, p.Labels)
			}
		}
	})

	t.Run("namespace with a running job is deleted", func(t *testing.T) {
		// No kubelet: the pods stay Pending and keep the Job's tracking
		// finalizer until the Job controller lets them go.
		ns := "batch-gone"
		c.MustKubectl("create", "namespace", ns)
		if out, err := c.KubectlIn(countJob, nil, "-n", ns, "apply", "-f", "-"); err != nil {
			t.Fatalf("apply: %v\n%s", err, out)
		}
		framework.Eventually(t, 30*time.Second, func() (bool, string) {
			pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			return err == nil && len(pods.Items) == 2, fmt.Sprintf("pods: %v", err)
		})
		c.MustKubectl("delete", "namespace", ns, "--wait=false")
		framework.Eventually(t, 60*time.Second, func() (bool, string) {
			_, err := client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			return apierrors.IsNotFound(err), fmt.Sprintf("namespace still there: %v", err)
		})
	})

	t.Run("cronjob", func(t *testing.T) {
		ns := "cron"
		c.MustKubectl("create", "namespace", ns)
		startKubelet(t, client, ns, 100*time.Millisecond, 300*time.Millisecond)
		if out, err := c.KubectlIn(helloCronJob, nil, "-n", ns, "apply", "-f", "-"); err != nil {
			t.Fatalf("apply: %v\n%s", err, out)
		}
		out := c.MustKubectl("-n", ns, "get", "cronjob", "hello")
		if !regexp.MustCompile(`NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE`).MatchString(out) ||
			!regexp.MustCompile(`hello\s+\*/5 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+`).MatchString(out) {
			t.Fatalf("kubectl get cronjob:\n%s", out)
		}
		// A Job made from the CronJob's template runs to completion.
		c.MustKubectl("-n", ns, "create", "job", "hello-manual", "--from=cronjob/hello")
		framework.Eventually(t, 60*time.Second, func() (bool, string) {
			out, _ := c.Kubectl("-n", ns, "get", "job", "hello-manual", "-o", `jsonpath={.status.conditions[?(@.type=="Complete")].status}`)
			return out == "True", "complete: " + out
		})
		// Scheduled runs are covered with a fake clock by the unit tests;
		// here the controller must at least leave an accepted CronJob
		// with a valid status.
		cj, err := client.BatchV1().CronJobs(ns).Get(ctx, "hello", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(cj.Status.Active) != 0 {
			t.Fatalf("status %+v", cj.Status)
		}
	})
}
