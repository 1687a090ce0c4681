# bftnode: the two commands a newcomer needs are `make localnet` and `make test`.
GO        ?= go
SEEDS     ?= 200
FUZZTIME  ?= 30s
PKGS      := ./...

.PHONY: all build localnet test vet race sim fuzz faults clean proto bench microbench mutate votes cosmos bench-wan sim-scale statesync disk

all: build

build:
	$(GO) build -o bin/ ./cmd/...

# The first command: four validators on loopback, each backed by its own
# built-in kvstore process over a unix socket, with a light transaction
# load and a live status line; Ctrl-C stops everything. Pass flags with
# LOCALNET_ARGS, e.g. make localnet LOCALNET_ARGS="--protocol pbft".
LOCALNET_ARGS ?=
localnet: build
	bin/bftnode localnet $(LOCALNET_ARGS)

# The full test suite: vet, unit and table tests, the purity check of the
# consensus cores, a short simulator sweep, then the process-level tests on
# their own (they start dozens of processes; sharing two cores with the
# other packages' tests would only make their timings noisy). Keep it under
# ~15 minutes on two cores; long runs have their own targets (sim, faults,
# fuzz, bench).
test: vet
	$(GO) test -count=1 -timeout 20m $$($(GO) list $(PKGS) | grep -v '/e2e$$')
	$(GO) test -count=1 -timeout 20m ./e2e
	$(GO) test -count=1 -tags failpoint,byzantine ./internal/failpoint ./internal/casapp
	$(GO) test -count=1 -tags failpoint,byzantine -run 'Byzantine|Equivocat|Invalid|Replay' ./engine

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

# Mutation testing of the consensus cores (cmd/bftmutate): one mutant per
# condition or state update of consensus/, tendermint/ and pbft/, each run
# through the simulator (every family, MUTATE_SEEDS seeds each, until one
# kills it) and, if the simulator missed it, the package's unit tests.
# Resumable: results are saved after every mutant in bin/mutate/results.json
# with a hash of the sources they were measured on, and the next make mutate
# runs only the mutants without a result on the current sources, so several
# runs (or one interrupted with Ctrl-C) cover the whole set. Writes
# MUTATIONS.md and every mutant's row to bin/mutate/results.tsv; fails if a
# safety mutant escapes the simulator, a survivor has no recorded reason or
# the kill score is below 90%. make test runs a two-mutant smoke version.
# Options via MUTATE_ARGS, e.g. MUTATE_ARGS="-safety -spread -budget 2h".
MUTATE_SEEDS ?= 10
MUTATE_ARGS ?=
mutate:
	@mkdir -p bin/mutate
	$(GO) build -o bin/ ./cmd/bftmutate
	nice bin/bftmutate -seeds $(MUTATE_SEEDS) -resume -report MUTATIONS.md -raw bin/mutate/results.tsv $(MUTATE_ARGS)

# The process-level fault suite, long version: every scenario of e2e/
# (crashes, partitions, a Byzantine validator, crash points, damaged logs,
# failing apps, RPC abuse, the twins positive control) for both protocols,
# each on its own network, with the issue's durations. Writes FAULTS.md, a
# page with each scenario's numbers and first violations, and
# bin/faults/details.md with every violation and note in full.
# make test runs the short version.
faults:
	BFTNODE_FAULTS_LONG=1 BFTNODE_FAULTS_REPORT=$(CURDIR)/FAULTS.md \
		BFTNODE_FAULTS_DETAILS=$(CURDIR)/bin/faults/details.md \
		$(GO) test -count=1 -timeout 180m -run '^TestFaults$$' -v ./e2e

