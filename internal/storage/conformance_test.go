package storage_test

import (
	"testing"

	"github.com/portal-dev/portal/internal/storage/storagetest"
)

// TestConformance runs the storage conformance table against portal's
// embedded etcd and against etcd as a separate process.
func TestConformance(t *testing.T) {
	backends := []struct {
		name  string
		start func(t testing.TB) storagetest.Backend
	}{
		{name: "embedded", start: func(t testing.TB) storagetest.Backend { return storagetest.NewEmbeddedEtcd(t) }},
		{name: "external", start: func(t testing.TB) storagetest.Backend { return storagetest.NewExternalEtcd(t) }},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			storagetest.RunConformance(t, b.start)
		})
	}
}
