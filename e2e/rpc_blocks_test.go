package e2e

import (
	"bytes"
	"testing"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cometbft/cometbft/types"
)

// testBlocks checks block, block_by_hash, header, header_by_hash, commit,
// block_results and validators for every height of the chain, on every
// node: the same blocks everywhere, headers that hash to their block IDs,
// links between consecutive blocks, commits that verify with CometBFT's
// VerifyCommit, and app hashes that follow the FinalizeBlock results.
func testBlocks(t *testing.T, n *rpcNet) {
	top := n.height(t, 0)
	for i := range n.clients {
		if err := n.waitHeight(i, top); err != nil {
			t.Fatal(err)
		}
	}
	var prev *types.Block
	var prevResults []byte
	for h := int64(1); h <= top; h++ {
		var want types.BlockID
		for i, cl := range n.clients {
			b := checkBlockRoutes(t, n, i, cl, h)
			if i == 0 {
				want = types.BlockID{Hash: b.Hash(), PartSetHeader: mustParts(t, b).Header()}
				continue
			}
			if got := b.Hash(); !bytes.Equal(got, want.Hash) {
				t.Fatalf("height %d: node %d has block %X, node 0 has %X", h, i, got, want.Hash)
			}
		}
		b, err := n.clients[0].Block(n.ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		if prev != nil {
			if !bytes.Equal(b.Block.LastBlockID.Hash, prev.Hash()) {
				t.Errorf("block %d's last_block_id is %X, block %d is %X", h, b.Block.LastBlockID.Hash, h-1, prev.Hash())
			}
			// The app hash of h is the app's state after h-1.
			if !bytes.Equal(b.Block.AppHash, prevResults) {
				t.Errorf("block %d's app_hash %X is not block_results(%d).app_hash %X", h, b.Block.AppHash, h-1, prevResults)
			}
			// The commit a block carries is the canonical commit of the
			// block before.
			verifyCommitOf(t, n, b.Block.LastCommit, h-1)
		}
		res, err := n.clients[0].BlockResults(n.ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		if res.Height != h || len(res.TxsResults) != len(b.Block.Txs) {
			t.Errorf("block_results %d: height %d, %d results for %d txs", h, res.Height, len(res.TxsResults), len(b.Block.Txs))
		}
		results := types.NewResults(res.TxsResults)
		if next := h + 1; next <= top {
			nb, err := n.clients[0].Header(n.ctx, &next)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(nb.Header.LastResultsHash, results.Hash()) {
				t.Errorf("header %d's last_results_hash %X is not the hash of block_results(%d) %X", next, nb.Header.LastResultsHash, h, results.Hash())
			}
		}
		prev, prevResults = b.Block, res.AppHash
	}
}

func mustParts(t *testing.T, b *types.Block) *types.PartSet {
	t.Helper()
	ps, err := b.MakePartSet(types.BlockPartSizeBytes)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// checkBlockRoutes checks what node i serves for height h and returns the
// block.
func checkBlockRoutes(t *testing.T, n *rpcNet, i int, cl *rpchttp.HTTP, h int64) *types.Block {
	t.Helper()
	res, err := cl.Block(n.ctx, &h)
	if err != nil {
		t.Fatalf("node %d block %d: %v", i, h, err)
	}
	b := res.Block
	if b == nil || b.Height != h {
		t.Fatalf("node %d block %d: %+v", i, h, res)
	}
	if err := b.ValidateBasic(); err != nil {
		t.Errorf("node %d block %d does not pass ValidateBasic: %v", i, h, err)
	}
	if !bytes.Equal(b.Hash(), res.BlockID.Hash) {
		t.Errorf("node %d block %d: header hashes to %X, block_id says %X", i, h, b.Hash(), res.BlockID.Hash)
	}
	if ps := mustParts(t, b); !ps.Header().Equals(res.BlockID.PartSetHeader) {
		t.Errorf("node %d block %d: parts %v, block_id says %v", i, h, ps.Header(), res.BlockID.PartSetHeader)
	}
	byHash, err := cl.BlockByHash(n.ctx, res.BlockID.Hash)
	if err != nil || byHash.Block == nil || !byHash.BlockID.Equals(res.BlockID) {
		t.Errorf("node %d block_by_hash %X: %v %v", i, res.BlockID.Hash, byHash, err)
	}
	hdr, err := cl.Header(n.ctx, &h)
	if err != nil || hdr.Header == nil || !bytes.Equal(hdr.Header.Hash(), res.BlockID.Hash) {
		t.Errorf("node %d header %d: %v %v", i, h, hdr, err)
	}
	hdrByHash, err := cl.HeaderByHash(n.ctx, res.BlockID.Hash)
	if err != nil || hdrByHash.Header == nil || !bytes.Equal(hdrByHash.Header.Hash(), res.BlockID.Hash) {
		t.Errorf("node %d header_by_hash %X: %v %v", i, res.BlockID.Hash, hdrByHash, err)
	}
	latest := n.height(t, i)
	commit, err := cl.Commit(n.ctx, &h)
	if err != nil {
		t.Fatalf("node %d commit %d: %v", i, h, err)
	}
	if commit.Header == nil || !bytes.Equal(commit.Header.Hash(), res.BlockID.Hash) || !commit.Commit.BlockID.Equals(res.BlockID) {
		t.Errorf("node %d commit %d is for %v, the block is %v", i, h, commit.Commit.BlockID, res.BlockID)
	}
	if err := commit.ValidateBasic(commit.ChainID); err != nil {
		t.Errorf("node %d commit %d: %v", i, h, err)
	}
	verifyCommitOf(t, n, commit.Commit, h)
	// The commit of a block with a successor is the one that successor
	// carries, and canonical; the latest block's is the one this node saw.
	if next := h + 1; next <= latest {
		nb, err := cl.Block(n.ctx, &next)
		if err != nil {
			t.Fatal(err)
		}
		if !commit.CanonicalCommit || nb.Block.LastCommit.Hash().String() != commit.Commit.Hash().String() {
			t.Errorf("node %d commit %d: canonical %v, hash %X; block %d's last commit %X", i, h, commit.CanonicalCommit, commit.Commit.Hash(), next, nb.Block.LastCommit.Hash())
		}
	}
	return b
}

// verifyCommitOf checks with CometBFT's VerifyCommit that c is signed by
// more than 2/3 of height h's validators, as node 0 lists them.
func verifyCommitOf(t *testing.T, n *rpcNet, c *types.Commit, h int64) {
	t.Helper()
	vals, err := n.clients[0].Validators(n.ctx, &h, nil, nil)
	if err != nil {
		t.Fatalf("validators %d: %v", h, err)
	}
	set, err := types.ValidatorSetFromExistingValidators(vals.Validators)
	if err != nil {
		t.Fatal(err)
	}
	hdr, err := n.clients[0].Header(n.ctx, &h)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(set.Hash(), hdr.Header.ValidatorsHash) {
		t.Errorf("validators of %d hash to %X, the header says %X", h, set.Hash(), hdr.Header.ValidatorsHash)
	}
	if err := set.VerifyCommit(hdr.Header.ChainID, c.BlockID, h, c); err != nil {
		t.Errorf("the commit of height %d does not verify: %v", h, err)
	}
}
