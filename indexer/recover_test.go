package indexer

import (
	"context"
	"path/filepath"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/pubsub/query"

	"github.com/bftnode/bftnode/state/statetest"
	"github.com/bftnode/bftnode/store"
)

// TestRecoverIndexesWhatTheStoresHold builds a stored chain of 6 blocks
// whose last one is not executed yet, indexes 2 heights, and checks that
// Recover indexes 3..5 and nothing else.
func TestRecoverIndexesWhatTheStoresHold(t *testing.T) {
	dir := t.TempDir()
	bs, err := store.OpenBlockStore(filepath.Join(dir, "blocks"))
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	ss, err := store.OpenStateStore(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	s, keys := statetest.GenesisState(t, 10)
	steps := statetest.Chain(t, s, keys, 6, func(h int64) *abci.ResponseFinalizeBlock {
		return &abci.ResponseFinalizeBlock{
			TxResults: []*abci.ExecTxResult{{Events: []abci.Event{event("app", attr("height", "h"))}}},
			Events:    []abci.Event{event("blk", attr("seen", "yes"))},
		}
	})
	x := openTemp(t)
	for i, st := range steps {
		if err := bs.SaveBlock(st.Block, st.Parts, st.Commit); err != nil {
			t.Fatal(err)
		}
		h := st.Block.Height
		if i < 5 {
			if err := ss.SaveFinalizeBlockResponse(h, st.Response); err != nil {
				t.Fatal(err)
			}
		}
		if i < 2 {
			if err := x.Index(h, st.Block.Txs, st.Response); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := x.Recover(bs, ss)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || x.LastHeight() != 5 {
		t.Fatalf("recovered %d heights up to %d, want 3 up to 5", n, x.LastHeight())
	}
	rs, total, err := x.SearchTxs(context.Background(), query.MustCompile("app.height = 'h'"), Page{Number: 1, Size: 10})
	if err != nil || total != 5 || string(rs[4].Tx) != "tx-5" {
		t.Fatalf("after recovery: total %d, %v", total, err)
	}
	hs, total, err := x.SearchBlocks(context.Background(), query.MustCompile("blk.seen = 'yes'"), Page{Number: 1, Size: 10})
	if err != nil || total != 5 || hs[0] != 1 {
		t.Fatalf("blocks after recovery: %v total %d, %v", hs, total, err)
	}
	if n, err := x.Recover(bs, ss); err != nil || n != 0 {
		t.Fatalf("second recovery indexed %d, %v", n, err)
	}
}
