package e2e

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// retainBlocks is how many latest blocks the pruning nodes' app keeps:
// enough that a node a little slower to start, or starved of the CPU for a
// moment on a loaded machine, can still fetch what it missed from them.
// The chain is fast: the app's hash changes with every block, so a proof
// block follows each one, over a hundred blocks a second on loopback. With
// 20, a validator that started a fifth of a second late found the blocks
// it missed gone from every peer and never reached height 1.
const retainBlocks = 200

// TestPruneByRetainHeight runs CometBFT's e2e app with retain_blocks on
// every node but one validator: their blocks, commits, results and old
// validator sets go as the app's Commit raises retain_height, and the RPC
// answers for a pruned height as CometBFT does. A full node that was
// down while the pruning peers dropped the heights it misses fetches them
// from the one peer that kept them.
func TestPruneByRetainHeight(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	if _, err := CometE2EApp(); err != nil {
		t.Skipf("CometBFT's e2e app is not available: %v", err)
	}
	for _, protocol := range rpcProtocols() {
		t.Run(protocol, func(t *testing.T) { runPrune(t, protocol) })
	}
}

func runPrune(t *testing.T, protocol string) {
	const keeper, follower = 3, 4
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startTestCluster(ctx, t, Options{Protocol: protocol, Validators: 4, FullNodes: 1, ExternalApp: true,
		App: AppCometE2E, RetainBlocks: []uint64{retainBlocks, retainBlocks, retainBlocks, 0, retainBlocks}}, nil)
	if err := c.WaitHeight(ctx, follower, 2); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(follower); err != nil {
		t.Fatal(err)
	}
	missed, err := latestHeight(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	target := missed + 3*retainBlocks
	loadUntil(ctx, t, c, target)

	pruned, err := c.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := pruned.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	base := st.SyncInfo.EarliestBlockHeight
	if base <= missed || base < st.SyncInfo.LatestBlockHeight-2*retainBlocks {
		t.Fatalf("node 0 keeps heights %d..%d, want about the latest %d", base, st.SyncInfo.LatestBlockHeight, retainBlocks)
	}
	checkPrunedAnswers(ctx, t, c, 0, base)
	kept, err := c.Client(keeper)
	if err != nil {
		t.Fatal(err)
	}
	one := int64(1)
	if _, err := kept.Block(ctx, &one); err != nil {
		t.Fatalf("the validator without retain_blocks lost block 1: %v", err)
	}

	if err := c.Start(follower); err != nil {
		t.Fatal(err)
	}
	restartAppIfRefused(ctx, t, c, follower)
	top, err := latestHeight(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitHeight(ctx, follower, top); err != nil {
		t.Fatalf("the full node did not catch up from the peer that kept the blocks: %v", err)
	}
	follow, err := c.Client(follower)
	if err != nil {
		t.Fatal(err)
	}
	// The follower's latest block, read at once: it keeps only a few.
	fst, err := follow.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := fst.SyncInfo.LatestBlockHeight
	b, err := kept.Block(ctx, &h)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fst.SyncInfo.LatestBlockHash, b.BlockID.Hash) {
		t.Fatalf("block %d differs: %X on the full node, %X on the keeper", h, fst.SyncInfo.LatestBlockHash, b.BlockID.Hash)
	}
	// Having caught up, the full node prunes too.
	err = c.WaitUntil(ctx, time.Minute, "the full node to prune", func() (bool, error) {
		st, err := follow.Status(ctx)
		if err != nil {
			return false, err
		}
		return st.SyncInfo.EarliestBlockHeight > missed, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkPrunedAnswers asks node i for a height below its base on every
// route that takes one: each answers CometBFT's error.
func checkPrunedAnswers(ctx context.Context, t *testing.T, c *Cluster, i int, base int64) {
	t.Helper()
	cl, err := c.Client(i)
	if err != nil {
		t.Fatal(err)
	}
	h := base - 1
	want := fmt.Sprintf("height %d is not available, lowest height is ", h)
	routes := map[string]func() error{
		"block":         func() error { _, err := cl.Block(ctx, &h); return err },
		"block_results": func() error { _, err := cl.BlockResults(ctx, &h); return err },
		"commit":        func() error { _, err := cl.Commit(ctx, &h); return err },
		"header":        func() error { _, err := cl.Header(ctx, &h); return err },
		"validators":    func() error { _, err := cl.Validators(ctx, &h, nil, nil); return err },
	}
	for name, call := range routes {
		err := call()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s at pruned height %d: %v; want %q", name, h, err, want)
		}
	}
}
