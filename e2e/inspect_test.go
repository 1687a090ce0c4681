package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// TestInspectServesAStoppedNode stops a validator after a transaction
// committed and runs `bftnode inspect` on its home: the read-only routes
// answer from its stores as the running network does (the same block
// hashes, the transaction by hash and by search), the routes that need a
// running node are not there, and inspect refuses a home whose node is
// still running instead of opening its databases under it.
func TestInspectServesAStoppedNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := startTestCluster(ctx, t, Options{Protocol: "tendermint", Validators: 4}, nil)
	live, err := c.Client(1)
	if err != nil {
		t.Fatal(err)
	}
	res, err := live.BroadcastTxCommit(ctx, []byte("inspect=me"))
	if err != nil || res.CheckTx.Code != 0 || res.TxResult.Code != 0 {
		t.Fatalf("broadcast_tx_commit: %v %+v", err, res)
	}
	if err := c.WaitHeight(ctx, 0, res.Height+1); err != nil {
		t.Fatal(err)
	}

	busy := exec.CommandContext(ctx, c.bin, "inspect", "--home", c.Nodes[1].Home, "--rpc.laddr", "tcp://127.0.0.1:0")
	out, err := busy.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "is another bftnode using it?") {
		t.Fatalf("inspect on a running node's home: err %v, output:\n%s", err, out)
	}

	if err := c.Stop(0); err != nil {
		t.Fatal(err)
	}
	inspect := exec.CommandContext(ctx, c.bin, "inspect", "--home", c.Nodes[0].Home,
		"--rpc.laddr", "tcp://"+c.Nodes[0].RPCAddr)
	var log bytes.Buffer
	inspect.Stdout, inspect.Stderr = &log, &log
	if err := inspect.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = inspect.Process.Kill(); _ = inspect.Wait() }()
	stopped, err := c.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitUntil(ctx, 20*time.Second, "inspect's RPC", func() (bool, error) {
		_, err := stopped.Health(ctx)
		return err == nil, nil
	}); err != nil {
		t.Fatalf("%v; inspect's output:\n%s", err, log.String())
	}

	chain, err := stopped.BlockchainInfo(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if chain.LastHeight < res.Height {
		t.Fatalf("inspect shows the chain up to %d, the transaction committed at %d", chain.LastHeight, res.Height)
	}
	for _, h := range []int64{1, res.Height, chain.LastHeight} {
		if err := sameBlock(ctx, stopped, live, h); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := stopped.Tx(ctx, res.Hash, true)
	if err != nil || tx.Height != res.Height || !bytes.Equal(tx.Tx, []byte("inspect=me")) {
		t.Fatalf("tx by hash under inspect: %v %+v", err, tx)
	}
	found, err := stopped.TxSearch(ctx, fmt.Sprintf("tx.height=%d", res.Height), false, nil, nil, "asc")
	if err != nil || found.TotalCount < 1 {
		t.Fatalf("tx_search under inspect: %v %+v", err, found)
	}
	if _, err := stopped.Validators(ctx, &res.Height, nil, nil); err != nil {
		t.Fatalf("validators under inspect: %v", err)
	}
	if _, err := stopped.Status(ctx); err == nil || !strings.Contains(err.Error(), "Method not found") {
		t.Fatalf("status under inspect: want method not found, got %v", err)
	}
	if _, err := stopped.BroadcastTxSync(ctx, []byte("not=here")); err == nil {
		t.Fatal("inspect took a transaction")
	}
}

// sameBlock checks that two nodes serve the same block, commit and
// results at height h.
func sameBlock(ctx context.Context, a, b *rpchttp.HTTP, h int64) error {
	ba, err := a.Block(ctx, &h)
	if err != nil {
		return fmt.Errorf("block %d: %w", h, err)
	}
	bb, err := b.Block(ctx, &h)
	if err != nil {
		return fmt.Errorf("block %d: %w", h, err)
	}
	if !bytes.Equal(ba.BlockID.Hash, bb.BlockID.Hash) {
		return fmt.Errorf("block %d: %X served, %X on the running network", h, ba.BlockID.Hash, bb.BlockID.Hash)
	}
	ca, err := a.Commit(ctx, &h)
	if err != nil {
		return fmt.Errorf("commit %d: %w", h, err)
	}
	if !bytes.Equal(ca.Commit.BlockID.Hash, bb.BlockID.Hash) {
		return fmt.Errorf("commit %d is for %X, the block is %X", h, ca.Commit.BlockID.Hash, bb.BlockID.Hash)
	}
	ra, err := a.BlockResults(ctx, &h)
	if err != nil {
		return fmt.Errorf("block_results %d: %w", h, err)
	}
	rb, err := b.BlockResults(ctx, &h)
	if err != nil {
		return fmt.Errorf("block_results %d: %w", h, err)
	}
	if len(ra.TxsResults) != len(rb.TxsResults) || !bytes.Equal(ra.AppHash, rb.AppHash) {
		return fmt.Errorf("block_results %d differ: %d results, app hash %X served; %d, %X on the running network",
			h, len(ra.TxsResults), ra.AppHash, len(rb.TxsResults), rb.AppHash)
	}
	return nil
}
