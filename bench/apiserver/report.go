package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Result is everything one run measured.
type Result struct {
	Meta         Meta  `json:"meta"`
	Rows         []Row `json:"rows"`
	WatchLatency struct {
		Portal *WatchLatency `json:"portal"`
		Etcd   *WatchLatency `json:"etcd"`
	} `json:"watchLatency"`
}

// Meta says what ran where.
type Meta struct {
	Time          time.Time `json:"time"`
	GOOS          string    `json:"goos"`
	GOARCH        string    `json:"goarch"`
	CPUs          int       `json:"cpus"`
	CPUModel      string    `json:"cpuModel,omitempty"`
	GoVersion     string    `json:"goVersion"`
	Portal        string    `json:"portal"`
	Etcd          string    `json:"etcd"`
	TempDir       string    `json:"tempDir"`
	N             int       `json:"n"`
	Workers       int       `json:"workers"`
	Duration      string    `json:"duration"`
	Watchers      int       `json:"watchers"`
	WatchInterval string    `json:"watchInterval"`
	ListSize      int       `json:"listSize"`
	StoredBytes   int       `json:"storedBytes"`
	// LoadBefore and LoadAfter are /proc/loadavg around the phases.
	LoadBefore string `json:"loadBefore,omitempty"`
	LoadAfter  string `json:"loadAfter,omitempty"`
}

// Row compares one operation on both sides.
type Row struct {
	Op     string   `json:"op"`
	Portal *Measure `json:"portal"`
	Etcd   *Measure `json:"etcd"`
	// Ratio is portal ops/s over etcd ops/s.
	Ratio float64 `json:"ratio"`
}

// Measure is one phase on one side. Latencies are in milliseconds.
type Measure struct {
	Ops        int     `json:"ops"`
	Errors     int     `json:"errors"`
	Seconds    float64 `json:"seconds"`
	PerSec     float64 `json:"opsPerSec"`
	P50        float64 `json:"p50ms"`
	P99        float64 `json:"p99ms"`
	Max        float64 `json:"maxms"`
	StoppedBy  string  `json:"stoppedBy,omitempty"`
	FirstError string  `json:"firstError,omitempty"`
	Note       string  `json:"note,omitempty"`
	CPU        *CPUUse `json:"cpuSeconds,omitempty"`
}

// Latency is a distribution in milliseconds.
type Latency struct {
	P50 float64 `json:"p50ms"`
	P99 float64 `json:"p99ms"`
	Max float64 `json:"maxms"`
	Min float64 `json:"minms"`
}

