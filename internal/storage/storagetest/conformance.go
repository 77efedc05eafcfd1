package storagetest

import (
	"testing"
)

// Backend is one running etcd the conformance cases write to.
type Backend interface {
	// Endpoints are etcd's client URLs; they stay the same across Restart.
	Endpoints() []string
	// Restart stops etcd and starts it again on the same data, as a
	// process restart would; etcd serves again on return.
	Restart(t testing.TB)
}

var (
	_ Backend = (*EmbeddedEtcd)(nil)
	_ Backend = (*ExternalEtcd)(nil)
)

// conformanceCase is one property of the storage seam. run gets a harness
// on a fresh etcd with nothing written yet.
type conformanceCase struct {
	name string
	run  func(t *testing.T, h *harness)
}

// cases is the conformance table, in the order the cases run.
var cases = []conformanceCase{
	{name: "create then get round-trips at the mod revision", run: testCreateGet},
	{name: "update with a stale resourceVersion conflicts", run: testStaleUpdate},
	{name: "create of an existing name already exists", run: testCreateExisting},
	{name: "generateName gives distinct names", run: testGenerateName},
	{name: "delete then get is not found", run: testDelete},
	{name: "list selects and paginates", run: testList},
	{name: "watch from a resourceVersion is complete and ordered", run: testWatchOrdered},
	{name: "watch from a compacted revision is gone", run: testWatchCompacted},
	{name: "data and history survive a restart", run: testRestart},
	{name: "concurrent updates lose nothing", run: testConcurrentUpdates},
}

// RunConformance runs the conformance table against etcd servers made by
// newBackend, each case on a fresh one, with the watch cache off and on.
// newBackend must stop what it starts in t.Cleanup.
func RunConformance(t *testing.T, newBackend func(t testing.TB) Backend) {
	for _, watchCache := range []bool{false, true} {
		mode := "watchcache=off"
		if watchCache {
			mode = "watchcache=on"
		}
		t.Run(mode, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					c.run(t, newHarness(t, newBackend(t), watchCache))
				})
			}
		})
	}
}