# Long versions of the signature and vote-extension tests make test runs
# short: every LastCommit of 300 blocks read for all four validators'
# signatures, and CometBFT's e2e app (installed into the user cache) under
# bftnode with vote extensions for 500 blocks, for both protocols.
# Disk growth per block and per transaction under a steady load, for nodes
# that keep every block and nodes whose app prunes them (CometBFT's e2e app
# with retain_blocks), both protocols; writes BENCHMARKS.md's disk section.
# Then CometBFT v0.38.26 and both protocols side by side on abci-cli
# kvstore for DISK_SECONDS under the same load, nothing pruned, with the
# nodes' fsyncs counted (perf); then the blocks a second against the app's
# cost per block (`bftnode app --commit-delay`), for BLOCKRATE_SECONDS each.
DISK_BLOCKS ?= 1000
DISK_SECONDS ?= 120
BLOCKRATE_SECONDS ?= 15
disk:
	DISK_BLOCKS=$(DISK_BLOCKS) DISK_SECONDS=$(DISK_SECONDS) BLOCKRATE_SECONDS=$(BLOCKRATE_SECONDS) DISK_REPORT=$(CURDIR)/BENCHMARKS.md \
		$(GO) test -count=1 -timeout 90m -v -run '^(TestDiskGrowth|TestDiskSideBySide|TestBlockRateFollowsTheAppsBlockCost)$$' ./e2e

votes:
	LASTCOMMIT_BLOCKS=300 VOTEEXT_BLOCKS=500 $(GO) test -count=1 -timeout 60m -v \
		-run '^(TestEveryLiveValidatorSignsLastCommit|TestVoteExtensionsUnderCometBFTsE2EApp)$$' ./e2e

# State sync, long version: the state sync tests of make test (a fifth
# node joins a running chain from a snapshot, with crashes during the
# restore, Byzantine snapshot servers, and CometBFT's e2e app) with
# STATESYNC_KEYS keys written first, so that the snapshot has hundreds of
# chunks instead of a few.
STATESYNC_KEYS ?= 20000
statesync:
	STATESYNC_KEYS=$(STATESYNC_KEYS) $(GO) test -count=1 -timeout 60m -v -run '^TestStateSync' ./e2e

# Every fuzz target of the module for FUZZTIME each (go test -fuzz runs
# one target at a time). Their seed corpora already run in make test.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for fn in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
			echo "== $$pkg $$fn"; \
			$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

clean:
	rm -rf bin

# The hot path's Go microbenchmarks: signing and verifying votes, a durable
# WAL append, an ABCI CheckTx round trip, mempool admission and a core's
# Step, and a broadcast_tx_sync through the RPC server. Output goes to bin/microbench.txt for the report.
MICROBENCH := 'SignVote|VerifyVote|BatchVerifyVotes|CheckTx|AppendThenSync|AppendSyncConcurrent|Step|BroadcastTxSync|IndexBlocks'
microbench:
	@mkdir -p bin
	nice $(GO) test -run '^$$' -bench $(MICROBENCH) -benchtime 1s ./engine ./abci ./wal ./mempool ./tendermint ./pbft ./rpc ./indexer | tee bin/microbench.txt

# Side by side with CometBFT v0.38.26 (installed into the user cache, never
# committed): 4 validators each, every node backed by its own abci-cli
# kvstore over TCP, the same workloads against each. Writes BENCHMARKS.md
# and bench/results/. Takes about 10 minutes; run it on a quiet machine.
# Options via BENCH_ARGS, e.g. BENCH_ARGS="-scale 0.5 -protocols pbft".
BENCH_ARGS ?=
bench: build microbench
	bin/bftbench -micro bin/microbench.txt -command "make bench" $(BENCH_ARGS)

# The same systems over emulated wide-area links (cmd/bftwan): every peer
# connection through a user-space proxy that delays, jitters and
# rate-limits it as a latency matrix of four regions says (10/80/150/220
# ms round trips), at 4, 7 and 10 validators: committed tx/s, latency,
# blocks/s, LastCommits carrying every validator, the stall after the
# proposer is killed, and latency against a uniform round trip (chart in
# bench/results). Replaces its own section of BENCHMARKS.md; raw JSON in
# bin/wan. Took 16 minutes on 2 shared cores. Options via WAN_ARGS, e.g.
# WAN_ARGS="-validators 4 -sweep-rtts 100ms".
WAN_ARGS ?=
bench-wan: build
	nice -n 10 bin/bftwan -command "make bench-wan" $(WAN_ARGS)

