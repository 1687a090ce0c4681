//go:build cosmos

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cometbft/cometbft/types"
)

// TestCosmos runs the Cosmos Hub's application, gaia, on bftnode as its
// validators and token holders would, for each protocol: a 4-validator
// chain made with gaiad's own commands (its genesis.json in the SDK's own
// format, read as is), four gaiad processes behind four bftnode
// validators, and gaiad's CLI against bftnode's RPC for a bank send, the
// balances, `query tx`, a delegation that changes the validator set, a
// load of bank sends (the tx/s figure) and x/slashing's signing infos.
// `make cosmos` runs it; the first run builds gaiad into the user cache.
//
// COSMOS_TIMEOUT_COMMIT (default 1s) is the chain's block time,
// COSMOS_BLOCKS (default 80) how many blocks the chain makes before the
// signing infos are read and COSMOS_LOAD (default 30s) how long the load
// runs; COSMOS_PROTOCOLS (default both) picks protocols, "cometbft" among
// them for the same chain on CometBFT v0.38.26. COSMOS_REPORT names a
// markdown file each engine's figures are appended to as a table row.
func TestCosmos(t *testing.T) {
	bin, err := GaiaD()
	if err != nil {
		t.Fatalf("building gaiad %s: %v", gaiaVersion, err)
	}
	protocols := []string{"tendermint", "pbft"}
	if p := os.Getenv("COSMOS_PROTOCOLS"); p != "" {
		protocols = strings.Split(p, ",")
	}
	for _, protocol := range protocols {
		if protocol == "cometbft" {
			t.Run(protocol, func(t *testing.T) { runCosmosOnCometBFT(t, bin) })
			continue
		}
		t.Run(protocol, func(t *testing.T) { runCosmos(t, bin, protocol) })
	}
}

// offsetGRPC is the port of a node's gaiad gRPC server within the node's
// range (cluster.go uses offsets 0-3).
const offsetGRPC = 4

func cosmosSettings(t *testing.T) (time.Duration, int64) {
	commit, blocks := time.Second, int64(80)
	if v := os.Getenv("COSMOS_TIMEOUT_COMMIT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("COSMOS_TIMEOUT_COMMIT=%q: %v", v, err)
		}
		commit = d
	}
	if v := os.Getenv("COSMOS_BLOCKS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 20 {
			t.Fatalf("COSMOS_BLOCKS=%q: want a number of at least 20", v)
		}
		blocks = n
	}
	return commit, blocks
}

func runCosmos(t *testing.T, bin, protocol string) {
	commit, blocks := cosmosSettings(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute+time.Duration(blocks)*4*commit)
	defer cancel()
	chain, err := NewGaiaChain(bin, t.TempDir(), "bftnode-gaia-"+protocol, 4)
	if err != nil {
		t.Fatal(err)
	}
	c := startTestCluster(ctx, t, Options{Protocol: protocol, Validators: 4, ExternalApp: true, App: "gaiad",
		ExtraFlags: []string{"--consensus.timeout_commit", commit.String()}}, func(c *Cluster) error {
		for i, n := range c.Nodes {
			n.AppArgs = []string{"--home", chain.Homes[i], "--rpc.laddr", "tcp://" + n.RPCAddr,
				"--grpc.enable=true", "--grpc.address", "127.0.0.1:" + strconv.Itoa(c.port(i, offsetGRPC))}
			for _, f := range []struct{ from, to string }{
				{chain.Genesis(), "genesis.json"},
				{filepath.Join(chain.Homes[i], "config", "priv_validator_key.json"), "priv_validator_key.json"},
			} {
				b, err := os.ReadFile(f.from)
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(n.Home, "config", f.to), b, 0o600); err != nil {
					return err
				}
			}
		}
		return nil
	})
	cl, err := c.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		// Where each node's protocol stands (round or view, step) and
		// which validator it is, for a validator missing from commits.
		for i := range c.Nodes {
			ncl, err := c.Client(i)
			if err != nil {
				continue
			}
			st, err := ncl.Status(context.Background())
			if err != nil {
				t.Logf("node %d: status: %v", i, err)
				continue
			}
			dump, err := ncl.ConsensusState(context.Background())
			state := ""
			if err == nil {
				state = string(dump.RoundState)
			}
			t.Logf("node %d: validator %s, height %d, consensus %s", i, st.ValidatorInfo.Address, st.SyncInfo.LatestBlockHeight, state)
		}
	})
	var rpcs []string
	for _, n := range c.Nodes {
		rpcs = append(rpcs, n.RPCAddr)
	}
	checkGaiaChain(ctx, t, chain, cl, "bftnode "+protocol, rpcs, commit, blocks)
}

