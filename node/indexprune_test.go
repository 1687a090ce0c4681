package node

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/indexer"
)

// TestIndexPrunerFollowsTheBlockStoreBase moves a block store's base and
// checks that the pruner, woken by poke, prunes the index below it, and
// that stop returns with the pruner done.
func TestIndexPrunerFollowsTheBlockStoreBase(t *testing.T) {
	x, err := indexer.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for h := int64(1); h <= 10; h++ {
		resp := &abci.ResponseFinalizeBlock{TxResults: []*abci.ExecTxResult{{}}}
		if err := x.Index(h, types.Txs{types.Tx{byte(h)}}, resp); err != nil {
			t.Fatal(err)
		}
	}
	var base atomic.Int64
	base.Store(1)
	p := newIndexPruner(x, base.Load, slog.New(slog.DiscardHandler))
	stop := p.start(context.Background())
	defer stop()
	for _, want := range []int64{4, 9} {
		base.Store(want)
		p.poke()
		deadline := time.Now().Add(10 * time.Second)
		for x.Base() != want {
			if time.Now().After(deadline) {
				t.Fatalf("the index keeps heights from %d, want %d", x.Base(), want)
			}
			time.Sleep(time.Millisecond)
		}
		for h := int64(1); h <= 10; h++ {
			got, err := x.GetTx(types.Tx{byte(h)}.Hash())
			if err != nil || (got != nil) != (h >= want) {
				t.Errorf("base %d: transaction of height %d found %v (%v)", want, h, got != nil, err)
			}
		}
	}
}
