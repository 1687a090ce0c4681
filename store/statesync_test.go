package store

import (
	"bytes"
	"path/filepath"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/bftnode/bftnode/state/statetest"
)

// A store bootstrapped by state sync at a height in the middle of a chain
// whose validators change answers every later height's validators as the
// store that executed the whole chain does, and keeps doing so as the
// chain goes on from there.
func TestBootstrapAtASnapshotHeight(t *testing.T) {
	full := openStates(t, t.TempDir())
	defer full.Close()
	steps, _ := changingChain(t, full)
	for _, h := range []int64{2, 6, 9} {
		synced := openStates(t, t.TempDir())
		at := steps[h-1].After.Copy()
		if at.LastBlockHeight != h {
			t.Fatalf("step %d is the state of height %d", h-1, at.LastBlockHeight)
		}
		// As the light client builds it: the sets of h, h+1 and h+2 taken
		// from headers, their last change put at h+2.
		at.LastHeightValidatorsChanged, at.LastHeightConsensusParamsChanged = h+2, h+1
		if err := synced.Bootstrap(at); err != nil {
			t.Fatal(err)
		}
		if got, err := synced.SyncedHeight(); err != nil || got != h {
			t.Fatalf("synced height %d, %v; want %d", got, err, h)
		}
		if got, err := synced.LastAppCommitted(); err != nil || got != h {
			t.Fatalf("the app's last commit recorded as %d, %v; want %d", got, err, h)
		}
		if err := synced.Bootstrap(at); err == nil {
			t.Error("a second bootstrap over a bootstrapped state was accepted")
		}
		for _, st := range steps[h:] {
			// The synced node's state moves on from the one it was given.
			next := st.After.Copy()
			next.LastHeightValidatorsChanged = max(next.LastHeightValidatorsChanged, h+2)
			next.LastHeightConsensusParamsChanged = max(next.LastHeightConsensusParamsChanged, h+1)
			if err := synced.Save(next); err != nil {
				t.Fatal(err)
			}
		}
		for height := h; height <= int64(len(steps))+2; height++ {
			want, err := full.LoadValidators(height)
			if err != nil {
				t.Fatal(err)
			}
			got, err := synced.LoadValidators(height)
			if err != nil {
				t.Fatalf("bootstrapped at %d: validators of %d: %v", h, height, err)
			}
			if !bytes.Equal(setBytes(t, got), setBytes(t, want)) {
				t.Errorf("bootstrapped at %d: the validators of height %d differ from the full store's", h, height)
			}
		}
		synced.Close()
	}
}

func TestSaveSyncedCommitNeedsAnEmptyStore(t *testing.T) {
	bs, err := OpenBlockStore(filepath.Join(t.TempDir(), "blocks"))
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	s, keys := statetest.GenesisState(t, 10, 20, 30)
	steps := statetest.Chain(t, s, keys, 3, func(int64) *abci.ResponseFinalizeBlock { return &abci.ResponseFinalizeBlock{} })
	if err := bs.SaveSyncedCommit(steps[1].Commit); err != nil {
		t.Fatal(err)
	}
	got, err := bs.LoadSeenCommit(2)
	if err != nil || got == nil || !got.BlockID.Equals(steps[1].ID) {
		t.Fatalf("the synced commit of height 2 reads back as %v, %v", got, err)
	}
	if bs.Height() != 0 || bs.Base() != 0 {
		t.Fatalf("a synced commit alone makes the store hold %d..%d", bs.Base(), bs.Height())
	}
	if err := bs.SaveBlock(steps[2].Block, steps[2].Parts, steps[2].Commit); err != nil {
		t.Fatalf("the block after the synced height: %v", err)
	}
	if bs.Base() != 3 || bs.Height() != 3 {
		t.Fatalf("the store holds %d..%d, want 3..3", bs.Base(), bs.Height())
	}
	if err := bs.SaveSyncedCommit(steps[2].Commit); err == nil {
		t.Error("a synced commit was saved into a store that holds blocks")
	}
}
