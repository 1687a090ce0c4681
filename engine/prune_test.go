package engine

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/bftnode/bftnode/state/statetest"
	"github.com/bftnode/bftnode/store"
)

// prunableEngine is an engine over a stored chain of n executed blocks.
func prunableEngine(t *testing.T, n int) *Engine {
	t.Helper()
	dir := t.TempDir()
	bs, err := store.OpenBlockStore(filepath.Join(dir, "blockstore.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bs.Close() })
	ss, err := store.OpenStateStore(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	s, keys := statetest.GenesisState(t, 10, 20)
	if err := ss.Save(s); err != nil {
		t.Fatal(err)
	}
	steps := statetest.Chain(t, s, keys, n, nil)
	for _, st := range steps {
		if err := bs.SaveBlock(st.Block, st.Parts, st.Commit); err != nil {
			t.Fatal(err)
		}
		if err := ss.SaveExecuted(st.Response, st.After); err != nil {
			t.Fatal(err)
		}
	}
	return &Engine{log: slog.New(slog.DiscardHandler), p: Parts{Blocks: bs, States: ss}, state: steps[n-1].After}
}

func TestPruneBelowTheAppsRetainHeight(t *testing.T) {
	e := prunableEngine(t, 12)
	for _, retain := range []int64{0, -3, 13, 100} {
		e.pruneBelow(retain)
		if base := e.p.Blocks.Base(); base != 1 {
			t.Fatalf("retain_height %d pruned the store to base %d", retain, base)
		}
	}
	e.pruneBelow(8)
	if base := e.p.Blocks.Base(); base != 8 {
		t.Fatalf("retain_height 8 left base %d", base)
	}
	if b, _ := e.p.Blocks.LoadBlock(7); b != nil {
		t.Error("block 7 still stored")
	}
	if _, err := e.p.States.LoadFinalizeBlockResponse(7); err == nil {
		t.Error("block 7's results still stored")
	}
	for h := int64(8); h <= 12; h++ {
		if b, err := e.p.Blocks.LoadBlock(h); b == nil || err != nil {
			t.Errorf("block %d pruned", h)
		}
		if _, err := e.p.States.LoadFinalizeBlockResponse(h); err != nil {
			t.Errorf("results of %d: %v", h, err)
		}
		if _, err := e.p.States.LoadValidators(h); err != nil {
			t.Errorf("validators of %d: %v", h, err)
		}
	}
	e.pruneBelow(5) // below the base: nothing to do
	if base := e.p.Blocks.Base(); base != 8 {
		t.Errorf("a lower retain_height moved the base to %d", base)
	}
}
