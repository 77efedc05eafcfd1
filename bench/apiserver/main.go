// Command apiserver benchmarks portal's API server side by side with the raw
// etcd it stores in.
//
// It starts one external etcd and one `portal up --etcd-servers` on top of
// it, both on loopback, then measures the same operations twice: through the
// API server with client-go (typed clientset, protobuf) and directly on etcd
// with clientv3, using the bytes the API server stores for a ConfigMap.
// Every phase is bounded by an operation count (-n) and a duration
// (-duration) and stops by itself. The result is printed as a Markdown
// table; -json also writes it to bench/results/.
//
//	go run ./bench/apiserver
//	go run ./bench/apiserver -n 2000 -workers 16 -duration 5s -json
//
// This is a benchmark, not a test: it asserts nothing about time.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// config holds the command line.
type config struct {
	n             int
	workers       int
	duration      time.Duration
	watchers      int
	watchInterval time.Duration
	listSize      int
	portal        string
	etcd          string
	json          bool
	results       string
	keep          bool
}

func main() {
	var c config
	flag.IntVar(&c.n, "n", 5000, "max operations per phase")
	flag.IntVar(&c.workers, "workers", 8, "concurrent clients in the create, get, list and watch-throughput phases")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "max duration of each phase")
	flag.IntVar(&c.watchers, "watchers", 100, "concurrent watchers in the watch-latency phase, each on its own connection")
	flag.DurationVar(&c.watchInterval, "watch-interval", 20*time.Millisecond, "pause between the creates of the watch-latency phase")
	flag.IntVar(&c.listSize, "list-size", 1000, "objects in the listed namespace / prefix")
	flag.StringVar(&c.portal, "portal", "", "portal binary (default: build ./cmd/portal into a temp dir)")
	flag.StringVar(&c.etcd, "etcd", "", "etcd binary (default: etcd on PATH, $(go env GOPATH)/bin/etcd, or built from go.mod's etcd into the user cache)")
	flag.BoolVar(&c.json, "json", false, "also write the results as JSON (and Markdown) under -results")
	flag.StringVar(&c.results, "results", "", "directory for -json output (default: bench/results in the module)")
	flag.BoolVar(&c.keep, "keep", false, "keep the temp dir (logs, data) instead of removing it")
	flag.Parse()
	if c.n <= 0 || c.workers <= 0 || c.duration <= 0 || c.watchers <= 0 || c.listSize <= 0 || c.watchInterval < 0 {
		fmt.Fprintln(os.Stderr, "apiserver bench: -n, -workers, -duration, -watchers and -list-size must be positive")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		// A second Ctrl-C kills at once; the children still get SIGTERM
		// from the kernel (see proc_linux.go).
		stop()
	}()
	err := run(ctx, c)
	stop()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "apiserver bench: interrupted")
			os.Exit(130)
		}
		fmt.Fprintln(os.Stderr, "apiserver bench:", err)
		os.Exit(1)
	}
}

// run sets everything up, runs the phases and reports. Every process and
// temp dir it creates is gone when it returns.
func run(ctx context.Context, c config) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "portal-bench-")
	if err != nil {
		return err
	}
	if c.keep {
		defer logf("kept %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}

	portalBin := c.portal
	if portalBin == "" {
		portalBin = filepath.Join(tmp, "bin", "portal")
		logf("building ./cmd/portal")
		if err := goCmd(ctx, root, nil, "build", "-o", portalBin, "./cmd/portal"); err != nil {
			return fmt.Errorf("build portal: %w", err)
		}
	}
	etcdBin, err := findEtcd(ctx, root, c.etcd)
	if err != nil {
		return err
	}

	etcdProc, etcdURL, err := startEtcd(ctx, etcdBin, tmp)
	if err != nil {
		return err
	}
	defer etcdProc.stop()
	portalProc, kubeconfig, err := startPortal(ctx, portalBin, tmp, etcdURL)
	if err != nil {
		return err
	}
	defer portalProc.stop()

	p, err := newPortalBackend(kubeconfig)
	if err != nil {
		return err
	}
	e, err := newEtcdBackend(etcdURL)
	if err != nil {
		return err
	}
	defer e.close()

	res := &Result{Meta: collectMeta(ctx, c, portalBin, etcdBin, tmp)}
	cpu := cpuMeter{portalPID: portalProc.cmd.Process.Pid, etcdPID: etcdProc.cmd.Process.Pid}
	if err := runAll(ctx, c, p, e, cpu, res); err != nil {
		return err
	}
	res.Meta.LoadAfter = loadAvg()
	md := res.markdown()
	fmt.Print(md)
	if c.json {
		dir := c.results
		if dir == "" {
			dir = filepath.Join(root, "bench", "results")
		}
		path, err := res.write(dir, md)
		if err != nil {
			return err
		}
		logf("wrote %s", path)
	}
	return nil
}

// logf prints progress on stderr, so stdout carries only the report.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}
