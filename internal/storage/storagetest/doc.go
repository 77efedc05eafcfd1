// Package storagetest holds the conformance suite of portal's storage seam
// and the etcd servers it runs against.
//
// A Backend is one running etcd that a test owns: NewEmbeddedEtcd runs it
// inside the test process through storage.Embedded, NewExternalEtcd runs the
// real etcd binary as a separate process (StartEmbeddedEtcd and
// StartExternalEtcd return just the endpoints). Both listen on loopback
// only, keep their data in t.TempDir(), can be restarted on the same data
// and client URL, and are stopped in t.Cleanup.
//
// RunConformance builds real portal resources (ConfigMaps, Services) with
// registry.Build over storage.RESTOptions pointed at a backend, and checks
// through the rest.Storage interfaces what the API promises of storage:
// resourceVersion is etcd's mod revision, optimistic concurrency, names,
// selectors and pagination, ordered and complete watches, 410 Gone after
// compaction, data and history surviving a restart, and no lost update
// under concurrent writers. It runs every case with the watch cache off and
// on, each case on a fresh etcd.
//
// The etcd binary for NewExternalEtcd is $ETCD_BIN, else etcd on PATH, else
// $(go env GOPATH)/bin/etcd, else built once from the go.etcd.io/etcd/server/v3
// version in portal's go.mod into <user cache dir>/portal/bin. Setting
// $PORTAL_REQUIRE_ETCD turns "no etcd to be had" from a skip into a failure.
package storagetest
