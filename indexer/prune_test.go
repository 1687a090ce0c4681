package indexer

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/pubsub/query"
	"github.com/cometbft/cometbft/types"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// pruneChain indexes heights 1..n, each with two transactions whose events
// share names and values with other heights' (creator) and carry the
// height's own (h), and block events of both kinds.
func pruneChain(t testing.TB, x *Indexer, from, n int64) {
	t.Helper()
	for h := from; h <= n; h++ {
		hs := fmt.Sprint(h)
		indexBlock(t, x, h, []abci.Event{event("reward", attr("to", "alice"), attr("at", hs))},
			testTx{tx: "tx-" + hs + "-0", events: []abci.Event{
				event("app", attr("creator", "alice"), attr("h", hs)),
				event("transfer", attr("sender", "bob")),
			}},
			testTx{tx: "tx-" + hs + "-1", code: uint32(h % 2), events: []abci.Event{
				event("app", attr("creator", "bob"), attr("h", hs)),
			}},
		)
	}
}

// entryHeight is the height a stored entry belongs to; false for the meta
// records.
func entryHeight(t testing.TB, key, value []byte) (int64, bool) {
	t.Helper()
	switch key[0] {
	case prefixMeta:
		return 0, false
	case prefixTx, prefixBlock:
		return readHeight(key[1 : 1+heightLen]), true
	case prefixTxHash:
		return readHeight(value[:heightLen]), true
	case prefixTxByKey, prefixTxByValue, prefixBlkByKey, prefixBlkByValue:
		return readHeight(key[len(key)-heightLen:]), true
	}
	t.Fatalf("entry %x has an unknown prefix", key)
	return 0, false
}

// entries returns every stored entry of x (meta records included).
func entries(t testing.TB, x *Indexer) map[string]string {
	t.Helper()
	it := x.db.NewIterator(nil, nil)
	defer it.Release()
	out := map[string]string{}
	for it.Next() {
		out[string(it.Key())] = string(it.Value())
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return out
}

// entriesFrom keeps the entries of heights at or above h.
func entriesFrom(t testing.TB, all map[string]string, h int64) map[string]string {
	out := map[string]string{}
	for k, v := range all {
		if eh, ok := entryHeight(t, []byte(k), []byte(v)); ok && eh >= h {
			out[k] = v
		}
	}
	return out
}

func countBelow(t testing.TB, all map[string]string, h int64) int {
	n := 0
	for k, v := range all {
		if eh, ok := entryHeight(t, []byte(k), []byte(v)); ok && eh < h {
			n++
		}
	}
	return n
}

func sameEntries(t testing.TB, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d entries, want %d", len(got), len(want))
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("entry %x: got %x (present %v), want %x", k, g, ok, v)
		}
	}
}