// checkGaiaChain is what a Cosmos user checks, against the first node's
// RPC (cl; rpcs are every node's RPC address), with a transaction load
// after the delegation.
func checkGaiaChain(ctx context.Context, t *testing.T, chain *GaiaChain, cl *rpchttp.HTTP, engine string, rpcs []string, commit time.Duration, blocks int64) {
	cli := gaiaCLI{chain: chain, node: "tcp://" + rpcs[0]}
	start := time.Now()
	startHeight := rpcHeight(ctx, t, cl)

	// A bank send, found by `query tx`, and the balances it changed.
	before := cli.balance(t, chain.Addrs["bob"])
	hash := cli.tx(ctx, t, "bank", "send", "alice", chain.Addrs["bob"], "1000"+gaiaDenom)
	if after := cli.balance(t, chain.Addrs["bob"]); after != before+1000 {
		t.Fatalf("bob's balance %d after receiving 1000%s, want %d (tx %s)", after, gaiaDenom, before+1000, hash)
	}

	// A delegation changes the validator set bftnode runs.
	valoper := strings.TrimSpace(string(cli.must(t, "keys", "show", "val0", "--bech", "val", "-a", "--keyring-backend", "test", "--home", chain.Client)))
	cli.tx(ctx, t, "staking", "delegate", valoper, "50000000"+gaiaDenom)
	waitPowers(ctx, t, cl, []int64{150, 100, 100, 100})

	// Bank sends as fast as the nodes take them, for the tx/s figure.
	row := cosmosRow{engine: engine, commit: commit}
	if d := cosmosLoadDuration(t); d > 0 {
		row.load = gaiaLoad(ctx, t, chain, rpcs, d)
		t.Logf("%s: load of %v: %d sends accepted (%d refused), %d committed in heights %d-%d over %.1fs of block time: %.1f tx/s",
			engine, d, row.load.accepted, row.load.rejected, row.load.committed, row.load.fromHeight, row.load.height,
			row.load.seconds, row.load.txPerSecond())
		if row.load.committed < int64(row.load.accepted) {
			t.Errorf("%d sends accepted by CheckTx, %d committed", row.load.accepted, row.load.committed)
		}
	}

	// The chain runs on; then no live validator has missed blocks.
	end := startHeight
	for end < startHeight+blocks {
		if ctx.Err() != nil {
			t.Fatalf("height %d, want %d: %v", end, startHeight+blocks, ctx.Err())
		}
		time.Sleep(200 * time.Millisecond)
		end = rpcHeight(ctx, t, cl)
	}
	elapsed := time.Since(start)
	row.blocks, row.blocksPerSecond = end-startHeight, float64(end-startHeight)/elapsed.Seconds()
	t.Logf("%s: heights %d-%d in %v: %.2f blocks/s with timeout_commit %v", engine, startHeight, end, elapsed.Round(time.Millisecond),
		row.blocksPerSecond, commit)
	if min := time.Duration(end-startHeight-1) * commit; elapsed < min {
		t.Fatalf("%d blocks in %v; with timeout_commit %v they cannot take less than %v", end-startHeight, elapsed, commit, min)
	}
	row.missed = checkSigningInfos(t, cli, len(chain.Homes))
	row.absent = checkLastCommits(ctx, t, cl, cosmosWarmup+1, end)
	row.report(t)
}