// WatchLatency is the many-watchers phase on one side.
type WatchLatency struct {
	Watchers     int     `json:"watchers"`
	SetupSeconds float64 `json:"setupSeconds"`
	Creates      int     `json:"creates"`
	WriteSeconds float64 `json:"writeSeconds"`
	Deliveries   int     `json:"deliveries"`
	// DeliveriesPerSec is Deliveries over DeliverySeconds, from the first
	// create to the last delivery.
	DeliveriesPerSec float64 `json:"deliveriesPerSec"`
	DeliverySeconds  float64 `json:"deliverySeconds"`
	// Missing deliveries were not seen within the grace after the last create.
	Missing int `json:"missing"`
	// Early deliveries arrived before the create call returned.
	Early int `json:"early"`
	// FromReturn is from the create call returning to the watcher seeing
	// the event (negative when the event was early).
	FromReturn Latency `json:"fromReturn"`
	// FromCallStart is from just before the create call.
	FromCallStart Latency `json:"fromCallStart"`
	Errors        int     `json:"errors"`
	FirstError    string  `json:"firstError,omitempty"`
	CPU           *CPUUse `json:"cpuSeconds,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentiles sorts ds and returns p50, p99, max and min.
func percentiles(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(q float64) time.Duration {
		k := int(q*float64(len(ds))+0.999999) - 1
		return ds[min(max(k, 0), len(ds)-1)]
	}
	return Latency{P50: ms(at(0.50)), P99: ms(at(0.99)), Max: ms(ds[len(ds)-1]), Min: ms(ds[0])}
}

// measure summarizes the latencies of the successful operations of a phase
// that took elapsed.
func measure(lats []time.Duration, elapsed time.Duration, errs *errorCounter) *Measure {
	p := percentiles(lats)
	m := &Measure{Ops: len(lats), Seconds: elapsed.Seconds(), P50: p.P50, P99: p.P99, Max: p.Max}
	if elapsed > 0 {
		m.PerSec = float64(len(lats)) / elapsed.Seconds()
	}
	m.Errors, m.FirstError = errs.count()
	return m
}

func (m *Measure) short() string {
	s := fmt.Sprintf("%d ops in %.2fs: %.0f/s, p50 %.2fms, p99 %.2fms", m.Ops, m.Seconds, m.PerSec, m.P50, m.P99)
	if m.Errors > 0 {
		s += fmt.Sprintf(", %d errors (first: %s)", m.Errors, m.FirstError)
	}
	if m.Note != "" {
		s += "; " + m.Note
	}
	if m.CPU != nil {
		s += "; " + m.CPU.String()
	}
	return s
}

func (u *CPUUse) String() string {
	return fmt.Sprintf("CPU s: portal %.2f, etcd %.2f, bench %.2f, other %.2f", u.Portal, u.Etcd, u.Bench, u.Other)
}

func (w *WatchLatency) short() string {
	s := fmt.Sprintf("%d creates, %d deliveries (%d missing, %d early), %.0f/s; after return p50 %.2fms p99 %.2fms max %.2fms",
		w.Creates, w.Deliveries, w.Missing, w.Early, w.DeliveriesPerSec, w.FromReturn.P50, w.FromReturn.P99, w.FromReturn.Max)
	if w.Errors > 0 {
		s += fmt.Sprintf(", %d errors (first: %s)", w.Errors, w.FirstError)
	}
	return s
}

// asMeasure puts the watch-latency phase in the main table: deliveries/s and
// latency after the create call returned.
func (w *WatchLatency) asMeasure() *Measure {
	if w == nil {
		return nil
	}
	return &Measure{Ops: w.Deliveries, Errors: w.Errors, Seconds: w.DeliverySeconds, PerSec: w.DeliveriesPerSec,
		P50: w.FromReturn.P50, P99: w.FromReturn.P99, Max: w.FromReturn.Max, FirstError: w.FirstError, CPU: w.CPU}
}

func newRow(op string, p, e *Measure) Row {
	r := Row{Op: op, Portal: p, Etcd: e}
	if p != nil && e != nil && e.PerSec > 0 {
		r.Ratio = p.PerSec / e.PerSec
	}
	return r
}

// collectMeta describes the machine and the run.
func collectMeta(ctx context.Context, c config, portalBin, etcdBin, tmp string) Meta {
	m := Meta{
		Time: time.Now().UTC().Truncate(time.Second), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		CPUs: runtime.NumCPU(), CPUModel: cpuModel(), GoVersion: runtime.Version(), TempDir: tmp,
		N: c.n, Workers: c.workers, Duration: c.duration.String(), Watchers: c.watchers,
		WatchInterval: c.watchInterval.String(), ListSize: c.listSize,
	}
	m.LoadBefore = loadAvg()
	m.Portal = firstLine(ctx, portalBin, "version")
	m.Etcd = firstLine(ctx, etcdBin, "--version")
	return m
}

func firstLine(ctx context.Context, bin string, args ...string) string {
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil {
		return bin
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// loadAvg is the 1, 5 and 15 minute load average, or "".
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// markdown renders the result for a terminal or a README.
func (r *Result) markdown() string {
	var b strings.Builder
	m := r.Meta
	fmt.Fprintf(&b, "## portal API server vs raw etcd, %s\n\n", m.Time.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- machine: %s/%s, %d CPUs", m.GOOS, m.GOARCH, m.CPUs)
	if m.CPUModel != "" {
		fmt.Fprintf(&b, " (%s)", m.CPUModel)
	}
	fmt.Fprintf(&b, ", %s; loopback only", m.GoVersion)
	if m.LoadBefore != "" {
		fmt.Fprintf(&b, "; load average %s before, %s after", m.LoadBefore, m.LoadAfter)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "- %s; %s, one external member, data in %s\n", m.Portal, m.Etcd, m.TempDir)
	fmt.Fprintf(&b, "- -n %d -workers %d -duration %s -watchers %d -watch-interval %s; list of %d objects; ConfigMap stored as %d bytes\n\n",
		m.N, m.Workers, m.Duration, m.Watchers, m.WatchInterval, m.ListSize, m.StoredBytes)

	b.WriteString("| operation | portal ops/s | etcd ops/s | ratio | portal p50 ms | portal p99 ms | etcd p50 ms | etcd p99 ms |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, row := range r.Rows {
		p, e := row.Portal, row.Etcd
		if p == nil {
			p = &Measure{}
		}
		if e == nil {
			e = &Measure{}
		}
		ratio := "-"
		if row.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f", row.Ratio)
		}
		fmt.Fprintf(&b, "| %s | %.0f | %.0f | %s | %s | %s | %s | %s |\n", row.Op, p.PerSec, e.PerSec, ratio,
			num(p.P50), num(p.P99), num(e.P50), num(e.P99))
	}

	wp, we := r.WatchLatency.Portal, r.WatchLatency.Etcd
	if wp != nil || we != nil {
		fmt.Fprintf(&b, "\nWatch delivery latency, %d watchers (each on its own connection), one create every %s:\n\n", m.Watchers, m.WatchInterval)
		b.WriteString("| side | creates | deliveries | missing | early | from create return p50 / p99 / max ms | from create start p50 / p99 / max ms |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
		for _, x := range []struct {
			name string
			w    *WatchLatency
		}{{"portal", wp}, {"etcd", we}} {
			if x.w == nil {
				continue
			}
			w := x.w
			fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %s / %s / %s | %s / %s / %s |\n", x.name, w.Creates, w.Deliveries, w.Missing, w.Early,
				num(w.FromReturn.P50), num(w.FromReturn.P99), num(w.FromReturn.Max),
				num(w.FromCallStart.P50), num(w.FromCallStart.P99), num(w.FromCallStart.Max))
		}
	}

	if r.hasCPU() {
		b.WriteString("\nCPU per operation, ms (from /proc; \"other\" is everything else on the machine during the phase):\n\n")
		b.WriteString("| operation | portal: API server | portal: its etcd | portal: client | portal: other | etcd: etcd | etcd: client | etcd: other |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, row := range r.Rows {
			p, e := cpuPerOp(row.Portal), cpuPerOp(row.Etcd)
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", row.Op,
				num(p.Portal), num(p.Etcd), num(p.Bench), num(p.Other), num(e.Etcd), num(e.Bench), num(e.Other))
		}
	}

	b.WriteString("\nDetails:\n\n")
	for _, row := range r.Rows {
		for _, x := range []struct {
			name string
			m    *Measure
		}{{"portal", row.Portal}, {"etcd", row.Etcd}} {
			if x.m == nil {
				continue
			}
			fmt.Fprintf(&b, "- %s, %s: %s", row.Op, x.name, x.m.short())
			if x.m.StoppedBy != "" {
				fmt.Fprintf(&b, "; stopped by %s", x.m.StoppedBy)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func (r *Result) hasCPU() bool {
	for _, row := range r.Rows {
		if row.Portal != nil && row.Portal.CPU != nil {
			return true
		}
	}
	return false
}

// cpuPerOp is a phase's CPU use per successful operation, in ms.
func cpuPerOp(m *Measure) CPUUse {
	if m == nil || m.CPU == nil || m.Ops == 0 {
		return CPUUse{}
	}
	k := 1000 / float64(m.Ops)
	return CPUUse{Portal: m.CPU.Portal * k, Etcd: m.CPU.Etcd * k, Bench: m.CPU.Bench * k, Other: m.CPU.Other * k}
}

func num(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 0.1 && v > -0.1:
		return fmt.Sprintf("%.3f", v)
	case v < 10 && v > -10:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}

// write stores the result as JSON and Markdown in dir and returns the JSON
// file's path.
func (r *Result) write(dir, md string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	base := filepath.Join(dir, "apiserver-"+r.Meta.Time.Format("20060102-150405"))
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(base+".json", append(data, '\n'), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(base+".md", []byte(md), 0o644); err != nil {
		return "", err
	}
	return base + ".json", nil
}
