package agent

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const criLog = `2030-01-01T10:00:00.000000001Z stdout F first
2030-01-01T10:00:01Z stderr F warning
2030-01-01T10:00:02Z stdout P par
2030-01-01T10:00:02.5Z stdout F tial
2030-01-01T10:00:03Z stdout F last
`

func TestCopyLog(t *testing.T) {
	now := time.Date(2030, 1, 1, 10, 0, 4, 0, time.UTC)
	cases := []struct {
		name  string
		log   string
		query string
		want  string
	}{
		{"plain as is", "a\nb\nc\n", "", "a\nb\nc\n"},
		{"plain tail", "a\nb\nc\n", "tailLines=2", "b\nc\n"},
		{"plain tail without final newline", "a\nb\nc", "tailLines=1", "c"},
		{"tail of more lines than there are", "a\nb\n", "tailLines=10", "a\nb\n"},
		{"tail 0", "a\nb\n", "tailLines=0", ""},
		{"limit bytes", "hello\nworld\n", "limitBytes=8", "hello\nwo"},
		{"CRI decoded and partial lines joined", criLog, "", "first\nwarning\npartial\nlast\n"},
		{"CRI timestamps", criLog, "timestamps=true&tailLines=2",
			"2030-01-01T10:00:02.5Z tial\n2030-01-01T10:00:03Z last\n"},
		{"CRI timestamps on a joined line", criLog, "timestamps=true&sinceTime=2030-01-01T10:00:02Z",
			"2030-01-01T10:00:02Z partial\n2030-01-01T10:00:03Z last\n"},
		{"CRI since seconds", criLog, "sinceSeconds=2", "partial\nlast\n"},
		{"CRI stderr only", criLog, "stream=Stderr", "warning\n"},
		{"CRI stdout only", criLog, "stream=Stdout", "first\npartial\nlast\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "0.log")
			if err := os.WriteFile(path, []byte(tc.log), 0o644); err != nil {
				t.Fatal(err)
			}
			q, _ := url.ParseQuery(tc.query)
			o, err := parseLogOptions(q, now)
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := seekTail(f, o); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := copyLog(context.Background(), &out, func() {}, f, o, func() bool { return true }, time.Millisecond); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Fatalf("got %q, want %q", out.String(), tc.want)
			}
		})
	}
}

func TestParseLogOptionsErrors(t *testing.T) {
	for _, q := range []string{"tailLines=x", "limitBytes=1.5", "sinceSeconds=a", "sinceTime=yesterday", "stream=both"} {
		v, _ := url.ParseQuery(q)
		if _, err := parseLogOptions(v, time.Now()); err == nil {
			t.Errorf("%s: no error", q)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestCopyLogFollow: a followed log streams lines as they are written,
// holds a line until its newline arrives, and ends once the container run
// is over, with everything written by then.
func TestCopyLogFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	w, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	_, _ = w.WriteString("one\n")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	var over atomic.Bool
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- copyLog(context.Background(), out, func() {}, f, logOptions{follow: true}, over.Load, time.Millisecond)
	}()
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for out.String() != want {
			if time.Now().After(deadline) {
				t.Fatalf("streamed %q, want %q", out.String(), want)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor("one\n")
	_, _ = w.WriteString("tw")
	time.Sleep(20 * time.Millisecond)
	if got := out.String(); got != "one\n" {
		t.Fatalf("half a line was streamed: %q", got)
	}
	_, _ = w.WriteString("o\n")
	waitFor("one\ntwo\n")
	_, _ = w.WriteString("three")
	over.Store(true)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follow did not end once the container was over")
	}
	if got := out.String(); got != "one\ntwo\nthree" {
		t.Fatalf("streamed %q", got)
	}
}

func TestCopyLogFollowEndsWithContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	if err := os.WriteFile(path, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- copyLog(ctx, &bytes.Buffer{}, func() {}, f, logOptions{follow: true}, func() bool { return false }, time.Millisecond)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("follow did not end with its context")
	}
}
