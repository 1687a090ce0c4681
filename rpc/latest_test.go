package rpc

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/bftnode/bftnode/state/statetest"
)

// TestDefaultHeightsWhileABlockExecutes stores one more block without
// moving the chain state, as the node does between storing a decided
// block and executing it: routes that default to the latest height answer
// for the last executed one instead of failing.
func TestDefaultHeightsWhileABlockExecutes(t *testing.T) {
	tn := newTestNode(t, nil)
	s, ok, err := tn.env.States.Load()
	if err != nil || !ok {
		t.Fatalf("state: %v %v", ok, err)
	}
	lastCommit, err := tn.env.Blocks.LoadSeenCommit(chainHeight)
	if err != nil {
		t.Fatal(err)
	}
	_, keys := statetest.Genesis(10)
	step := statetest.NextBlock(t, s, keys, lastCommit, nil, &abci.ResponseFinalizeBlock{AppHash: []byte{chainHeight + 1}})
	if err := tn.env.Blocks.SaveBlock(step.Block, step.Parts, step.Commit); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, tn)
	ctx := context.Background()
	params, err := c.ConsensusParams(ctx, nil)
	if err != nil || params.BlockHeight != chainHeight+1 {
		t.Errorf("consensus_params while block %d executes: %+v %v", chainHeight+1, params, err)
	}
	vals, err := c.Validators(ctx, nil, nil, nil)
	if err != nil || vals.BlockHeight != chainHeight+1 || vals.Total != 1 {
		t.Errorf("validators while block %d executes: %+v %v", chainHeight+1, vals, err)
	}
	res, err := c.BlockResults(ctx, nil)
	if err != nil || res.Height != chainHeight {
		t.Errorf("block_results while block %d executes: %+v %v", chainHeight+1, res, err)
	}
	st, err := c.Status(ctx)
	if err != nil || st.SyncInfo.LatestBlockHeight != chainHeight+1 || st.ValidatorInfo.VotingPower != 10 {
		t.Errorf("status while block %d executes: %+v %v", chainHeight+1, st, err)
	}
	// The stored block itself is served, and its results are not there
	// yet.
	h := int64(chainHeight + 1)
	if b, err := c.Block(ctx, &h); err != nil || b.Block.Height != h {
		t.Errorf("block %d: %v", h, err)
	}
	if _, err := c.BlockResults(ctx, &h); err == nil {
		t.Errorf("block_results of the block not executed yet answered")
	}
}