// checkPrunedBelow checks every route of x against heights base..last
// being all that is left of pruneChain(1, last).
func checkPrunedBelow(t *testing.T, x *Indexer, base, last int64) {
	t.Helper()
	kept := int(last - base + 1)
	txs := func(q string, pg Page) ([]*abci.TxResult, int) {
		t.Helper()
		rs, total, err := x.SearchTxs(context.Background(), query.MustCompile(q), pg)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return rs, total
	}
	all := Page{Number: 1, Size: 100}
	for _, tc := range []struct {
		q    string
		want int
	}{
		{"tx.height > 0", 2 * kept},         // the primary records
		{"app.creator = 'alice'", kept},     // a value list every height shares
		{"app.creator EXISTS", 2 * kept},    // a name list, key only
		{"app.h >= 1", 2 * kept},            // a name list, filtered on the value
		{"app.h = '1'", b2i(base <= 1) * 2}, // a value list of a pruned height
		{"app.creator = 'alice' AND app.h > 0", kept},
		{fmt.Sprintf("tx.height = %d", base-1), 0},
	} {
		rs, total := txs(tc.q, all)
		if total != tc.want || len(rs) != tc.want {
			t.Errorf("%s: %d results of %d, want %d", tc.q, len(rs), total, tc.want)
		}
		for _, r := range rs {
			if r.Height < base {
				t.Errorf("%s: returned pruned transaction %d/%d", tc.q, r.Height, r.Index)
			}
		}
	}
	rs, total := txs("app.creator = 'bob'", Page{Number: 1, Size: 1, Descending: true})
	if total != kept || len(rs) != 1 || rs[0].Height != last {
		t.Errorf("descending first page: %s of %d, want %d/1 of %d", txIDs(rs), total, last, kept)
	}
	for h := int64(1); h <= last; h++ {
		hash := types.Tx(fmt.Sprintf("tx-%d-0", h)).Hash()
		got, err := x.GetTx(hash)
		if err != nil {
			t.Fatal(err)
		}
		if (got != nil) != (h >= base) {
			t.Errorf("GetTx of the transaction at height %d: found %v, want %v", h, got != nil, h >= base)
		}
		_, n := txs(fmt.Sprintf("tx.hash = '%X'", hash), all)
		if n != b2i(h >= base) {
			t.Errorf("tx.hash of the transaction at height %d: %d results", h, n)
		}
		ok, err := x.HasBlock(h)
		if err != nil || ok != (h >= base) {
			t.Errorf("HasBlock(%d) = %v, %v", h, ok, err)
		}
	}
	for _, tc := range []struct {
		q    string
		want int
	}{
		{"block.height > 0", kept},
		{"reward.to = 'alice'", kept},
		{"reward.at > 0", kept},
		{"reward.at = '1'", b2i(base <= 1)},
	} {
		hs, total, err := x.SearchBlocks(context.Background(), query.MustCompile(tc.q), all)
		if err != nil {
			t.Fatal(err)
		}
		if total != tc.want || len(hs) != tc.want || (len(hs) > 0 && hs[0] < base) {
			t.Errorf("block_search %s: %v of %d, want %d from height %d", tc.q, hs, total, tc.want, base)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestPruneBelowDeletesEveryEntryOfPrunedHeights prunes in small batches
// and checks that no entry of a pruned height is left, that every entry of
// a kept height is unchanged, and that every route answers for the kept
// heights only.
func TestPruneBelowDeletesEveryEntryOfPrunedHeights(t *testing.T) {
	x := openTemp(t)
	x.pruneBatchKeys = 7
	pruneChain(t, x, 1, 9)
	before := entries(t, x)
	n, err := x.PruneBelow(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4*3 { // 2 transactions and a block per height
		t.Errorf("pruned %d items, want 12", n)
	}
	after := entries(t, x)
	if left := countBelow(t, after, 5); left != 0 {
		t.Errorf("%d entries of pruned heights left", left)
	}
	sameEntries(t, entriesFrom(t, after, 5), entriesFrom(t, before, 5))
	if x.Base() != 5 {
		t.Errorf("Base() = %d, want 5", x.Base())
	}
	checkPrunedBelow(t, x, 5, 9)

	// Lower or equal heights change nothing; indexing goes on above.
	if n, err := x.PruneBelow(context.Background(), 3); err != nil || n != 0 || x.Base() != 5 {
		t.Errorf("pruning below a lower height: %d items, %v, base %d", n, err, x.Base())
	}
	pruneChain(t, x, 10, 12)
	checkPrunedBelow(t, x, 5, 12)
}

// TestPruneResumesAfterACrashBetweenBatches stops a pruning after its
// first batch, reopens the indexes as a restart would, checks that
// searches already answer as if it had finished, and that the next prune
// leaves exactly what an uninterrupted one does.
func TestPruneResumesAfterACrashBetweenBatches(t *testing.T) {
	whole := openTemp(t)
	pruneChain(t, whole, 1, 8)
	if _, err := whole.PruneBelow(context.Background(), 6); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	x, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	pruneChain(t, x, 1, 8)
	x.pruneBatchKeys = 5
	if _, err := x.pruneBelow(context.Background(), 6, 1); err != nil {
		t.Fatal(err)
	}
	x.Close()
	if x, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if left := countBelow(t, entries(t, x), 6); left == 0 {
		t.Fatal("one batch of 5 deletions pruned everything: the test does not interrupt anything")
	}
	if x.Base() != 6 {
		t.Errorf("Base() after the restart = %d, want 6", x.Base())
	}
	checkPrunedBelow(t, x, 6, 8)
	// A later prune, with a lower height, finishes the interrupted one.
	if _, err := x.PruneBelow(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	sameEntries(t, entries(t, x), entries(t, whole))
	checkPrunedBelow(t, x, 6, 8)
}

// TestPruneKeepsAHashThatNamesAKeptExecution indexes a transaction again
// at a later height and checks that pruning the first execution leaves
// the hash naming the second.
func TestPruneKeepsAHashThatNamesAKeptExecution(t *testing.T) {
	x := openTemp(t)
	indexBlock(t, x, 1, nil, testTx{tx: "again"})
	indexBlock(t, x, 2, nil, testTx{tx: "again"})
	if _, err := x.PruneBelow(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	got, err := x.GetTx(types.Tx("again").Hash())
	if err != nil || got == nil || got.Height != 2 {
		t.Fatalf("GetTx after pruning the first execution: %v, %v; want height 2", got, err)
	}
	// The hash of a transaction that failed after succeeding names the
	// success (as in CometBFT); once the success is pruned the hash is
	// unknown, as the result that counted is gone.
	indexBlock(t, x, 3, nil, testTx{tx: "again", code: 1})
	if got, err := x.GetTx(types.Tx("again").Hash()); err != nil || got == nil || got.Height != 2 {
		t.Fatalf("GetTx of a success then a failure: %v, %v; want the success at 2", got, err)
	}
	if _, err := x.PruneBelow(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	if got, err := x.GetTx(types.Tx("again").Hash()); err != nil || got != nil {
		t.Fatalf("GetTx after pruning the success: %v, %v; want unknown", got, err)
	}
	// A failure indexed after the success was pruned is what the hash
	// names: the pruned success no longer counts.
	indexBlock(t, x, 4, nil, testTx{tx: "again", code: 2})
	got, err = x.GetTx(types.Tx("again").Hash())
	if err != nil || got == nil || got.Height != 4 || got.Result.Code != 2 {
		t.Fatalf("GetTx of a failure after the success was pruned: %v, %v; want the failure at 4", got, err)
	}
}

// TestPruneAboveTheLastIndexedHeight prunes everything and checks that
// the heights indexed afterwards are all found.
func TestPruneAboveTheLastIndexedHeight(t *testing.T) {
	x := openTemp(t)
	pruneChain(t, x, 1, 3)
	if _, err := x.PruneBelow(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	if x.Base() != 4 {
		t.Errorf("Base() = %d, want 4 (the last indexed height + 1)", x.Base())
	}
	if left := countBelow(t, entries(t, x), 100); left != 0 {
		t.Errorf("%d entries left", left)
	}
	pruneChain(t, x, 4, 6)
	checkPrunedBelow(t, x, 4, 6)
}

// TestPruneWhileIndexing runs pruning and indexing at once (run with
// -race) and checks the end state.
func TestPruneWhileIndexing(t *testing.T) {
	x := openTemp(t)
	x.pruneBatchKeys = 3
	pruneChain(t, x, 1, 5)
	done := make(chan error)
	go func() {
		var err error
		for h := int64(2); h <= 20 && err == nil; h += 2 {
			_, err = x.PruneBelow(context.Background(), h)
		}
		done <- err
	}()
	pruneChain(t, x, 6, 30)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := x.PruneBelow(context.Background(), 20); err != nil {
		t.Fatal(err)
	}
	if left := countBelow(t, entries(t, x), 20); left != 0 {
		t.Errorf("%d entries of pruned heights left", left)
	}
	checkPrunedBelow(t, x, 20, 30)
}

// TestPruneStopsWhenTheContextEnds checks that a cancelled prune writes
// nothing more and a later one finishes it.
func TestPruneStopsWhenTheContextEnds(t *testing.T) {
	x := openTemp(t)
	pruneChain(t, x, 1, 4)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := x.PruneBelow(ctx, 3); err == nil {
		t.Fatal("a cancelled prune reported no error")
	}
	if x.Base() != 0 {
		t.Errorf("Base() = %d after a cancelled prune, want 0", x.Base())
	}
	checkPrunedBelow(t, x, 1, 4)
}

// TestPrunedIndexFreesItsSpace indexes a steady stream of blocks while
// keeping the latest 100 heights, writing six times the database's write
// buffer, then compacts the database as goleveldb does over time, and
// checks that the space of the pruned entries is freed: the index's disk
// use follows what it keeps, not the chain's length. (Between compactions
// goleveldb keeps deletions in its journal and tables; the sizes seen
// meanwhile are logged.)
func TestPrunedIndexFreesItsSpace(t *testing.T) {
	if testing.Short() {
		t.Skip("writes tens of megabytes")
	}
	const (
		keep   = 100
		buffer = 4 << 20 // ldb.ScatteredOptions' write buffer
	)
	dir := t.TempDir()
	x, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	written, largest := 0, int64(0)
	for h := int64(1); written < 6*buffer; h++ {
		hs := fmt.Sprint(h)
		resp := &abci.ResponseFinalizeBlock{Events: []abci.Event{event("block", attr("h", hs))}}
		var txs types.Txs
		for i := range 10 {
			// Hashes, which goleveldb's compression cannot shrink.
			txs = append(txs, types.Tx(fmt.Sprintf("tx-%d-%d-%X", h, i, types.Tx(hs+"/"+fmt.Sprint(i)).Hash())))
			resp.TxResults = append(resp.TxResults, &abci.ExecTxResult{Events: []abci.Event{
				event("app", attr("creator", fmt.Sprint("user", i)), attr("key", fmt.Sprintf("%X", txs[i].Hash())))}})
		}
		if err := x.Index(h, txs, resp); err != nil {
			t.Fatal(err)
		}
		written += len(x.batch.Dump())
		if _, err := x.PruneBelow(context.Background(), h-keep+1); err != nil {
			t.Fatal(err)
		}
		if h%500 == 0 {
			largest = max(largest, dirSize(t, dir))
		}
	}
	if err := x.db.CompactRange(util.Range{}); err != nil {
		t.Fatal(err)
	}
	compacted := dirSize(t, dir)
	t.Logf("wrote %d bytes of entries over %d heights; the directory held at most %d bytes meanwhile, %d once compacted",
		written, x.LastHeight(), largest, compacted)
	// The kept heights are 2% of what was written and take 0.4 MB; a
	// third of what was written leaves room for the deletion records one
	// compaction may keep, depending on how far goleveldb's background
	// compactions had got (up to 5.6 MB seen). The same writes unpruned
	// take over 20 MB.
	if limit := int64(written / 3); compacted > limit {
		t.Errorf("the compacted index holds %d bytes, above %d: pruned entries were not freed", compacted, limit)
	}
}

func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a table compaction removed meanwhile
		}
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
