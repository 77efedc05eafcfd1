package storagetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/portal-dev/portal/internal/storage"
)

// EmbeddedEtcd is portal's storage.Embedded member running inside the test
// process, its data in a test directory.
type EmbeddedEtcd struct {
	member *storage.Embedded
}

// StartEmbeddedEtcd starts an embedded etcd for the test and returns its
// client endpoints; the member is closed in t.Cleanup.
func StartEmbeddedEtcd(t testing.TB) []string {
	t.Helper()
	return NewEmbeddedEtcd(t).Endpoints()
}

// NewEmbeddedEtcd starts an embedded etcd for the test, serving on return.
// The member is closed in t.Cleanup.
func NewEmbeddedEtcd(t testing.TB) *EmbeddedEtcd {
	t.Helper()
	e := &EmbeddedEtcd{member: &storage.Embedded{Dir: filepath.Join(t.TempDir(), "etcd")}}
	// Closes whichever member runs then, the restarted one included.
	t.Cleanup(func() { e.member.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := e.member.Start(ctx); err != nil {
		t.Fatalf("embedded etcd: %v", err)
	}
	return e
}

// Endpoints returns the client URLs; they stay the same across Restart.
func (e *EmbeddedEtcd) Endpoints() []string { return e.member.Endpoints() }

// Restart closes the member and starts a new one on the same directory and
// client URL, as a portal restart would, serving on return.
func (e *EmbeddedEtcd) Restart(t testing.TB) {
	t.Helper()
	eps := e.member.Endpoints()
	if len(eps) != 1 {
		t.Fatalf("embedded etcd: want one endpoint before restart, have %v", eps)
	}
	e.member.Close()
	e.member = &storage.Embedded{Dir: e.member.Dir, ClientURL: eps[0]}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := e.member.Start(ctx); err != nil {
		t.Fatalf("restart embedded etcd: %v", err)
	}
}
