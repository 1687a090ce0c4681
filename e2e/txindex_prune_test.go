package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"
)

// txPruneRetain is how many latest blocks the app keeps in
// TestTxIndexFollowsBlockPruning, and txPruneCommit the pause between
// blocks: the kept heights last four seconds, so a height read at once is
// still held when the two nodes are asked about it. Both validators are
// needed for every block, so neither falls behind its peer's pruning.
const (
	txPruneRetain = 20
	txPruneCommit = 200 * time.Millisecond
)

// TestTxIndexFollowsBlockPruning runs two validators backed by CometBFT's
// e2e app with retain_blocks, one with [tx_index] prune = true: once the
// app's retain_height passed an old transaction's height, that node
// answers /tx and tx_search for it as for an unknown one, indexes nothing
// below its block store's base and the same as the other node above it,
// and finds a recent transaction, also after a kill -9 and a restart; the
// other node keeps its whole index, as CometBFT v0.38 does.
func TestTxIndexFollowsBlockPruning(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	if _, err := CometE2EApp(); err != nil {
		t.Skipf("CometBFT's e2e app is not available: %v", err)
	}
	const pruning, keeping = 0, 1
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startTestCluster(ctx, t, Options{Protocol: "tendermint", Validators: 2, ExternalApp: true,
		App: AppCometE2E, RetainBlocks: []uint64{txPruneRetain, txPruneRetain},
		ExtraFlags: []string{"--consensus.timeout_commit", txPruneCommit.String()}}, func(c *Cluster) error {
		c.Nodes[pruning].Env = []string{"BFTNODE_TX_INDEX_PRUNE=true"}
		return nil
	})
	pc, err := c.Client(pruning)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := c.Client(keeping)
	if err != nil {
		t.Fatal(err)
	}
	// A steady load throughout, so that every recent height has
	// transactions.
	loadCtx, stopLoad := context.WithCancel(ctx)
	load := NewWriteLoad(c, "txprune", []int{pruning, keeping})
	loaded := make(chan struct{})
	go func() { defer close(loaded); load.Run(loadCtx, 2, 50*time.Millisecond) }()
	defer func() { stopLoad(); <-loaded }()

	old := committedTx(ctx, t, c, pruning, "txprune-old")
	if err := c.WaitHeight(ctx, pruning, old.height+3*txPruneRetain); err != nil {
		t.Fatal(err)
	}
	base := waitIndexPrunedToBase(ctx, t, c, pruning)
	if base <= old.height {
		t.Fatalf("the node keeps heights from %d: the app's retain_height did not pass the old transaction's %d", base, old.height)
	}
	if _, err := pc.Tx(ctx, old.hash, false); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("/tx of the pruned transaction: %v; want not found", err)
	}
	for _, q := range []string{fmt.Sprintf("tx.hash = '%X'", old.hash), fmt.Sprintf("tx.height = %d", old.height)} {
		if n := txSearchTotal(ctx, t, c, pruning, q); n != 0 {
			t.Errorf("tx_search %q on the pruning node: %d results, want 0", q, n)
		}
	}
	if _, err := kc.Tx(ctx, old.hash, false); err != nil {
		t.Errorf("the node without [tx_index] prune lost the old transaction: %v", err)
	}
	// The latest heights, still held by both, hold the same transactions.
	top, err := latestHeight(ctx, c, pruning)
	if err != nil {
		t.Fatal(err)
	}
	err = c.WaitUntil(ctx, 30*time.Second, "both nodes to index the latest height", func() (bool, error) {
		q := fmt.Sprintf("block.height = %d", top)
		return blockSearchTotal(ctx, t, c, pruning, q) == 1 && blockSearchTotal(ctx, t, c, keeping, q) == 1, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	span := fmt.Sprintf("tx.height >= %d AND tx.height <= %d", top-txPruneRetain/4, top)
	if got, want := txSearchTotal(ctx, t, c, pruning, span), txSearchTotal(ctx, t, c, keeping, span); got != want || got == 0 {
		t.Errorf("tx_search %q: %d results on the pruning node, %d on the other", span, got, want)
	}
	if got, all := txSearchTotal(ctx, t, c, pruning, "tx.height > 0"), txSearchTotal(ctx, t, c, keeping, "tx.height > 0"); got >= all {
		t.Errorf("the pruning node indexes %d transactions, the other %d", got, all)
	}
	recent := committedTx(ctx, t, c, pruning, "txprune-new")
	if n := txSearchTotal(ctx, t, c, pruning, fmt.Sprintf("tx.hash = '%X'", recent.hash)); n != 1 {
		t.Errorf("tx_search of the recent transaction: %d results", n)
	}

	// As many heights again: the pruning node's index keeps following.
	sizeBefore := txIndexSize(t, c, pruning)
	if err := c.WaitHeight(ctx, pruning, top+3*txPruneRetain); err != nil {
		t.Fatal(err)
	}
	if next := waitIndexPrunedToBase(ctx, t, c, pruning); next <= top {
		t.Errorf("after %d more heights the node keeps heights from %d, below %d", 3*txPruneRetain, next, top)
	}
	t.Logf("tx_index.db of the pruning node: %d bytes at height %d, %d bytes at height %d; the other node's: %d bytes",
		sizeBefore, top, txIndexSize(t, c, pruning), top+3*txPruneRetain, txIndexSize(t, c, keeping))

	// Killed under load, perhaps between two pruning batches, the node
	// restarts with its index as pruned and goes on pruning.
	if err := c.Kill(pruning); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(pruning); err != nil {
		t.Fatal(err)
	}
	restartAppIfRefused(ctx, t, c, pruning)
	if n := txSearchTotal(ctx, t, c, pruning, fmt.Sprintf("tx.height <= %d", top)); n != 0 {
		t.Errorf("after the restart the index finds %d transactions of heights pruned before it", n)
	}
	again, err := latestHeight(ctx, c, pruning)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitHeight(ctx, pruning, again+2*txPruneRetain); err != nil {
		t.Fatal(err)
	}
	if next := waitIndexPrunedToBase(ctx, t, c, pruning); next <= again {
		t.Errorf("after the restart and %d more heights the node keeps heights from %d, below %d", 2*txPruneRetain, next, again)
	}
}

// waitIndexPrunedToBase waits until node i's index finds no transaction
// and no block below its block store's lowest height, read once, and
// returns that height. The index prunes after the block store, off the
// consensus path.
func waitIndexPrunedToBase(ctx context.Context, t *testing.T, c *Cluster, i int) int64 {
	t.Helper()
	cl, err := c.Client(i)
	if err != nil {
		t.Fatal(err)
	}
	st, err := cl.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	base := st.SyncInfo.EarliestBlockHeight
	err = c.WaitUntil(ctx, 30*time.Second, "the index to prune below the block store's base", func() (bool, error) {
		below := fmt.Sprintf("tx.height < %d", base)
		return txSearchTotal(ctx, t, c, i, below) == 0 &&
			blockSearchTotal(ctx, t, c, i, "block.height < "+fmt.Sprint(base)) == 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return base
}

// indexedTx is a transaction the chain committed.
type indexedTx struct {
	hash   []byte
	height int64
}

// committedTx sends a transaction to node i and waits until its index
// finds it.
func committedTx(ctx context.Context, t *testing.T, c *Cluster, i int, key string) indexedTx {
	t.Helper()
	if err := sendTx(ctx, c, i, key, "v"); err != nil {
		t.Fatal(err)
	}
	tx := indexedTx{hash: types.Tx(key + "=v").Hash()}
	cl, err := c.Client(i)
	if err != nil {
		t.Fatal(err)
	}
	err = c.WaitUntil(ctx, 30*time.Second, "transaction "+key+" to be indexed", func() (bool, error) {
		res, err := cl.Tx(ctx, tx.hash, false)
		if err != nil {
			return false, nil // not committed yet
		}
		tx.height = res.Height
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func txSearchTotal(ctx context.Context, t *testing.T, c *Cluster, i int, q string) int {
	t.Helper()
	cl, err := c.Client(i)
	if err != nil {
		t.Fatal(err)
	}
	page, one := 1, 1
	res, err := cl.TxSearch(ctx, q, false, &page, &one, "asc")
	if err != nil {
		t.Fatalf("tx_search %q on node %d: %v", q, i, err)
	}
	return res.TotalCount
}

func blockSearchTotal(ctx context.Context, t *testing.T, c *Cluster, i int, q string) int {
	t.Helper()
	cl, err := c.Client(i)
	if err != nil {
		t.Fatal(err)
	}
	page, one := 1, 1
	res, err := cl.BlockSearch(ctx, q, &page, &one, "asc")
	if err != nil {
		t.Fatalf("block_search %q on node %d: %v", q, i, err)
	}
	return res.TotalCount
}

func txIndexSize(t *testing.T, c *Cluster, i int) int64 {
	t.Helper()
	parts, err := dirParts(filepath.Join(c.Nodes[i].Home, "data"))
	if err != nil {
		t.Fatal(err)
	}
	return parts["tx_index.db"]
}
