package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDemoEndpoints(t *testing.T) {
	t.Setenv("NODE_NAME", "node-a")
	t.Setenv("POD_IP", "127.244.0.9")
	t.Setenv("HOSTNAME", "web-1")
	var logs bytes.Buffer
	srv := httptest.NewServer(newServer(log.New(&logs, "", 0)).routes())
	defer srv.Close()

	steps := []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/", 200, "Hello from web-1\n"},
		{"GET", "/host", 200, "NODE: node-a, POD IP: 127.244.0.9\n"},
		{"GET", "/healthz", 200, "ok\n"},
		{"GET", "/readyz", 200, "ok\n"},
		{"POST", "/fail/ready", 200, "ok\n"},
		{"GET", "/readyz", 503, "failing\n"},
		{"GET", "/healthz", 200, "ok\n"},
		{"POST", "/ok/ready", 200, "ok\n"},
		{"GET", "/readyz", 200, "ok\n"},
		{"POST", "/fail/live", 200, "ok\n"},
		{"GET", "/healthz", 500, "failing\n"},
		{"POST", "/ok/live", 200, "ok\n"},
		{"GET", "/healthz", 200, "ok\n"},
		{"GET", "/fail/ready", 405, ""},
		{"GET", "/nope", 404, ""},
	}
	for _, s := range steps {
		req, _ := http.NewRequest(s.method, srv.URL+s.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != s.code || (s.body != "" && string(body) != s.body) {
			t.Errorf("%s %s = %d %q, want %d %q", s.method, s.path, resp.StatusCode, body, s.code, s.body)
		}
	}
	if !strings.Contains(logs.String(), "GET /host 200") || !strings.Contains(logs.String(), "GET /readyz 503") {
		t.Errorf("request log:\n%s", logs.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDemoRunServesTCPAndUDP runs the server as the binary does: HTTP and
// the UDP echo on one address, and a clean stop when its context ends.
func TestDemoRunServesTCPAndUDP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, addr, true, out) }()

	var resp *http.Response
	for deadline := time.Now().Add(5 * time.Second); ; {
		resp, err = http.Get("http://" + addr + "/healthz")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp.Body.Close()

	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := conn.Read(buf)
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("udp echo %q, %v", buf[:n], err)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "shutting down") {
		t.Errorf("output:\n%s", out.String())
	}
}
