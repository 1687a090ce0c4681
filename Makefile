# bftnode: the two commands a newcomer needs are `make localnet` and `make test`.
GO        ?= go
SEEDS     ?= 200
FUZZTIME  ?= 30s
PKGS      := ./...

.PHONY: all build test vet race sim fuzz clean

all: build

build:
	$(GO) build -o bin/ ./cmd/...

# The full test suite: vet, unit and table tests, the purity check of the
# consensus cores and a short simulator sweep. Keep it under ~15 minutes on
# two cores; long runs have their own targets (sim, fuzz).
test: vet
	$(GO) test -count=1 -timeout 20m $(PKGS)

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go') | grep -v '\.pb\.go$$')" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet $(PKGS)

race:
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

# The deterministic simulator: every scenario family of both protocols with
# SEEDS seeds each, on every CPU. Failing seeds print a replay command; the
# exit status is non-zero if any violation was found.
sim:
	$(GO) build -o bin/ ./cmd/bftsim
	bin/bftsim -protocol all -scenario all -seeds $(SEEDS) -timing

clean:
	rm -rf bin
