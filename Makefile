# loupe: build, test and run on one Debian machine, as root.
SHELL := /bin/bash
export PATH := $(CURDIR)/bin:/usr/local/go/bin:$(PATH)

GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
PROTOS  := api/flow/flow.proto api/observer/observer.proto api/agent/agent.proto api/peer/peer.proto
GENERATED := api datapath/loader

# Debian packages the build, the lab and the tests use.
DEB_PKGS := clang llvm libbpf-dev iproute2 protobuf-compiler libprotobuf-dev \
	dnsutils curl iperf3 tcpdump jq iputils-ping iptables ca-certificates \
	clickhouse-server clickhouse-client prometheus \
	chromium

.PHONY: all deps generate build run test bench lint check-generated clean ui ui-deps ui-check

all: build

## deps: install missing Debian packages (idempotent, no prompts).
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
	fi

bin/protoc-gen-go bin/protoc-gen-go-grpc: go.mod
	@mkdir -p bin
	$(GO) build -o bin/protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go
	$(GO) build -o bin/protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc

## generate: protobuf and bpf2go outputs (committed).
generate: bin/protoc-gen-go bin/protoc-gen-go-grpc
	protoc -I . -I /usr/include --go_out=. --go_opt=paths=source_relative \
		--go-grpc_out=. --go-grpc_opt=paths=source_relative $(PROTOS)
	$(GO) generate ./datapath/...

## check-generated: fail when generated code is not current.
check-generated: generate
	@if ! git diff --quiet -- $(GENERATED) || [ -n "$$(git status --porcelain -- $(GENERATED))" ]; then \
		git status --short -- $(GENERATED); git diff --stat -- $(GENERATED); \
		echo "generated code is stale: run 'make generate' and commit the result"; exit 1; \
	fi

## build: bin/loupe
build:
	@mkdir -p bin
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/loupe ./cmd/loupe

## run: the agent, the demo lab and live traffic on this machine; Ctrl-C cleans up.
run: deps build
	./deploy/run.sh

## test: every test, privileged ones included (run as root).
test: deps check-generated ui-check build lint
	CI=$${CI:-} LOUPE_BIN=$(CURDIR)/bin/loupe $(GO) test -count=1 -timeout 15m ./...

## bench: datapath, decoder and end-to-end figures, with ratios to baselines.
bench: deps ui-deps build
	LOUPE_BIN=$(CURDIR)/bin/loupe ./deploy/bench.sh

## ui-deps: the web UI's npm packages (lockfile, no scripts), for its build and browser tests.
UI_WEB := ui/web
ui-deps: $(UI_WEB)/node_modules/.installed
$(UI_WEB)/node_modules/.installed: $(UI_WEB)/package.json $(UI_WEB)/package-lock.json
	@command -v npm >/dev/null || { echo "the web UI needs node 20+ and npm"; exit 1; }
	cd $(UI_WEB) && npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

## ui: type-check and build the web UI into ui/assets/dist (committed, embedded in bin/loupe).
ui: ui-deps
	cd $(UI_WEB) && npx tsc --noEmit -p . && node build.mjs

## ui-check: fail when the committed UI bundle is not what its sources build.
ui-check: ui
	@if ! git diff --quiet -- ui/assets/dist || [ -n "$$(git status --porcelain -- ui/assets/dist)" ]; then \
		git status --short -- ui/assets/dist; \
		echo "ui/assets/dist is stale: run 'make ui' and commit the result"; exit 1; \
	fi

## lint: gofmt and go vet.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin
