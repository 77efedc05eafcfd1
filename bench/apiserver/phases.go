package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// The spaces (namespaces on portal, prefixes on etcd) the phases use.
const (
	spaceCreate  = "bench"
	spaceList    = "bench-list"
	spaceWatch   = "bench-watch"
	spaceLatency = "bench-latency"
)

// limits bound a phase: at most n operations and at most d, whichever comes
// first. Operations still running at d finish (each has its own timeout).
type limits struct {
	n       int
	workers int
	d       time.Duration
}

// opTimeout bounds a single operation.
const opTimeout = 30 * time.Second

// runOps runs op for i = 0, 1, ... n-1 on workers goroutines until the
// count or the duration is used up, and measures it.
func runOps(ctx context.Context, lim limits, op func(ctx context.Context, i int) error) *Measure {
	var next atomic.Int64
	var errs errorCounter
	lats := make([][]time.Duration, lim.workers)
	start := time.Now()
	deadline := start.Add(lim.d)
	var last atomic.Int64 // ns since start of the last completion
	var wg sync.WaitGroup
	for w := 0; w < lim.workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := int(next.Add(1) - 1)
				if i >= lim.n {
					return
				}
				octx, cancel := context.WithTimeout(ctx, opTimeout)
				t0 := time.Now()
				err := op(octx, i)
				t1 := time.Now()
				cancel()
				storeMax(&last, int64(t1.Sub(start)))
				if err != nil {
					if ctx.Err() == nil {
						errs.add(err)
					}
					continue
				}
				lats[w] = append(lats[w], t1.Sub(t0))
			}
		}(w)
	}
	wg.Wait()
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	m := measure(all, time.Duration(last.Load()), &errs)
	switch {
	case ctx.Err() != nil:
		m.StoppedBy = "interrupted"
	case int(next.Load()) >= lim.n:
		m.StoppedBy = "count"
	default:
		m.StoppedBy = "duration"
	}
	return m
}

