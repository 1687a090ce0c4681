package e2e

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The censorship test's timers: the default view-change timeout, which a
// view change on a loaded machine completes within, and a request timeout
// short enough for a quick test.
const (
	censorViewChangeTimeout = 2 * time.Second
	censorRequestTimeout    = 3 * time.Second
	// censorSlack covers what is neither timer: the two blocks a
	// transaction must wait before it counts as known to the primary,
	// the new primary's first block, process scheduling on a loaded
	// machine (seen: a NEW-VIEW reaching one backup 3s after the others)
	// and the RPC polling.
	censorSlack = 5 * time.Second
)

// TestByzantinePrimaryCannotCensor: the PBFT primary of view 0 runs a
// byzantine build that leaves one chosen transaction out of every block
// it proposes, and keeps proposing. Its honest backups hold the
// transaction; their request timer [Castro-Liskov §4.4] votes the primary
// out and the next primary commits it, within one request timeout plus
// one view change (bounded by the view-change timer) of the moment the
// transaction was accepted, with a margin for what is neither.
func TestByzantinePrimaryCannotCensor(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const tx = "censored=by-the-primary"
	var censorAddr string
	c := startTestCluster(ctx, t, Options{Protocol: "pbft", Validators: 4, BuildTags: []string{"byzantine"}, ExtraFlags: []string{
		"--consensus.view_change_timeout", censorViewChangeTimeout.String(),
		"--consensus.request_timeout", censorRequestTimeout.String(),
	}}, func(c *Cluster) error {
		i, addr, err := firstPrimary(c)
		if err != nil {
			return err
		}
		censorAddr = addr
		c.Nodes[i].Env = []string{byzantineEnv + "=censor", "BFTNODE_CENSOR_TX=" + tx}
		t.Logf("node %d (validator %s, primary of view 0) censors %q", i, addr, tx)
		return nil
	})
	honest := 0
	if a, _ := c.ValidatorAddress(0); a == censorAddr {
		honest = 1
	}
	accepted := time.Now()
	if err := sendTx(ctx, c, honest, "censored", "by-the-primary"); err != nil {
		t.Fatal(err)
	}
	bound := censorRequestTimeout + censorViewChangeTimeout + censorSlack
	height, took := waitCommitted(ctx, t, c, honest, tx, accepted, bound)
	t.Logf("committed at height %d after %v (bound %v)", height, took.Round(time.Millisecond), bound)
	cl, err := c.Client(honest)
	if err != nil {
		t.Fatal(err)
	}
	block, err := cl.Block(ctx, &height)
	if err != nil {
		t.Fatal(err)
	}
	if got := block.Block.ProposerAddress.String(); strings.EqualFold(got, censorAddr) {
		t.Fatalf("the censoring primary %s proposed the block that holds the transaction", got)
	}
	censored := 0
	for h := height - 1; h > 0 && censored == 0; h-- {
		b, err := cl.Block(ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		if b.Block.Time.Before(accepted) {
			break
		}
		if strings.EqualFold(b.Block.ProposerAddress.String(), censorAddr) {
			censored++
		}
	}
	if censored == 0 {
		t.Fatal("the censoring primary proposed no block after the transaction was accepted: nothing was censored, the test proves nothing")
	}
}

// firstPrimary is the node whose validator is PBFT's primary of view 0:
// index 0 of the validator set, ordered by power and then by address.
// Every validator of the test cluster has the same power.
func firstPrimary(c *Cluster) (int, string, error) {
	best, bestAddr := -1, ""
	for i := range c.Nodes {
		addr, err := c.ValidatorAddress(i)
		if err != nil {
			return 0, "", err
		}
		if best < 0 || strings.ToUpper(addr) < strings.ToUpper(bestAddr) {
			best, bestAddr = i, addr
		}
	}
	return best, bestAddr, nil
}

// waitCommitted polls node for tx until it is in a block, failing once
// bound has passed since accepted; it returns the height and the time taken.
func waitCommitted(ctx context.Context, t *testing.T, c *Cluster, node int, tx string, accepted time.Time, bound time.Duration) (int64, time.Duration) {
	t.Helper()
	cl, err := c.Client(node)
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256([]byte(tx))
	for {
		if res, err := cl.Tx(ctx, hash[:], false); err == nil {
			return res.Height, time.Since(accepted)
		}
		if took := time.Since(accepted); took > bound {
			t.Fatalf("transaction %q not committed %v after it was accepted (bound %v)", tx, took.Round(time.Millisecond), bound)
		}
		if err := Sleep(ctx, 50*time.Millisecond); err != nil {
			t.Fatal(fmt.Errorf("waiting for %q: %w", tx, err))
		}
	}
}
