package agent

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// logOptions are the log endpoint's query parameters.
type logOptions struct {
	follow, previous, timestamps bool
	// tailLines, when set, starts that many lines before the end.
	tailLines *int64
	// limitBytes, when set, stops the output after that many bytes.
	limitBytes *int64
	// since drops lines older than it (zero: none).
	since time.Time
	// stream is Stdout or Stderr to keep one stream ("": both).
	stream string
}

func parseLogOptions(q url.Values, now time.Time) (logOptions, error) {
	var o logOptions
	boolean := func(key string) bool {
		v := q.Get(key)
		return v != "" && v != "false" && v != "0"
	}
	number := func(key string) (*int64, error) {
		v := q.Get(key)
		if v == "" {
			return nil, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid %s %q: %w", key, v, err)
		}
		return &n, nil
	}
	o.follow, o.previous, o.timestamps = boolean("follow"), boolean("previous"), boolean("timestamps")
	var err error
	if o.tailLines, err = number("tailLines"); err != nil {
		return o, err
	}
	if o.limitBytes, err = number("limitBytes"); err != nil {
		return o, err
	}
	since, err := number("sinceSeconds")
	if err != nil {
		return o, err
	}
	if since != nil {
		o.since = now.Add(-time.Duration(*since) * time.Second)
	}
	if v := q.Get("sinceTime"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return o, fmt.Errorf("invalid sinceTime %q: %w", v, err)
		}
		o.since = t
	}
	switch s := q.Get("stream"); s {
	case "", corev1.LogStreamAll:
	case corev1.LogStreamStdout, corev1.LogStreamStderr:
		o.stream = s
	default:
		return o, fmt.Errorf("invalid stream %q", s)
	}
	return o, nil
}

// errLimitReached ends a copy at limitBytes.
var errLimitReached = errors.New("limit reached")

// copyLog writes the log in f to w per o. Lines in the CRI log format
// ("<RFC3339Nano time> <stdout|stderr> <F|P> <text>", what kubelet's
// runtimes write) are decoded: the prefix is dropped, partial lines (P)
// joined, and timestamps, since and stream applied. Other lines are
// copied as they are (a plain log has no times or streams to go by).
//
// With follow it waits at the end of the file for more, checking every
// poll, until ctx ends or over reports that the container run writing the
// file is over; what it wrote by then is then read to the end. flush is
// called whenever the copy catches up.
//
// The copy starts at f's offset: seekTail puts it tailLines from the end.
func copyLog(ctx context.Context, w io.Writer, flush func(), f *os.File, o logOptions, over func() bool, poll time.Duration) error {
	out := &logWriter{w: w, o: o}
	if o.limitBytes != nil {
		out.left = *o.limitBytes
		out.limited = true
	}
	br := bufio.NewReaderSize(f, 64*1024)
	var pending []byte
	draining := !o.follow
	for {
		chunk, err := br.ReadBytes('\n')
		if len(chunk) > 0 {
			if chunk[len(chunk)-1] == '\n' {
				line := chunk
				if len(pending) > 0 {
					line = append(pending, chunk...)
					pending = nil
				}
				if werr := out.line(line); werr != nil {
					return ignoreLimit(werr)
				}
			} else {
				pending = append(pending, chunk...)
			}
		}
		if err == nil {
			continue
		}
		if !errors.Is(err, io.EOF) {
			return err
		}
		if draining {
			if len(pending) > 0 {
				return ignoreLimit(out.line(pending))
			}
			return nil
		}
		flush()
		if over() {
			draining = true
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

func ignoreLimit(err error) error {
	if errors.Is(err, errLimitReached) {
		return nil
	}
	return err
}

// logWriter writes decoded log lines, honouring limitBytes.
type logWriter struct {
	w       io.Writer
	o       logOptions
	limited bool
	left    int64
	// midLine is set after a partial (P) CRI line: the next piece
	// continues it and gets no timestamp of its own.
	midLine bool
}

func (lw *logWriter) line(line []byte) error {
	ts, stream, partial, msg, ok := parseCRILine(line)
	if !ok {
		return lw.write(line)
	}
	if lw.o.stream != "" && stream != lw.o.stream {
		return nil
	}
	if !lw.o.since.IsZero() && ts.Before(lw.o.since) {
		return nil
	}
	var b []byte
	if lw.o.timestamps && !lw.midLine {
		b = append(b, ts.UTC().Format(time.RFC3339Nano)...)
		b = append(b, ' ')
	}
	b = append(b, msg...)
	if !partial {
		b = append(b, '\n')
	}
	lw.midLine = partial
	return lw.write(b)
}

func (lw *logWriter) write(b []byte) error {
	if lw.limited {
		if lw.left <= 0 {
			return errLimitReached
		}
		if int64(len(b)) > lw.left {
			b = b[:lw.left]
		}
		lw.left -= int64(len(b))
	}
	if _, err := lw.w.Write(b); err != nil {
		return err
	}
	if lw.limited && lw.left <= 0 {
		return errLimitReached
	}
	return nil
}

// parseCRILine decodes "<time> <stream> <tag> <message>\n" as the CRI
// logging format defines it; ok is false for any other line.
func parseCRILine(line []byte) (ts time.Time, stream string, partial bool, msg []byte, ok bool) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	f := bytes.SplitN(line, []byte(" "), 4)
	if len(f) < 3 {
		return ts, "", false, nil, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(f[0]))
	if err != nil {
		return ts, "", false, nil, false
	}
	switch string(f[1]) {
	case "stdout":
		stream = corev1.LogStreamStdout
	case "stderr":
		stream = corev1.LogStreamStderr
	default:
		return ts, "", false, nil, false
	}
	switch string(f[2]) {
	case "F":
	case "P":
		partial = true
	default:
		return ts, "", false, nil, false
	}
	if len(f) == 4 {
		msg = f[3]
	}
	return t, stream, partial, msg, true
}

// seekTail moves f to where a copy with o starts: tailLines lines before
// its end, or its start.
func seekTail(f *os.File, o logOptions) error {
	if o.tailLines == nil {
		return nil
	}
	off, err := tailOffset(f, *o.tailLines)
	if err != nil {
		return err
	}
	_, err = f.Seek(off, io.SeekStart)
	return err
}

// tailOffset returns the offset of the n-th line from the end of f (0 for
// a file with fewer lines). The final line's own newline does not count.
func tailOffset(f *os.File, n int64) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	if n == 0 {
		return size, nil
	}
	buf := make([]byte, 32*1024)
	var count int64
	for pos := size; pos > 0; {
		chunk := int64(len(buf))
		if pos < chunk {
			chunk = pos
		}
		pos -= chunk
		b := buf[:chunk]
		if _, err := f.ReadAt(b, pos); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != '\n' || pos+int64(i) == size-1 {
				continue
			}
			count++
			if count == n {
				return pos + int64(i) + 1, nil
			}
		}
	}
	return 0, nil
}
