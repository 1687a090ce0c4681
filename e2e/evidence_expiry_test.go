package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// Evidence params of TestEvidenceExpires: evidence expires once it is
// more than expiryBlocks heights and expiryAge old.
const (
	expiryBlocks = 3
	expiryAge    = 2 * time.Second
)

// TestEvidenceExpires runs a chain whose genesis lets evidence expire
// after expiryBlocks heights and expiryAge, as CometBFT's consensus params
// evidence.max_age_num_blocks and max_age_duration say: evidence of a
// height older than both is refused by broadcast_evidence, naming the
// expiry, while evidence of a recent height still reaches a block.
func TestEvidenceExpires(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := startTestCluster(ctx, t, Options{Protocol: "tendermint", Validators: 4}, setEvidenceMaxAge)
	n := &rpcNet{Cluster: c, protocol: "tendermint", ctx: ctx}
	for i := range c.Nodes {
		cl, err := c.Client(i)
		if err != nil {
			t.Fatal(err)
		}
		n.clients = append(n.clients, cl)
	}
	key := loadValidatorKey(t, n, equivocator)
	old := n.height(t, 0)
	stale := duplicateVote(t, n, key.PrivKey, old)
	loadUntil(ctx, t, c, old+expiryBlocks+2)
	time.Sleep(expiryAge + time.Second)
	if err := c.WaitHeight(ctx, 0, n.height(t, 0)+1); err != nil {
		t.Fatal(err)
	}
	_, err := n.clients[1].BroadcastEvidence(ctx, stale)
	if err == nil || !strings.Contains(err.Error(), "too old") {
		t.Fatalf("broadcast_evidence of height %d at height %d, %v later: want an error naming the expiry, got %v",
			old, n.height(t, 0), expiryAge+time.Second, err)
	}

	now := n.height(t, 0)
	fresh := duplicateVote(t, n, key.PrivKey, now)
	if _, err := n.clients[1].BroadcastEvidence(ctx, fresh); err != nil {
		t.Fatalf("broadcast_evidence of height %d: %v", now, err)
	}
	sendUntilEvidence(ctx, t, n, now, fresh.Hash())
}

// sendUntilEvidence keeps blocks coming (a transaction at a time) until
// one carries the evidence with hash, as a chain making blocks only for
// transactions would not otherwise.
func sendUntilEvidence(ctx context.Context, t *testing.T, n *rpcNet, from int64, hash []byte) {
	t.Helper()
	cl := n.clients[0]
	for i := 0; ; i++ {
		if err := sendTx(ctx, n.Cluster, 0, fmt.Sprintf("ev-%d", i), "v"); err != nil {
			t.Fatal(err)
		}
		if at := evidenceBlock(ctx, t, cl, from, n.height(t, 0), hash); at > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("evidence %X never reached a block", hash)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func evidenceBlock(ctx context.Context, t *testing.T, cl *rpchttp.HTTP, from, to int64, hash []byte) int64 {
	t.Helper()
	for h := from; h <= to; h++ {
		b, err := cl.Block(ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range b.Block.Evidence.Evidence {
			if string(ev.Hash()) == string(hash) {
				return h
			}
		}
	}
	return 0
}

// setEvidenceMaxAge writes expiryBlocks and expiryAge into every node's
// genesis consensus params.
func setEvidenceMaxAge(c *Cluster) error {
	for _, node := range c.Nodes {
		path := filepath.Join(node.Home, "config", "genesis.json")
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var g map[string]any
		if err := json.Unmarshal(raw, &g); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		params, _ := g["consensus_params"].(map[string]any)
		evidence, _ := params["evidence"].(map[string]any)
		if evidence == nil {
			return fmt.Errorf("%s has no consensus_params.evidence", path)
		}
		evidence["max_age_num_blocks"] = fmt.Sprint(expiryBlocks)
		evidence["max_age_duration"] = fmt.Sprint(expiryAge.Nanoseconds())
		out, err := json.MarshalIndent(g, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			return err
		}
	}
	return nil
}
