# csaudit — see README.md. `make demo` and `make test` work on a fresh machine.
GO       ?= go
BIN      := bin/csaudit
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)

.PHONY: all build demo test lint fmt generate docs bench peers clean dist fuzz

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/csaudit

# Audit the embedded lab cloud: nothing but Go is needed.
demo: build
	$(BIN) audit --lab --format table,json --out out/

# Packages that run goroutines, also tested under the race detector (never
# the OPA-heavy policies package: too slow under -race for this budget).
RACE_PKGS := ./collectors ./collectors/sshpool ./collectors/hosts ./collectors/libvirt ./collectors/ipmi ./pipeline ./remediate

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
	cd fixtures/dist && $(GO) vet ./...
	$(GO) test -count=1 -run 'TestRegoFormatted|TestMetadataComplete|TestSandboxRejectsNetworkAndClock' ./policies

fmt:
	gofmt -w $$(git ls-files '*.go')
	$(GO) test -count=1 -run TestRegoFormatted ./policies -fmt

# Regenerate the embedded lab (collected from the generated lab: needs the
# peers), the JSON Schemas and golden files.
generate: peers
	$(GO) generate ./...
	$(GO) test -count=1 -run 'TestSchemasUpToDate|TestAuditLabGolden' ./cmd/csaudit -update

# Every fuzz target (Fuzz* in *_fuzz_test.go), one after another, each for
# FUZZTIME; `make test` runs only their seed corpora. A failing input is
# saved under the package's testdata/fuzz/ and replayed by plain go test:
# commit it with the fix. FUZZFLAGS passes more flags (-parallel 1, ...);
# -timeout 0: go test's 10-minute default would cut a long FUZZTIME.
FUZZTIME  ?= 60s
FUZZFLAGS ?=
FUZZ_PKGS  = $(sort $(dir $(shell find . -name '*_fuzz_test.go' -not -path './.git/*')))

fuzz:
	@set -e; for pkg in $(FUZZ_PKGS); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t for $(FUZZTIME)"; \
	    $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -timeout 0 $(FUZZFLAGS) $$pkg; \
	  done; \
	done

# csaudit side by side with parallel-ssh and opa on the generated lab and the
# SSH simulator: bench/results.json and a table (docs/performance.md).
# BENCH_QUICK=1: the 100-host / 5,000-VM version. Never part of `make test`.
bench: peers
	$(GO) run ./fixtures/bench $(if $(filter-out 0,$(BENCH_QUICK)),-quick)

clean:
	rm -rf bin out dist

# .deb and .rpm for amd64 and arm64 into dist/ (fixtures/dist: nfpm as a
# library, its own module so nothing of it reaches the csaudit binary).
dist:
	cd fixtures/dist && $(GO) run . -out $(CURDIR)/dist

# docs/checks.md and docs/controls.md from the checks' METADATA.
docs:
	$(GO) test -count=1 -run 'TestChecksDocUpToDate|TestControlsDocUpToDate' ./policies -update
