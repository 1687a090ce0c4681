package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// blockTimeCommit is the timeout_commit the block-time test sets: short, so
// the test is quick, and long against loopback latency, so a protocol that
// ignored it would be caught.
const blockTimeCommit = 500 * time.Millisecond

// TestBlockTimeFollowsTimeoutCommit: an operator sets a chain's block time
// with timeout_commit, in both protocols, idle (create_empty_blocks with no
// interval makes a block per timeout_commit) and under a steady load.
//
// The bound is a correctness property, not a speed target. Header times
// are BFT time, the median timestamp of the previous block's precommits
// (PBFT: COMMITs). Every precommit in block h's LastCommit was signed before
// block h was proposed, so time(h) <= propose(h); every precommit for block
// h+n-1 follows its proposal, and each proposal comes at least
// timeout_commit after the previous block was decided, so time(h+n) >=
// propose(h+n-1) >= propose(h) + (n-1)*timeout_commit. All processes share
// one clock.
func TestBlockTimeFollowsTimeoutCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	for _, protocol := range []string{"tendermint", "pbft"} {
		t.Run(protocol, func(t *testing.T) { runBlockTime(t, protocol) })
	}
}

func runBlockTime(t *testing.T, protocol string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startTestCluster(ctx, t, Options{Protocol: protocol, Validators: 4, ExtraFlags: []string{
		"--consensus.timeout_commit", blockTimeCommit.String(),
		"--consensus.create_empty_blocks=true",
		"--consensus.create_empty_blocks_interval", "0s",
	}}, nil)
	const blocks = 8
	checkBlockTimes(ctx, t, c, "idle", blocks)

	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < 10_000; i++ { // bounded; stopped long before
			select {
			case <-loadCtx.Done():
				return
			case <-tick.C:
				_ = sendTx(loadCtx, c, i%len(c.Nodes), fmt.Sprintf("bt-%s-%d", protocol, i), "v")
			}
		}
	}()
	checkBlockTimes(ctx, t, c, "under load", blocks)
	stopLoad()
	wg.Wait()
}

// checkBlockTimes waits for n more blocks after the next one and checks
// the span of their header times against (n-1)*timeout_commit.
func checkBlockTimes(ctx context.Context, t *testing.T, c *Cluster, what string, n int64) {
	t.Helper()
	h, err := latestHeight(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	from := h + 1
	if err := c.WaitHeight(ctx, 0, from+n); err != nil {
		t.Fatal(err)
	}
	cl, err := c.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	info, err := cl.BlockchainInfo(ctx, from, from+n)
	if err != nil {
		t.Fatal(err)
	}
	times := map[int64]time.Time{}
	txs := 0
	for _, m := range info.BlockMetas {
		times[m.Header.Height] = m.Header.Time
		txs += m.NumTxs
	}
	first, last := times[from], times[from+n]
	if first.IsZero() || last.IsZero() {
		t.Fatalf("%s: blockchain info lacks height %d or %d", what, from, from+n)
	}
	span := last.Sub(first)
	t.Logf("%s: heights %d-%d, %d txs, mean block interval %v (timeout_commit %v)", what, from, from+n, txs, span/time.Duration(n), blockTimeCommit)
	if min := time.Duration(n-1) * blockTimeCommit; span < min {
		t.Fatalf("%s: %d blocks after height %d took %v; with timeout_commit %v they cannot take less than %v", what, n, from, span, blockTimeCommit, min)
	}
}