func storeMax(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// errorCounter counts errors and keeps the first.
type errorCounter struct {
	mu    sync.Mutex
	n     int
	first error
}

func (e *errorCounter) add(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	if e.first == nil {
		e.first = err
	}
}

func (e *errorCounter) count() (int, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.first == nil {
		return e.n, ""
	}
	return e.n, e.first.Error()
}

// created records which objects a create phase made, for the get phase.
type created struct {
	mu  sync.Mutex
	ids []int
}

func (c *created) add(i int) {
	c.mu.Lock()
	c.ids = append(c.ids, i)
	c.mu.Unlock()
}

// createPhase creates objects 0.. in space.
func createPhase(ctx context.Context, b backend, space string, lim limits, made *created) *Measure {
	return runOps(ctx, lim, func(ctx context.Context, i int) error {
		err := b.create(ctx, space, i)
		if err == nil && made != nil {
			made.add(i)
		}
		return err
	})
}

// getPhase reads the objects a create phase made, round robin.
func getPhase(ctx context.Context, b backend, space string, lim limits, made *created) *Measure {
	ids := made.ids
	if len(ids) == 0 {
		return &Measure{Note: "nothing to get: the create phase made no object"}
	}
	return runOps(ctx, lim, func(ctx context.Context, i int) error {
		return b.get(ctx, space, ids[i%len(ids)])
	})
}

// listPhase lists a space that holds want objects.
func listPhase(ctx context.Context, b backend, space string, consistent bool, want int, lim limits) *Measure {
	return runOps(ctx, lim, func(ctx context.Context, _ int) error {
		n, err := b.list(ctx, space, consistent)
		if err == nil && n != want {
			err = fmt.Errorf("listed %d objects, want %d", n, want)
		}
		return err
	})
}

// graceAfterWrites bounds how long a watch phase waits, after its last
// create, for the events still on their way.
const graceAfterWrites = 5 * time.Second

// watchThroughputPhase creates objects with lim.workers writers while one
// watcher counts the events it receives. Events per second run from the
// first create to the last event; latency is from each create call's start
// to the event.
func watchThroughputPhase(ctx context.Context, b backend, lim limits) *Measure {
	sent := make([]time.Time, lim.n)
	recv := make([]time.Time, lim.n)
	var got atomic.Int64
	var werrs errorCounter
	stop, err := b.watch(ctx, spaceWatch, 1, func(_ int, i int, at time.Time) {
		if i < len(recv) && recv[i].IsZero() {
			recv[i] = at
			got.Add(1)
		}
	}, werrs.add)
	if err != nil {
		return &Measure{Errors: 1, FirstError: err.Error()}
	}
	start := time.Now()
	writes := runOps(ctx, lim, func(ctx context.Context, i int) error {
		sent[i] = time.Now()
		return b.create(ctx, spaceWatch, i)
	})
	waitFor(ctx, func() bool { return int(got.Load()) >= writes.Ops }, graceAfterWrites)
	stop()

	var lats []time.Duration
	var lastRecv time.Time
	for i := range recv {
		if recv[i].IsZero() || sent[i].IsZero() {
			continue
		}
		lats = append(lats, recv[i].Sub(sent[i]))
		if recv[i].After(lastRecv) {
			lastRecv = recv[i]
		}
	}
	m := measure(lats, lastRecv.Sub(start), &werrs)
	m.StoppedBy = writes.StoppedBy
	m.Note = fmt.Sprintf("%d creates (%.0f/s, %d errors), %d events received", writes.Ops, writes.PerSec, writes.Errors, len(lats))
	if missing := writes.Ops - len(lats); missing > 0 {
		m.Note += fmt.Sprintf(", %d missing after %s", missing, graceAfterWrites)
	}
	return m
}

// watchLatencyPhase starts n watchers, then creates objects one at a time,
// interval apart, and measures when each watcher sees each create.
func watchLatencyPhase(ctx context.Context, b backend, watchers int, interval time.Duration, lim limits) *WatchLatency {
	total := lim.n
	if interval > 0 {
		if k := int(lim.d/interval) + 1; k < total {
			total = k
		}
	}
	sent := make([]time.Time, total)
	returned := make([]time.Time, total)
	recv := make([][]time.Time, watchers)
	for w := range recv {
		recv[w] = make([]time.Time, total)
	}
	var got atomic.Int64
	var werrs errorCounter
	t0 := time.Now()
	stop, err := b.watch(ctx, spaceLatency, watchers, func(w, i int, at time.Time) {
		if i < total && recv[w][i].IsZero() {
			recv[w][i] = at
			got.Add(1)
		}
	}, werrs.add)
	if err != nil {
		return &WatchLatency{Watchers: watchers, Errors: 1, FirstError: err.Error()}
	}
	setup := time.Since(t0)

	var cerrs errorCounter
	ok := 0
	start := time.Now()
	deadline := start.Add(lim.d)
	tick := time.NewTicker(max(interval, time.Microsecond))
	for i := 0; i < total && ctx.Err() == nil && time.Now().Before(deadline); i++ {
		if i > 0 && interval > 0 {
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
		octx, cancel := context.WithTimeout(ctx, opTimeout)
		sent[i] = time.Now()
		err := b.create(octx, spaceLatency, i)
		returned[i] = time.Now()
		cancel()
		if err != nil {
			sent[i] = time.Time{}
			cerrs.add(err)
			continue
		}
		ok++
	}
	tick.Stop()
	writeEnd := time.Now()
	waitFor(ctx, func() bool { return int(got.Load()) >= ok*watchers }, graceAfterWrites)
	stop()

	var fromStart, fromReturn []time.Duration
	early := 0
	var lastRecv time.Time
	for w := range recv {
		for i, at := range recv[w] {
			if at.IsZero() || sent[i].IsZero() {
				continue
			}
			fromStart = append(fromStart, at.Sub(sent[i]))
			d := at.Sub(returned[i])
			if d < 0 {
				early++
			}
			fromReturn = append(fromReturn, d)
			if at.After(lastRecv) {
				lastRecv = at
			}
		}
	}
	wl := &WatchLatency{
		Watchers:      watchers,
		SetupSeconds:  setup.Seconds(),
		Creates:       ok,
		Deliveries:    len(fromStart),
		Missing:       ok*watchers - len(fromStart),
		Early:         early,
		FromReturn:    percentiles(fromReturn),
		FromCallStart: percentiles(fromStart),
		WriteSeconds:  writeEnd.Sub(start).Seconds(),
	}
	if span := lastRecv.Sub(start).Seconds(); span > 0 {
		wl.DeliverySeconds = span
		wl.DeliveriesPerSec = float64(wl.Deliveries) / span
	}
	wl.Errors, wl.FirstError = werrs.count()
	if n, first := cerrs.count(); n > 0 {
		wl.Errors += n
		if wl.FirstError == "" {
			wl.FirstError = "create: " + first
		}
	}
	return wl
}

// waitFor polls done until it holds, ctx ends or grace passes.
func waitFor(ctx context.Context, done func() bool, grace time.Duration) {
	deadline := time.Now().Add(grace)
	for !done() && ctx.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// runAll runs every phase on both backends, portal first, and fills res.
func runAll(ctx context.Context, c config, p *portalBackend, e *etcdBackend, cpu cpuMeter, res *Result) error {
	lim := limits{n: c.n, workers: c.workers, d: c.duration}
	if err := p.ensureNamespaces(ctx, spaceCreate, spaceList, spaceWatch, spaceLatency); err != nil {
		return err
	}
	// run runs one phase on one side, logging it and its CPU use.
	run := func(what string, b backend, f func() *Measure) *Measure {
		logf("%s: %s", what, b.name())
		s0 := cpu.snap()
		m := f()
		m.CPU = cpu.since(s0)
		logf("%s: %s %s", what, b.name(), m.short())
		return m
	}
	row := func(op string, pm, em *Measure) {
		res.Rows = append(res.Rows, newRow(op, pm, em))
	}

	// create, then get what was created. etcd puts the bytes portal stored.
	var pMade, eMade created
	pc := run("create", p, func() *Measure { return createPhase(ctx, p, spaceCreate, lim, &pMade) })
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(pMade.ids) == 0 {
		return fmt.Errorf("portal created no ConfigMap: %s", pc.FirstError)
	}
	key := storageKey(spaceCreate, pMade.ids[0])
	value, err := e.storedValue(ctx, key)
	if err != nil {
		return fmt.Errorf("read the stored ConfigMap: %w", err)
	}
	e.value = value
	res.Meta.StoredBytes = len(value)
	logf("etcd puts the %d bytes portal stored at %s", len(value), key)
	ec := run("create", e, func() *Measure { return createPhase(ctx, e, spaceCreate, lim, &eMade) })
	row("create", pc, ec)
	if ctx.Err() != nil {
		return ctx.Err()
	}

	pg := run("get", p, func() *Measure { return getPhase(ctx, p, spaceCreate, lim, &pMade) })
	eg := run("get", e, func() *Measure { return getPhase(ctx, e, spaceCreate, lim, &eMade) })
	row("get", pg, eg)
	if ctx.Err() != nil {
		return ctx.Err()
	}

	// list: fill a space with exactly listSize objects on each side.
	fill := limits{n: c.listSize, workers: c.workers, d: 2 * time.Minute}
	for _, b := range []backend{p, e} {
		logf("list: filling %s with %d objects", b.name(), c.listSize)
		if m := createPhase(ctx, b, spaceList, fill, nil); m.Ops != c.listSize {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("fill %s list space: %d of %d created (%s)", b.name(), m.Ops, c.listSize, m.FirstError)
		}
	}
	n := c.listSize
	pl0 := run("list rv=0", p, func() *Measure {
		before := p.listSources(ctx)
		m := listPhase(ctx, p, spaceList, false, n, lim)
		m.Note = servedFrom(before, p.listSources(ctx))
		return m
	})
	plc := run(`list rv=""`, p, func() *Measure {
		before := p.listSources(ctx)
		m := listPhase(ctx, p, spaceList, true, n, lim)
		m.Note = servedFrom(before, p.listSources(ctx))
		return m
	})
	el := run("list (range with prefix)", e, func() *Measure { return listPhase(ctx, e, spaceList, true, n, lim) })
	row(fmt.Sprintf("list %d, rv=0 (watch cache)", n), pl0, el)
	row(fmt.Sprintf(`list %d, rv="" (consistent)`, n), plc, el)
	if ctx.Err() != nil {
		return ctx.Err()
	}

	pw := run("watch throughput", p, func() *Measure { return watchThroughputPhase(ctx, p, lim) })
	ew := run("watch throughput", e, func() *Measure { return watchThroughputPhase(ctx, e, lim) })
	row("watch events, 1 watcher", pw, ew)
	if ctx.Err() != nil {
		return ctx.Err()
	}

	latency := func(b backend) *WatchLatency {
		logf("watch latency: %s, %d watchers", b.name(), c.watchers)
		s0 := cpu.snap()
		wl := watchLatencyPhase(ctx, b, c.watchers, c.watchInterval, lim)
		wl.CPU = cpu.since(s0)
		logf("watch latency: %s %s", b.name(), wl.short())
		return wl
	}
	res.WatchLatency.Portal = latency(p)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	res.WatchLatency.Etcd = latency(e)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	row(fmt.Sprintf("watch delivery, %d watchers", c.watchers), res.WatchLatency.Portal.asMeasure(), res.WatchLatency.Etcd.asMeasure())
	return nil
}
