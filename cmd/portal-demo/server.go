package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// server holds the probe switches.
type server struct {
	log             *log.Logger
	unready, unwell atomic.Bool
}

func newServer(l *log.Logger) *server { return &server{log: l} }

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "Hello from %s\n", hostname())
	})
	mux.HandleFunc("GET /host", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "NODE: %s, POD IP: %s\n", os.Getenv("NODE_NAME"), os.Getenv("POD_IP"))
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		probe(w, s.unwell.Load(), http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		probe(w, s.unready.Load(), http.StatusServiceUnavailable)
	})
	for path, set := range map[string]func(){
		"/fail/ready": func() { s.unready.Store(true) },
		"/ok/ready":   func() { s.unready.Store(false) },
		"/fail/live":  func() { s.unwell.Store(true) },
		"/ok/live":    func() { s.unwell.Store(false) },
	} {
		mux.HandleFunc("POST "+path, func(w http.ResponseWriter, _ *http.Request) {
			set()
			fmt.Fprintln(w, "ok")
		})
	}
	return s.logged(mux)
}

func probe(w http.ResponseWriter, failing bool, code int) {
	if failing {
		http.Error(w, "failing", code)
		return
	}
	fmt.Fprintln(w, "ok")
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// logged logs every request: time, client, method, path, status.
func (s *server) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.log.Printf("%s %s %s %s %d", time.Now().UTC().Format(time.RFC3339), r.RemoteAddr, r.Method, r.URL.Path, rec.code)
	})
}
