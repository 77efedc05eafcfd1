// Package apiserver runs portal's Kubernetes-compatible API server: a
// k8s.io/apiserver generic server with portal's registry installed, TLS with
// a generated CA, client-certificate, token and (on loopback) anonymous
// authentication, and the namespace lifecycle admission check.
//
// New only checks options; Run starts etcd (embedded unless external
// servers are given), builds the storage and serves until its context ends.
// The package must not run controllers: they talk to it through client-go
// like any other client.
package apiserver
