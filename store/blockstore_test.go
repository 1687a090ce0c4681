package store

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/state/statetest"
)

func openBlocks(t *testing.T, dir string) *BlockStore {
	t.Helper()
	bs, err := OpenBlockStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

func testChain(t *testing.T, n int) []statetest.Step {
	t.Helper()
	s, keys := statetest.GenesisState(t, 10, 20, 30, 40)
	return statetest.Chain(t, s, keys, n, nil)
}

func saveAll(t *testing.T, bs *BlockStore, steps []statetest.Step) {
	t.Helper()
	for _, st := range steps {
		if err := bs.SaveBlock(st.Block, st.Parts, st.Commit); err != nil {
			t.Fatalf("save block %d: %v", st.Block.Height, err)
		}
	}
}

// checkHeld verifies every load of every height in steps against the chain.
func checkHeld(t *testing.T, bs *BlockStore, steps []statetest.Step) {
	t.Helper()
	last := steps[len(steps)-1].Block.Height
	for i, st := range steps {
		h := st.Block.Height
		block, err := bs.LoadBlock(h)
		if err != nil || block == nil || !bytes.Equal(block.Hash(), st.ID.Hash) {
			t.Fatalf("LoadBlock(%d) = %v, %v", h, block, err)
		}
		byHash, err := bs.LoadBlockByHash(st.ID.Hash)
		if err != nil || byHash == nil || byHash.Height != h {
			t.Fatalf("LoadBlockByHash(block %d) = %v, %v", h, byHash, err)
		}
		meta, err := bs.LoadBlockMeta(h)
		if err != nil || meta == nil || !meta.BlockID.Equals(st.ID) || meta.NumTxs != len(st.Block.Txs) ||
			!bytes.Equal(meta.Header.Hash(), st.ID.Hash) {
			t.Fatalf("LoadBlockMeta(%d) = %+v, %v", h, meta, err)
		}
		if m, err := bs.LoadBlockMetaByHash(st.ID.Hash); err != nil || m == nil || m.Header.Height != h {
			t.Fatalf("LoadBlockMetaByHash(block %d) = %v, %v", h, m, err)
		}
		seen, err := bs.LoadSeenCommit(h)
		if err != nil || seen == nil || !bytes.Equal(seen.Hash(), st.Commit.Hash()) {
			t.Fatalf("LoadSeenCommit(%d) = %v, %v", h, seen, err)
		}
		canonical, err := bs.LoadBlockCommit(h)
		if err != nil {
			t.Fatal(err)
		}
		if h == last {
			if canonical != nil {
				t.Fatalf("canonical commit of the latest height %d exists before its successor", h)
			}
			continue
		}
		// The canonical commit is the one block h+1 carries, and it decides
		// block h for the validators that signed h.
		if canonical == nil || !bytes.Equal(canonical.Hash(), steps[i+1].Block.LastCommitHash) {
			t.Fatalf("LoadBlockCommit(%d) = %v", h, canonical)
		}
		if err := st.Before.Validators.VerifyCommit(statetest.ChainID, st.ID, h, canonical); err != nil {
			t.Fatalf("canonical commit of %d does not verify: %v", h, err)
		}
	}
}

func TestSaveAndLoadBlocks(t *testing.T) {
	dir := t.TempDir()
	bs := openBlocks(t, dir)
	if bs.Base() != 0 || bs.Height() != 0 {
		t.Fatalf("empty store has range %d..%d", bs.Base(), bs.Height())
	}
	steps := testChain(t, 8)
	saveAll(t, bs, steps)
	if bs.Base() != 1 || bs.Height() != 8 {
		t.Fatalf("range %d..%d, want 1..8", bs.Base(), bs.Height())
	}
	checkHeld(t, bs, steps)
	checkAbsent(t, bs, 0, 9, 1000)
	if err := bs.Close(); err != nil {
		t.Fatal(err)
	}
	bs = openBlocks(t, dir)
	defer bs.Close()
	if bs.Base() != 1 || bs.Height() != 8 {
		t.Fatalf("reopened range %d..%d, want 1..8", bs.Base(), bs.Height())
	}
	checkHeld(t, bs, steps)
}

func checkAbsent(t *testing.T, bs *BlockStore, heights ...int64) {
	t.Helper()
	for _, h := range heights {
		b, err1 := bs.LoadBlock(h)
		m, err2 := bs.LoadBlockMeta(h)
		c, err3 := bs.LoadBlockCommit(h)
		s, err4 := bs.LoadSeenCommit(h)
		if b != nil || m != nil || c != nil || s != nil {
			t.Errorf("height %d: loads found something", h)
		}
		for _, err := range []error{err1, err2, err3, err4} {
			if err != nil {
				t.Errorf("height %d: %v", h, err)
			}
		}
	}
	if b, err := bs.LoadBlockByHash([]byte("no such hash")); b != nil || err != nil {
		t.Errorf("LoadBlockByHash(unknown) = %v, %v", b, err)
	}
}

func TestSaveBlockRefusesWhatDoesNotFit(t *testing.T) {
	bs := openBlocks(t, t.TempDir())
	defer bs.Close()
	steps := testChain(t, 4)
	saveAll(t, bs, steps[:2])
	third := steps[2]
	otherState, otherKeys := statetest.GenesisState(t, 5, 5)
	fork := statetest.Chain(t, otherState, otherKeys, 3, nil)
	incomplete := types.NewPartSetFromHeader(third.Parts.Header())
	wrongHeight := *third.Commit
	wrongHeight.Height = 2
	cases := map[string]func() error{
		"gap":                   func() error { return bs.SaveBlock(steps[3].Block, steps[3].Parts, steps[3].Commit) },
		"seen commit elsewhere": func() error { return bs.SaveBlock(third.Block, third.Parts, steps[1].Commit) },
		"seen commit height":    func() error { return bs.SaveBlock(third.Block, third.Parts, &wrongHeight) },
		"incomplete parts":      func() error { return bs.SaveBlock(third.Block, incomplete, third.Commit) },
		"missing seen commit":   func() error { return bs.SaveBlock(third.Block, third.Parts, nil) },
		"fork at a held height": func() error { return bs.SaveBlock(fork[1].Block, fork[1].Parts, fork[1].Commit) },
	}
	for name, save := range cases {
		if err := save(); err == nil {
			t.Errorf("%s: saved", name)
		}
	}
	if bs.Height() != 2 {
		t.Fatalf("height %d after refused saves, want 2", bs.Height())
	}
	// Saving a held block again (a restart repeating its last step) is fine.
	if err := bs.SaveBlock(steps[1].Block, steps[1].Parts, steps[1].Commit); err != nil {
		t.Errorf("saving a held block again: %v", err)
	}
	saveAll(t, bs, steps[2:])
	checkHeld(t, bs, steps)
}

func TestPruneBlocks(t *testing.T) {
	defer func(old int64) { pruneChunk = old }(pruneChunk)
	pruneChunk = 3 // exercise several batches
	dir := t.TempDir()
	bs := openBlocks(t, dir)
	steps := testChain(t, 20)
	saveAll(t, bs, steps)
	for _, bad := range []int64{0, -1, 21} {
		if _, err := bs.PruneBlocks(bad); err == nil {
			t.Errorf("prune to %d accepted", bad)
		}
	}
	n, err := bs.PruneBlocks(11)
	if err != nil || n != 10 {
		t.Fatalf("PruneBlocks(11) = %d, %v; want 10", n, err)
	}
	if bs.Base() != 11 || bs.Height() != 20 {
		t.Fatalf("range %d..%d after pruning, want 11..20", bs.Base(), bs.Height())
	}
	checkAbsent(t, bs, 1, 5, 10)
	if b, err := bs.LoadBlockByHash(steps[4].ID.Hash); b != nil || err != nil {
		t.Errorf("pruned block still found by hash: %v, %v", b, err)
	}
	if n, err := bs.PruneBlocks(7); err != nil || n != 0 {
		t.Errorf("pruning below the base: %d, %v", n, err)
	}
	checkHeld(t, bs, steps[10:])
	bs.Close()
	bs = openBlocks(t, dir)
	defer bs.Close()
	if bs.Base() != 11 || bs.Height() != 20 {
		t.Fatalf("reopened range %d..%d, want 11..20", bs.Base(), bs.Height())
	}
	if n, err := bs.PruneBlocks(20); err != nil || n != 9 {
		t.Errorf("PruneBlocks(20) = %d, %v; want 9", n, err)
	}
	checkHeld(t, bs, steps[19:])
}

// A damaged entry gives an error naming its height, not a panic or a
// silently wrong block.
func TestCorruptedEntriesNameTheirHeight(t *testing.T) {
	dir := t.TempDir()
	bs := openBlocks(t, dir)
	saveAll(t, bs, testChain(t, 5))
	loads := map[byte]func(int64) error{
		prefixBlock:      func(h int64) error { _, err := bs.LoadBlock(h); return err },
		prefixBlockMeta:  func(h int64) error { _, err := bs.LoadBlockMeta(h); return err },
		prefixCommit:     func(h int64) error { _, err := bs.LoadBlockCommit(h); return err },
		prefixSeenCommit: func(h int64) error { _, err := bs.LoadSeenCommit(h); return err },
	}
	for prefix, load := range loads {
		for i, garbage := range [][]byte{{0xff, 0xff, 0x01}, {0x08, 0x01}} {
			h := int64(2 + i)
			if err := bs.db.Put(heightKey(prefix, h), garbage, nil); err != nil {
				t.Fatal(err)
			}
			err := load(h)
			if err == nil || !strings.Contains(err.Error(), "height "+string(rune('0'+h))) {
				t.Errorf("%c at %d: %v", prefix, h, err)
			}
		}
	}
	if err := bs.db.Put(blockRangeKey, []byte{0xff}, nil); err != nil {
		t.Fatal(err)
	}
	bs.Close()
	if _, err := OpenBlockStore(dir); err == nil || !strings.Contains(err.Error(), "corrupted") {
		t.Errorf("open with a corrupted range: %v", err)
	}
}

// Readers may load while the node saves and prunes (run with -race).
func TestConcurrentLoadsAndSaves(t *testing.T) {
	bs := openBlocks(t, t.TempDir())
	defer bs.Close()
	steps := testChain(t, 30)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			for h := bs.Base(); h > 0 && h <= bs.Height(); h++ {
				if _, err := bs.LoadBlock(h); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	for i, st := range steps {
		if err := bs.SaveBlock(st.Block, st.Parts, st.Commit); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			if _, err := bs.PruneBlocks(st.Block.Height - 5); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	wg.Wait()
}