# The simulator at growing sizes (cmd/bftscale): both protocols' real
# cores at 4 to 200 validators under bench-wan's latency matrix, votes
# only and with 1 MiB blocks over a 1 Gbit/s uplink: messages and bytes
# per block per node and the virtual time a block takes. Replaces its own
# section of BENCHMARKS.md. Options via SCALE_ARGS, e.g.
# SCALE_ARGS="-validators 4,10,100 -heights 20".
SCALE_ARGS ?=
sim-scale:
	$(GO) build -o bin/ ./cmd/bftscale
	nice bin/bftscale -command "make sim-scale" $(SCALE_ARGS)

# The Cosmos Hub's app, gaia v25.1.1 (Cosmos SDK v0.53), on bftnode, for
# each protocol, and on CometBFT v0.38.26 for comparison: builds gaiad (and
# installs cometbft) into the user cache on first use (many minutes; never
# committed), makes a 4-validator chain with gaiad's own commands, runs four
# gaiad processes behind four validators and checks a bank send, balances,
# query tx, a delegation changing the validator set, a load of bank sends
# (tx/s) and x/slashing's signing infos. Each engine's figures are a row of
# bin/cosmos/report.md. Options via the environment: COSMOS_TIMEOUT_COMMIT
# (1s), COSMOS_BLOCKS (80), COSMOS_LOAD (30s; 0 skips the load),
# COSMOS_PROTOCOLS (tendermint,pbft,cometbft).
COSMOS_PROTOCOLS ?= tendermint,pbft,cometbft
cosmos:
	@mkdir -p bin/cosmos && rm -f bin/cosmos/report.md
	COSMOS_PROTOCOLS=$(COSMOS_PROTOCOLS) COSMOS_REPORT=$(CURDIR)/bin/cosmos/report.md \
		nice $(GO) test -count=1 -timeout 120m -tags cosmos -run '^TestCosmos$$' -v ./e2e
	@cat bin/cosmos/report.md

# Regenerates the Go code of the wire messages (proto/bftnode/wire/*.proto)
# into wire/wirepb. Needs protoc (Debian: apt-get install -y
# protobuf-compiler); installs the gogoproto plugin at the version go.mod
# pins. CometBFT's .proto files come from the module cache.
PROTO_OUT := wire/wirepb
proto:
	@command -v protoc >/dev/null || apt-get install -y protobuf-compiler >/dev/null || { echo "protoc not found and could not be installed: install it (Debian: apt-get install -y protobuf-compiler)"; exit 1; }
	$(GO) mod download github.com/cosmos/gogoproto github.com/cometbft/cometbft
	$(GO) install github.com/cosmos/gogoproto/protoc-gen-gocosmos@$$($(GO) list -m -f '{{.Version}}' github.com/cosmos/gogoproto)
	@set -e; \
	gogo=$$($(GO) list -m -f '{{.Dir}}' github.com/cosmos/gogoproto); \
	cmt=$$($(GO) list -m -f '{{.Dir}}' github.com/cometbft/cometbft); \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	PATH="$$($(GO) env GOPATH)/bin:$$PATH" protoc \
		-I proto -I "$$cmt/proto" -I "$$gogo" -I "$$gogo/protobuf" \
		--gocosmos_out=Mgoogle/protobuf/timestamp.proto=github.com/cosmos/gogoproto/types,paths=source_relative:"$$tmp" \
		proto/bftnode/wire/*.proto; \
	mkdir -p $(PROTO_OUT); rm -f $(PROTO_OUT)/*.pb.go; \
	cp "$$tmp"/bftnode/wire/*.pb.go $(PROTO_OUT)/
