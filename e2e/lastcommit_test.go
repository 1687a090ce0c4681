package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"
)

// TestEveryLiveValidatorSignsLastCommit runs four validators under a light
// load, for each protocol, and reads every block's LastCommit: the commit
// a block carries must hold every validator's precommit (PBFT: COMMIT),
// not only the first quorum, because Cosmos chains jail and slash by it.
// It also checks that each LastCommit verifies and matches /commit of the
// height before (the canonical commit of h is the one in block h+1).
//
// LASTCOMMIT_BLOCKS sets how many blocks to read (default 60; the figure
// in the README is from 300) and LASTCOMMIT_CLIENTS adds that many clients
// sending transactions back to back (default 0: the light load alone), for
// the completeness under load.
func TestEveryLiveValidatorSignsLastCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	blocks := int64(60)
	if s := os.Getenv("LASTCOMMIT_BLOCKS"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 10 {
			t.Fatalf("LASTCOMMIT_BLOCKS=%q: want a number of blocks >= 10", s)
		}
		blocks = n
	}
	clients := 0
	if s := os.Getenv("LASTCOMMIT_CLIENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			t.Fatalf("LASTCOMMIT_CLIENTS=%q: want a number of clients >= 0", s)
		}
		clients = n
	}
	for _, protocol := range []string{"tendermint", "pbft"} {
		t.Run(protocol, func(t *testing.T) { runLastCommitSignatures(t, protocol, blocks, clients) })
	}
}

func runLastCommitSignatures(t *testing.T, protocol string, blocks int64, clients int) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute+time.Duration(blocks)*time.Second)
	defer cancel()
	c := startTestCluster(ctx, t, Options{Protocol: protocol, Validators: 4}, nil)
	start, err := latestHeight(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	end := start + blocks + 1
	if clients > 0 {
		lctx, stop := context.WithCancel(ctx)
		load := NewWriteLoad(c, "lc", []int{0, 1, 2, 3})
		done := make(chan struct{})
		go func() { defer close(done); load.Run(lctx, clients, 0) }()
		defer func() {
			stop()
			<-done
			sent, failed := load.Counts()
			t.Logf("%s: %d clients sent %d transactions (%d not acknowledged)", protocol, clients, sent, failed)
		}()
	}
	loadUntil(ctx, t, c, end)

	cl, err := c.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	full, total := 0, 0
	for h := start + 1; h <= end; h++ {
		b, err := cl.Block(ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		lc := b.Block.LastCommit
		prev := h - 1
		vals, err := cl.Validators(ctx, &prev, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		set, err := types.ValidatorSetFromExistingValidators(vals.Validators)
		if err != nil {
			t.Fatal(err)
		}
		if err := set.VerifyCommit(b.Block.ChainID, lc.BlockID, prev, lc); err != nil {
			t.Errorf("block %d's LastCommit does not verify: %v", h, err)
		}
		cm, err := cl.Commit(ctx, &prev)
		if err != nil {
			t.Fatal(err)
		}
		if cm.Commit.Hash().String() != lc.Hash().String() || !cm.CanonicalCommit {
			t.Errorf("/commit %d (canonical %v) is not the LastCommit of block %d", prev, cm.CanonicalCommit, h)
		}
		signed := 0
		for _, s := range lc.Signatures {
			if s.BlockIDFlag != types.BlockIDFlagAbsent {
				signed++
			}
		}
		if signed < 3 {
			t.Errorf("block %d's LastCommit holds %d signatures; a commit needs 3 of 4", h, signed)
		}
		total++
		if signed == len(lc.Signatures) {
			full++
		} else {
			t.Logf("block %d's LastCommit holds %d of %d signatures", h, signed, len(lc.Signatures))
		}
	}
	frac := float64(full) / float64(total)
	t.Logf("%s: %d of %d LastCommits carry all 4 validators (%.1f%%)", protocol, full, total, 100*frac)
	// Every validator is live here; the target is 99%. The test allows a
	// little below it so that a loaded test machine, where a process can
	// lose the CPU for longer than the bounded wait, does not fail it.
	if frac < 0.95 {
		t.Errorf("%s: only %.1f%% of LastCommits carry every live validator; want >= 95%% (target 99%%)", protocol, 100*frac)
	}
}

// loadSeq numbers the transactions of loadUntil across calls.
var loadSeq atomic.Int64

// loadUntil sends transactions one at a time to the nodes in turn until
// the first running node reaches height end: a light load of about one
// transaction a block. Nodes that are down are skipped (a test may have
// killed node 0).
func loadUntil(ctx context.Context, t *testing.T, c *Cluster, end int64) {
	t.Helper()
	for i := 0; ; i++ {
		h, err := latestHeight(ctx, c, firstRunning(c))
		if err != nil {
			t.Fatal(err)
		}
		if h >= end {
			return
		}
		if node := i % len(c.Nodes); c.Running(node) {
			if err := sendTx(ctx, c, node, fmt.Sprintf("lc-%d", loadSeq.Add(1)), "v"); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("height %d not reached: %v", end, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// firstRunning is the lowest index of a running node (0 if none runs).
func firstRunning(c *Cluster) int {
	for i := range c.Nodes {
		if c.Running(i) {
			return i
		}
	}
	return 0
}
