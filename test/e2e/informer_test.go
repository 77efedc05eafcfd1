package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/portal-dev/portal/test/e2e/framework"
)

// TestInformer runs a client-go informer against portal with watch-list on
// and off. client-go reads KUBE_FEATURE_WatchListClient once per process,
// so each mode runs in a child test process.
func TestInformer(t *testing.T) {
	c := framework.Start(t, framework.Options{})
	for _, mode := range []string{"true", "false"} {
		t.Run("WatchListClient="+mode, func(t *testing.T) {
			ns := "informer-" + mode
			c.MustKubectl("create", "namespace", ns)
			// Objects that exist before the informer starts: the initial
			// sync must deliver them.
			for i := 0; i < 5; i++ {
				c.MustKubectl("-n", ns, "create", "configmap", fmt.Sprintf("pre-%d", i), "--from-literal=i="+strconv.Itoa(i))
			}
			lists := listRequests(t, c, "configmaps")
			cmd := exec.Command(os.Args[0], "-test.run=^TestInformerChild$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(),
				"PORTAL_INFORMER_CHILD=1",
				"PORTAL_KUBECONFIG="+c.Kubeconfig,
				"PORTAL_NAMESPACE="+ns,
				"KUBE_FEATURE_WatchListClient="+mode)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "--- PASS: TestInformerChild") {
				t.Fatalf("informer child (WatchListClient=%s) failed: %v\n%s", mode, err, out)
			}
			// With watch-list the informer never LISTs: its initial state
			// streams over the watch. Without it, it LISTs once.
			delta := listRequests(t, c, "configmaps") - lists
			if mode == "true" && delta != 0 {
				t.Fatalf("watch-list informer made %d LIST requests; want 0 (streamed)", delta)
			}
			if mode == "false" && delta < 1 {
				t.Fatalf("plain informer made %d LIST requests; want at least 1", delta)
			}
		})
	}
}

// listRequests reads apiserver_request_total for LIST of a resource.
func listRequests(t *testing.T, c *framework.Cluster, resource string) int {
	t.Helper()
	out := c.MustKubectl("get", "--raw", "/metrics")
	re := regexp.MustCompile(`(?m)^apiserver_request_total\{[^}]*resource="` + resource + `"[^}]*verb="LIST"[^}]*\} (\d+)`)
	total := 0
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	return total
}

// TestInformerChild is the informer itself; it only runs when TestInformer
// starts it.
func TestInformerChild(t *testing.T) {
	if os.Getenv("PORTAL_INFORMER_CHILD") != "1" {
		t.Skip("run by TestInformer in a child process")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", os.Getenv("PORTAL_KUBECONFIG"))
	if err != nil {
		t.Fatal(err)
	}
	ns := os.Getenv("PORTAL_NAMESPACE")
	client := kubernetes.NewForConfigOrDie(cfg)
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns))
	inf := factory.Core().V1().ConfigMaps().Informer()
	events := make(chan string, 100)
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) { events <- "add " + obj.(*corev1.ConfigMap).Name },
		UpdateFunc: func(_, obj interface{}) {
			events <- "update " + obj.(*corev1.ConfigMap).Name + " " + obj.(*corev1.ConfigMap).Data["v"]
		},
		DeleteFunc: func(obj interface{}) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			events <- "delete " + obj.(*corev1.ConfigMap).Name
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	factory.Start(ctx.Done())
	syncCtx, syncCancel := context.WithTimeout(ctx, time.Minute)
	defer syncCancel()
	if !cache.WaitForCacheSync(syncCtx.Done(), inf.HasSynced) {
		t.Fatal("informer did not sync")
	}
	if n := len(inf.GetStore().List()); n != 5 {
		t.Fatalf("synced store has %d objects, want 5", n)
	}
	expect := func(want string) {
		t.Helper()
		deadline := time.After(time.Minute)
		for {
			select {
			case got := <-events:
				if got == want {
					return
				}
			case <-deadline:
				t.Fatalf("never saw %q", want)
			}
		}
	}
	cms := client.CoreV1().ConfigMaps(ns)
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "live"}, Data: map[string]string{"v": "1"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("add live")
	if _, err := cms.Update(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "live"}, Data: map[string]string{"v": "2"}}, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("update live 2")
	if err := cms.Delete(ctx, "live", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("delete live")
}
