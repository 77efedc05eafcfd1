# portal's developer entry points. `make run` starts everything on this
# machine; `make test` runs the whole suite (unit tables, then end-to-end).

GO       ?= go
BIN      ?= bin/portal
DATA_DIR ?= $(HOME)/.portal
# Packages of the fast unit layer: everything but the end-to-end suite.
UNIT_PKGS = $(shell $(GO) list ./... | grep -v /test/e2e)

.PHONY: build images run test test-unit test-e2e vet tools bench-apiserver bench-endpoints generate

build:
	$(GO) build -o $(BIN) ./cmd/portal

# Images are local programs: portal runs a container without a command as
# the program named after its image, found in --image-path.
images:
	$(GO) build -o bin/images/portal-demo ./cmd/portal-demo

run: build images
	$(BIN) up --data-dir $(DATA_DIR) --image-path $(CURDIR)/bin/images

test: vet test-unit test-e2e

vet:
	$(GO) vet ./...

test-unit:
	$(GO) test -count=1 $(UNIT_PKGS)

test-e2e: build
	PORTAL_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -p 1 ./test/e2e/...

# Tools the tests need that do not come with Go: an etcd server binary for
# the external-etcd storage conformance run.
tools:
	./hack/install-tools.sh

bench-apiserver: build
	$(GO) run ./bench/apiserver -portal $(CURDIR)/$(BIN)

bench-endpoints: build
	$(GO) run ./bench/endpoints -portal $(CURDIR)/$(BIN)

generate:
	./hack/update-openapi.sh