// rpcHeight is the node's latest block height.
func rpcHeight(ctx context.Context, t *testing.T, cl *rpchttp.HTTP) int64 {
	t.Helper()
	for i := 0; ; i++ {
		st, err := cl.Status(ctx)
		if err == nil {
			return st.SyncInfo.LatestBlockHeight
		}
		if i == 50 || ctx.Err() != nil {
			t.Fatalf("status: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// cosmosWarmup is the height up to which validators may still be
// connecting and gaiad warming up: the measure is that no live
// validator misses blocks past it.
const cosmosWarmup = 60

// checkLastCommits counts, in every block from one height to another, the
// validators absent from its LastCommit: that is what x/slashing counts as
// a missed block (of the height below).
func checkLastCommits(ctx context.Context, t *testing.T, cl *rpchttp.HTTP, from, to int64) (absences int) {
	t.Helper()
	absent := map[int][]int64{} // validator index -> heights
	for h := from; h <= to; h++ {
		res, err := cl.Block(ctx, &h)
		if err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		for i, sig := range res.Block.LastCommit.Signatures {
			if sig.BlockIDFlag == types.BlockIDFlagAbsent {
				absent[i] = append(absent[i], h)
			}
		}
		if n := len(res.Block.LastCommit.Signatures); n == 0 {
			t.Fatalf("block %d has an empty LastCommit", h)
		}
	}
	for i, hs := range absent {
		addr := ""
		if res, err := cl.Validators(ctx, &to, nil, nil); err == nil && i < len(res.Validators) {
			addr = res.Validators[i].Address.String()
		}
		t.Logf("validator %d (%s) absent from the LastCommit of %d of blocks %d-%d: %v", i, addr, len(hs), from, to, hs)
		if len(hs) > 1 {
			t.Errorf("validator %d absent from %d LastCommits past height %d; a live validator must miss at most 1", i, len(hs), from-1)
		}
		absences += len(hs)
	}
	return absences
}

// waitPowers waits until node 0's /validators shows these powers (in any
// order of validators, compared sorted high to low).
func waitPowers(ctx context.Context, t *testing.T, cl *rpchttp.HTTP, want []int64) {
	t.Helper()
	var got []int64
	deadline := time.Now().Add(60 * time.Second)
	for fmt.Sprint(got) != fmt.Sprint(want) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("validator powers %v, want %v within 60s", got, want)
		}
		time.Sleep(200 * time.Millisecond)
		res, err := cl.Validators(ctx, nil, nil, nil)
		if err != nil {
			continue
		}
		got = got[:0]
		for _, v := range res.Validators {
			got = append(got, v.VotingPower)
		}
	}
}

// checkSigningInfos reads x/slashing's signing infos: every validator has
// one and none is jailed or tombstoned; the counts are logged (misses while
// the chain warms up count there; checkLastCommits checks the rest).
func checkSigningInfos(t *testing.T, cli gaiaCLI, validators int) (missed []int64) {
	t.Helper()
	var res struct {
		Info []struct {
			Address             string `json:"address"`
			IndexOffset         string `json:"index_offset"`
			Tombstoned          bool   `json:"tombstoned"`
			MissedBlocksCounter string `json:"missed_blocks_counter"`
			JailedUntil         string `json:"jailed_until"`
		} `json:"info"`
	}
	out := cli.must(t, "query", "slashing", "signing-infos", "--node", cli.node, "--output", "json")
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("signing-infos: %v\n%s", err, out)
	}
	if len(res.Info) != validators {
		t.Fatalf("%d signing infos, want %d:\n%s", len(res.Info), validators, out)
	}
	for _, in := range res.Info {
		n, _ := strconv.ParseInt(in.MissedBlocksCounter, 10, 64)
		missed = append(missed, n)
		t.Logf("signing info %s: %d blocks signed or missed, %d missed, jailed until %s", in.Address, atoi(in.IndexOffset), n, in.JailedUntil)
		if in.Tombstoned || !strings.HasPrefix(in.JailedUntil, "1970-") {
			t.Errorf("validator %s is jailed until %s (tombstoned %v) after %d missed blocks", in.Address, in.JailedUntil, in.Tombstoned, n)
		}
	}
	return missed
}

func atoi(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }

// gaiaCLI runs gaiad's client commands against a node's RPC.
type gaiaCLI struct {
	chain *GaiaChain
	node  string
}

func (g gaiaCLI) must(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := g.chain.run(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (g gaiaCLI) balance(t *testing.T, addr string) int64 {
	t.Helper()
	out := g.must(t, "query", "bank", "balance", addr, gaiaDenom, "--node", g.node, "--output", "json")
	var res struct {
		Balance struct{ Amount string } `json:"balance"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("balance of %s: %v\n%s", addr, err, out)
	}
	n, err := strconv.ParseInt(res.Balance.Amount, 10, 64)
	if err != nil {
		t.Fatalf("balance of %s: %q", addr, out)
	}
	return n
}

// tx signs a transaction as alice with simulated gas, at twice the fee
// market's minimum gas price (1uatom in gaia's genesis), broadcasts it and
// waits until `query tx` finds it committed with code 0.
func (g gaiaCLI) tx(ctx context.Context, t *testing.T, args ...string) string {
	t.Helper()
	full := append([]string{"tx"}, args...)
	full = append(full, "--from", "alice", "--chain-id", g.chain.ChainID, "--node", g.node,
		"--keyring-backend", "test", "--home", g.chain.Client, "--gas", "auto", "--gas-adjustment", "1.5",
		"--gas-prices", "2"+gaiaDenom, "--yes", "--output", "json")
	out := g.must(t, full...)
	var res struct {
		Code   int    `json:"code"`
		TxHash string `json:"txhash"`
		RawLog string `json:"raw_log"`
	}
	if err := json.Unmarshal(lastJSONLine(out), &res); err != nil || res.TxHash == "" {
		t.Fatalf("gaiad %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if res.Code != 0 {
		t.Fatalf("gaiad %s: CheckTx code %d: %s", strings.Join(args, " "), res.Code, res.RawLog)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := g.chain.run("query", "tx", res.TxHash, "--node", g.node, "--output", "json")
		if err == nil {
			var q struct {
				Code   int    `json:"code"`
				Height string `json:"height"`
				RawLog string `json:"raw_log"`
			}
			if err := json.Unmarshal(out, &q); err != nil {
				t.Fatalf("query tx %s: %v\n%s", res.TxHash, err, out)
			}
			if q.Code != 0 {
				t.Fatalf("gaiad %s: committed at height %s with code %d: %s", strings.Join(args, " "), q.Height, q.Code, q.RawLog)
			}
			t.Logf("gaiad %s: committed at height %s (%s)", strings.Join(args, " "), q.Height, res.TxHash)
			return res.TxHash
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("query tx %s: not found within 60s: %v", res.TxHash, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func rpcHeightOrZero(ctx context.Context, cl *rpchttp.HTTP) int64 {
	st, err := cl.Status(ctx)
	if err != nil {
		return 0
	}
	return st.SyncInfo.LatestBlockHeight
}

func cli(t *testing.T, chain *GaiaChain, args ...string) []byte {
	t.Helper()
	out, err := chain.run(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
