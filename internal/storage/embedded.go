package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// Embedded is an etcd member that runs inside the portal process, serving
// clients on a loopback port and keeping its data in Dir.
type Embedded struct {
	// Dir holds etcd's data; a restart on the same Dir keeps every key.
	Dir string
	// ClientURL is where clients connect (default http://127.0.0.1:0, a free port).
	ClientURL string
	// Log receives the member's lifecycle messages (default slog.Default());
	// etcd's own log goes to Dir/etcd.log.
	Log *slog.Logger

	etcd *embed.Etcd
}

// ErrNotStarted is returned by methods that need a running member.
var ErrNotStarted = errors.New("embedded etcd is not started")

// Start launches the member and waits until it serves clients or ctx ends.
func (e *Embedded) Start(ctx context.Context) error {
	if e.Dir == "" {
		return errors.New("embedded etcd: no data directory")
	}
	if err := os.MkdirAll(e.Dir, 0o700); err != nil {
		return fmt.Errorf("embedded etcd: %w", err)
	}
	clientURL := e.ClientURL
	if clientURL == "" {
		clientURL = "http://127.0.0.1:0"
	}
	cu, err := url.Parse(clientURL)
	if err != nil {
		return fmt.Errorf("embedded etcd client url: %w", err)
	}
	// The peer URL is a unix socket in the data directory: a single member
	// has no peers, and this way no TCP port is taken for nothing.
	pu, err := url.Parse("unix://" + filepath.Join(e.Dir, "peer.sock"))
	if err != nil {
		return fmt.Errorf("embedded etcd peer url: %w", err)
	}
	cfg := embed.NewConfig()
	cfg.Name = "portal"
	cfg.Dir = e.Dir
	cfg.ListenClientUrls = []url.URL{*cu}
	cfg.AdvertiseClientUrls = []url.URL{*cu}
	cfg.ListenPeerUrls = []url.URL{*pu}
	cfg.AdvertisePeerUrls = []url.URL{*pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.LogLevel = "error"
	cfg.Logger = "zap"
	cfg.LogOutputs = []string{filepath.Join(e.Dir, "etcd.log")}
	// kube-apiserver compacts history itself (every 5 minutes, keeping the
	// watch window); etcd's own auto-compaction stays off as upstream runs it.
	cfg.AutoCompactionRetention = "0"
	_ = os.Remove(filepath.Join(e.Dir, "peer.sock"))

	etcd, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("start embedded etcd: %w", err)
	}
	select {
	case <-etcd.Server.ReadyNotify():
	case err := <-etcd.Err():
		etcd.Close()
		return fmt.Errorf("embedded etcd: %w", err)
	case <-time.After(60 * time.Second):
		etcd.Close()
		return errors.New("embedded etcd: not ready after 60s")
	case <-ctx.Done():
		etcd.Close()
		return ctx.Err()
	}
	e.etcd = etcd
	log := e.Log
	if log == nil {
		log = slog.Default()
	}
	log.Info("embedded etcd ready", "dir", e.Dir, "endpoints", e.Endpoints())
	return nil
}

// Endpoints returns the client URLs of the running member.
func (e *Embedded) Endpoints() []string {
	if e.etcd == nil {
		return nil
	}
	var out []string
	for _, l := range e.etcd.Clients {
		out = append(out, "http://"+l.Addr().String())
	}
	return out
}

// Err reports a fatal error of the running member.
func (e *Embedded) Err() <-chan error {
	if e.etcd == nil {
		return nil
	}
	return e.etcd.Err()
}

// Close stops the member; it is safe to call on a member never started.
func (e *Embedded) Close() {
	if e.etcd != nil {
		e.etcd.Close()
		e.etcd = nil
	}
}
