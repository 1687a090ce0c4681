package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The primary-kill test's parameters: the default view-change timeout; the
// blocks the survivors must decide after the kill (more than one, since a
// new view that decides one block and then changes view again has not
// recovered); and the margin for what is not the view change: the
// primary's commit wait, process scheduling on a loaded machine and the
// RPC polling.
const (
	killViewChangeTimeout = 2 * time.Second
	killBlocksAfter       = 10
	killSlack             = 10 * time.Second
)

// TestPBFTRecoversFromKilledPrimary runs seven PBFT validators under a
// light load, SIGKILLs the primary once the chain is past its first
// blocks, and requires the survivors to decide killBlocksAfter new blocks
// within two view-change timeouts plus a margin: one view change replaces
// a crashed primary [Castro-Liskov §4.4], and the view after it must run
// at the normal pace again, not one block per view.
func TestPBFTRecoversFromKilledPrimary(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startTestCluster(ctx, t, Options{Protocol: "pbft", Validators: 7, ExtraFlags: []string{
		"--consensus.view_change_timeout", killViewChangeTimeout.String(),
	}}, nil)
	var victim atomic.Int32
	victim.Store(-1)
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		trickleTxs(loadCtx, c, func(i int) bool { return int32(i) != victim.Load() })
	}()
	defer func() { stopLoad(); wg.Wait() }()

	if err := c.WaitHeight(ctx, 0, 30); err != nil {
		t.Fatal(err)
	}
	primary, err := latestProposer(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	watched := (primary + 1) % len(c.Nodes)
	victim.Store(int32(primary))
	if err := c.Kill(primary); err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()
	start, err := latestHeight(ctx, c, watched)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("killed node %d, the primary, at height %d", primary, start)
	bound := 2*killViewChangeTimeout + killSlack
	target := start + killBlocksAfter
	for {
		h, err := latestHeight(ctx, c, watched)
		if err != nil {
			t.Fatal(err)
		}
		if h >= target {
			t.Logf("node %d reached height %d %v after the kill (bound %v)", watched, h, time.Since(killedAt).Round(time.Millisecond), bound)
			return
		}
		if took := time.Since(killedAt); took > bound {
			t.Fatalf("node %d at height %d %v after the primary was killed at height %d: %d new blocks, want %d within %v",
				watched, h, took.Round(time.Millisecond), start, h-start, killBlocksAfter, bound)
		}
		if err := Sleep(ctx, 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
}

// trickleTxs sends a transaction every 50 ms, round robin over the running
// nodes that use allows, until ctx ends. Errors are ignored: the killed
// node refuses them.
func trickleTxs(ctx context.Context, c *Cluster, use func(int) bool) {
	for seq := 0; ; seq++ {
		if i := seq % len(c.Nodes); use(i) && c.Running(i) {
			_ = sendTx(ctx, c, i, fmt.Sprintf("kill-%d", seq), "v")
		}
		if Sleep(ctx, 50*time.Millisecond) != nil {
			return
		}
	}
}

// latestProposer is the node whose validator proposed node's latest
// block: under PBFT the primary of the current view.
func latestProposer(ctx context.Context, c *Cluster, node int) (int, error) {
	cl, err := c.Client(node)
	if err != nil {
		return 0, err
	}
	b, err := cl.Block(ctx, nil)
	if err != nil {
		return 0, err
	}
	proposer := b.Block.ProposerAddress.String()
	for i := range c.Nodes {
		addr, err := c.ValidatorAddress(i)
		if err != nil {
			return 0, err
		}
		if strings.EqualFold(addr, proposer) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("the proposer %s of node %d's latest block is no node of the cluster", proposer, node)
}
