# csaudit — see README.md. `make demo` and `make test` work on a fresh machine.
GO       ?= go
BIN      := bin/csaudit
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)

.PHONY: all build demo test lint fmt generate docs bench peers clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/csaudit

# Audit the embedded lab cloud: nothing but Go is needed.
demo: build
	$(BIN) audit --lab --format table,json --out out/

# Packages that run goroutines, also tested under the race detector (never
# the OPA-heavy policies package: too slow under -race for this budget).
RACE_PKGS := ./collectors ./collectors/hosts ./collectors/libvirt ./collectors/ipmi ./pipeline ./remediate

# Everything CI runs. Installs the real test peers first when any is missing.
test: peers lint
	$(GO) test -count=1 -timeout 20m ./...
	$(GO) test -count=1 -race -timeout 20m $(RACE_PKGS)

peers:
	sh fixtures/testbed/install.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -count=1 -run 'TestRegoFormatted|TestMetadataComplete|TestSandboxRejectsNetworkAndClock' ./policies

fmt:
	gofmt -w $$(git ls-files '*.go')
	$(GO) test -count=1 -run TestRegoFormatted ./policies -fmt

# Regenerate the embedded lab (collected from the generated lab: needs the
# peers), the JSON Schemas and golden files.
generate: peers
	$(GO) generate ./...
	$(GO) test -count=1 -run 'TestSchemasUpToDate|TestAuditLabGolden' ./cmd/csaudit -update

# csaudit side by side with parallel-ssh and opa on the generated lab and the
# SSH simulator: bench/results.json and a table (docs/performance.md).
# BENCH_QUICK=1: the 100-host / 5,000-VM version. Never part of `make test`.
bench: peers
	$(GO) run ./fixtures/bench $(if $(filter-out 0,$(BENCH_QUICK)),-quick)

clean:
	rm -rf bin out

# docs/checks.md from the checks' METADATA.
docs:
	$(GO) test -count=1 -run TestChecksDocUpToDate ./policies -update
