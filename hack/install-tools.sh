#!/usr/bin/env bash
# Installs the tools portal's tests need that Go does not bring: an etcd
# server binary, built from the etcd version in go.mod (hack/etcd), for the
# storage conformance suite against a separate etcd process. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
GOBIN="$(go env GOPATH)/bin"
mkdir -p "$GOBIN"
go build -o "$GOBIN/etcd" ./hack/etcd
"$GOBIN/etcd" --version | head -1
