package rpc

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/bftnode/bftnode/state/statetest"
)

// TestRoutesShowABlockOnceExecuted stores one more block without moving
// the chain state, as the node does between storing a decided block and
// executing it. Every route goes on showing the chain up to the executed
// height, so that a block never shows without its results, the validators
// after it or the next consensus parameters.
func TestRoutesShowABlockOnceExecuted(t *testing.T) {
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
	st, err := c.Status(ctx)
	if err != nil || st.SyncInfo.LatestBlockHeight != chainHeight || st.ValidatorInfo.VotingPower != 10 {
		t.Errorf("status while block %d executes: %+v %v", chainHeight+1, st, err)
	}
	params, err := c.ConsensusParams(ctx, nil)
	if err != nil || params.BlockHeight != chainHeight+1 {
		t.Errorf("consensus_params while block %d executes: %+v %v", chainHeight+1, params, err)
	}
	vals, err := c.Validators(ctx, nil, nil, nil)
	if err != nil || vals.BlockHeight != chainHeight+1 || vals.Total != 1 {
		t.Errorf("validators while block %d executes: %+v %v", chainHeight+1, vals, err)
	}
	for _, route := range []string{"block", "header", "commit", "block_results"} {
		_, body := tn.get(t, "/"+route)
		if !bytes.Contains(body, []byte(fmt.Sprintf(`"height":"%d"`, chainHeight))) || bytes.Contains(body, []byte(`"error"`)) {
			t.Errorf("%s while block %d executes: %s", route, chainHeight+1, body)
		}
		_, body = tn.get(t, fmt.Sprintf("/%s?height=%d", route, chainHeight+1))
		want := fmt.Sprintf("height %d must be less than or equal to the current blockchain height %d", chainHeight+1, chainHeight)
		if !strings.Contains(string(body), want) {
			t.Errorf("%s of the block not executed yet: %s", route, body)
		}
	}
	// The latest commit is the canonical one the stored block carries.
	h := int64(chainHeight)
	if cm, err := c.Commit(ctx, &h); err != nil || !cm.CanonicalCommit {
		t.Errorf("commit %d with block %d stored: %+v %v", h, h+1, cm, err)
	}
	bc, err := c.BlockchainInfo(ctx, 0, 0)
	if err != nil || bc.LastHeight != chainHeight || bc.BlockMetas[0].Header.Height != chainHeight {
		t.Errorf("blockchain while block %d executes: %+v %v", chainHeight+1, bc, err)
	}
	if b, err := c.BlockByHash(ctx, step.Block.Hash()); err != nil || b.Block != nil {
		t.Errorf("block_by_hash of the block not executed yet: %+v %v", b, err)
	}
	if hdr, err := c.HeaderByHash(ctx, step.Block.Hash()); err != nil || hdr.Header != nil {
		t.Errorf("header_by_hash of the block not executed yet: %+v %v", hdr, err)
	}
}
