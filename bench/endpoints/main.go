// Command endpoints measures how long portal's EndpointSlice controller
// takes to publish a readiness change: from a pod's status update turning it
// Ready (or not) until a watcher sees the EndpointSlice that says so. It runs
// at several service sizes in one go (default 1k, 10k and 50k endpoints),
// against a `portal up` it starts on loopback, and prints p50/p99/max.
//
// It is a benchmark, not a test: it asserts nothing, and every phase is
// bounded in count and time.
//
//	go run ./bench/endpoints -sizes 1000,10000,50000 -flips 200
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

type result struct {
	Endpoints int     `json:"endpoints"`
	Slices    int     `json:"slices"`
	Flips     int     `json:"flips"` // each flip is two timed transitions
	SetupSec  float64 `json:"setup_seconds"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
}

func main() {
	sizes := flag.String("sizes", "1000,10000,50000", "endpoint counts to measure, comma-separated")
	flips := flag.Int("flips", 200, "readiness changes measured per size")
	portalBin := flag.String("portal", "", "portal binary (default: build ./cmd/portal)")
	workers := flag.Int("workers", 32, "parallel clients for creating pods")
	phaseCap := flag.Duration("max-phase", 5*time.Minute, "upper bound on any one phase")
	jsonOut := flag.String("json", "", "also write the results as JSON to this file")
	flag.Parse()

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	dir, err := os.MkdirTemp("", "portal-bench-endpoints")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := *portalBin
	if bin == "" {
		bin = filepath.Join(dir, "portal")
		build := exec.Command("go", "build", "-o", bin, "./cmd/portal")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			log.Fatalf("build portal: %v", err)
		}
	}
	stop, kubeconfig, err := startPortal(ctx, bin, filepath.Join(dir, "data"))
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	// log.Fatal skips deferred calls: stop portal and clean up first.
	fatalf := func(format string, args ...any) {
		stop()
		_ = os.RemoveAll(dir)
		log.Fatalf(format, args...)
	}

	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		fatalf("%v", err)
	}
	cfg.QPS, cfg.Burst = 5000, 10000
	client := kubernetes.NewForConfigOrDie(cfg)

	var results []result
	for i, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fatalf("bad size %q", s)
		}
		phaseCtx, phaseCancel := context.WithTimeout(ctx, *phaseCap)
		r, err := measure(phaseCtx, client, fmt.Sprintf("bench-%d", i), n, *flips, *workers)
		phaseCancel()
		if err != nil {
			fatalf("size %d: %v", n, err)
		}
		results = append(results, r)
		fmt.Fprintf(os.Stderr, "size %d done: p50 %.1fms p99 %.1fms\n", n, r.P50ms, r.P99ms)
	}
	fmt.Println("| endpoints | slices | flips | setup (s) | p50 (ms) | p99 (ms) | max (ms) |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		fmt.Printf("| %d | %d | %d | %.1f | %.1f | %.1f | %.1f |\n", r.Endpoints, r.Slices, r.Flips, r.SetupSec, r.P50ms, r.P99ms, r.MaxMs)
	}
	if *jsonOut != "" {
		data, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(*jsonOut, data, 0o644); err != nil {
			fatalf("%v", err)
		}
	}
}

// measure creates a namespace with a Service and n ready pods, waits until
// the slices hold n endpoints, then flips readiness of one pod at a time and
// times each flip until a slice shows it.
func measure(ctx context.Context, client kubernetes.Interface, ns string, n, flips, workers int) (result, error) {
	r := result{Endpoints: n, Flips: flips}
	start := time.Now()
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return r, err
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "app"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "bench"},
			Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
	if _, err := client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return r, err
	}
	if err := createPods(ctx, client, ns, n, workers); err != nil {
		return r, err
	}
	if err := waitEndpoints(ctx, client, ns, n); err != nil {
		return r, err
	}
	r.SetupSec = time.Since(start).Seconds()
	slices, err := client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=app"})
	if err != nil {
		return r, err
	}
	r.Slices = len(slices.Items)

	w, err := client.DiscoveryV1().EndpointSlices(ns).Watch(ctx, metav1.ListOptions{
		LabelSelector: "kubernetes.io/service-name=app", ResourceVersion: slices.ResourceVersion})
	if err != nil {
		return r, err
	}
	defer w.Stop()
	// Each flip takes one pod out of readiness and back, timing both
	// transitions; pods are spread over the whole service.
	var lat []time.Duration
	for i := 0; i < flips; i++ {
		name := fmt.Sprintf("pod-%d", (i*7919)%n)
		for _, ready := range []bool{false, true} {
			pod, err := client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return r, err
			}
			setReady(pod, ready)
			t0 := time.Now()
			if _, err := client.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
				return r, err
			}
			if err := waitSliceShows(ctx, w, pod.Status.PodIP, ready); err != nil {
				return r, fmt.Errorf("flip %d: %w", i, err)
			}
			lat = append(lat, time.Since(t0))
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	r.P50ms = ms(lat[len(lat)/2])
	r.P99ms = ms(lat[(len(lat)*99)/100])
	r.MaxMs = ms(lat[len(lat)-1])
	// Free the namespace's pods before the next size.
	_ = client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	return r, nil
}

func setReady(pod *corev1.Pod, ready bool) {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.Now()}}
}

func createPods(ctx context.Context, client kubernetes.Interface, ns string, n, workers int) error {
	jobs := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := createPod(ctx, client, ns, i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case jobs <- i:
		case err := <-errs:
			close(jobs)
			return err
		case <-ctx.Done():
			close(jobs)
			return ctx.Err()
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

func createPod(ctx context.Context, client kubernetes.Interface, ns string, i int) error {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%d", i), Labels: map[string]string{"app": "bench"}},
		Spec: corev1.PodSpec{
			NodeName:   "bench-node",
			Containers: []corev1.Container{{Name: "c", Image: "bench", Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}},
		},
	}
	created, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	// Addresses from 10.0.0.0/8 are only data here: nothing is sent to them.
	created.Status.Phase = corev1.PodRunning
	created.Status.PodIP = fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255)
	created.Status.PodIPs = []corev1.PodIP{{IP: created.Status.PodIP}}
	setReady(created, true)
	_, err = client.CoreV1().Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}

func waitEndpoints(ctx context.Context, client kubernetes.Interface, ns string, n int) error {
	for {
		slices, err := client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=app"})
		if err != nil {
			return err
		}
		ready := 0
		for _, s := range slices.Items {
			for _, ep := range s.Endpoints {
				if ep.Conditions.Ready != nil && *ep.Conditions.Ready {
					ready++
				}
			}
		}
		if ready == n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("slices hold %d of %d ready endpoints: %w", ready, n, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitSliceShows reads slice events until one shows ip with the readiness.
func waitSliceShows(ctx context.Context, w watch.Interface, ip string, ready bool) error {
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				return fmt.Errorf("watch closed")
			}
			s, ok := ev.Object.(*discoveryv1.EndpointSlice)
			if !ok {
				continue
			}
			for _, ep := range s.Endpoints {
				if len(ep.Addresses) > 0 && ep.Addresses[0] == ip && ep.Conditions.Ready != nil && *ep.Conditions.Ready == ready {
					return nil
				}
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// startPortal runs `portal up` in dir on a free port and waits until ready.
func startPortal(ctx context.Context, bin, dir string) (func(), string, error) {
	// --secure-port 0 would turn secure serving off: pick a free port.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	cmd := exec.Command(bin, "up", "--data-dir", dir, "--secure-port", strconv.Itoa(port), "--log-level", "warn")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
		}
	}
	buf := make([]byte, 4096)
	var seen strings.Builder
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(seen.String(), "portal is up") {
		if time.Now().After(deadline) || ctx.Err() != nil {
			stop()
			return nil, "", fmt.Errorf("portal did not come up: %s", seen.String())
		}
		n, err := out.Read(buf)
		if err != nil {
			stop()
			return nil, "", fmt.Errorf("portal output: %v: %s", err, seen.String())
		}
		seen.Write(buf[:n])
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return stop, filepath.Join(dir, "kubeconfig"), nil
}
