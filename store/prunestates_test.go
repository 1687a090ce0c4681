package store

import (
	"bytes"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"
)

// Every height from the retain height on loads the same validators and
// params after pruning as before, for each retain height around the
// chain's changes and checkpoints; the responses below it are gone.
func TestPruneStatesKeepsWhatLaterHeightsNeed(t *testing.T) {
	defer func(old int64) { checkpointInterval = old }(checkpointInterval)
	for _, interval := range []int64{3, 4, 100_000} {
		checkpointInterval = interval
		pruneEveryRetainHeight(t)
	}
}

func pruneEveryRetainHeight(t *testing.T) {
	for retain := int64(2); retain <= 16; retain++ {
		ss := openStates(t, t.TempDir())
		steps, last := changingChain(t, ss)
		for _, st := range steps {
			if err := ss.SaveFinalizeBlockResponse(st.Block.Height, &abci.ResponseFinalizeBlock{AppHash: []byte{byte(st.Block.Height)}}); err != nil {
				t.Fatal(err)
			}
		}
		top := last.LastBlockHeight + 2
		wantVals := map[int64]*types.ValidatorSet{}
		wantParams := map[int64]types.ConsensusParams{}
		for h := retain; h <= top; h++ {
			var err error
			if wantVals[h], err = ss.LoadValidators(h); err != nil {
				t.Fatal(err)
			}
			if h <= last.LastBlockHeight+1 {
				if wantParams[h], err = ss.LoadConsensusParams(h); err != nil {
					t.Fatal(err)
				}
			}
		}
		n, err := ss.PruneStates(retain)
		if err != nil || n == 0 {
			t.Fatalf("retain %d: PruneStates = %d, %v; want some entries deleted", retain, n, err)
		}
		for h, want := range wantVals {
			got, err := ss.LoadValidators(h)
			if err != nil {
				t.Fatalf("retain %d: LoadValidators(%d) after pruning: %v", retain, h, err)
			}
			if !bytes.Equal(setBytes(t, got), setBytes(t, want)) {
				t.Errorf("retain %d: validators of %d changed by pruning", retain, h)
			}
		}
		for h, want := range wantParams {
			got, err := ss.LoadConsensusParams(h)
			if err != nil {
				t.Fatalf("retain %d: LoadConsensusParams(%d) after pruning: %v", retain, h, err)
			}
			if !bytes.Equal(got.Hash(), want.Hash()) {
				t.Errorf("retain %d: params of %d changed by pruning", retain, h)
			}
		}
		for h := int64(1); h <= last.LastBlockHeight; h++ {
			_, err := ss.LoadFinalizeBlockResponse(h)
			if gone := err != nil; gone != (h < retain) {
				t.Errorf("retain %d: response of %d: %v", retain, h, err)
			}
		}
		ss.Close()
	}
}
