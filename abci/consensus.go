package abci

import (
	"context"
	"fmt"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// ConsensusConn carries the calls that build and execute blocks. The engine
// makes them one at a time, in the order ABCI prescribes.
type ConsensusConn struct{ appConn }

// InitChain hands the genesis to an app at height 0.
func (c *ConsensusConn) InitChain(ctx context.Context, req *abcitypes.RequestInitChain) (*abcitypes.ResponseInitChain, error) {
	return call(ctx, &c.appConn, "InitChain", func(ctx context.Context) (*abcitypes.ResponseInitChain, error) {
		return c.client.InitChain(ctx, req)
	})
}

// PrepareProposal lets the app reorder, drop or add transactions to a block
// we propose. The answer must fit in req.MaxTxBytes (counted as the
// transactions' share of the block's protobuf encoding), as CometBFT
// requires; an app that overfills the block has failed.
func (c *ConsensusConn) PrepareProposal(ctx context.Context, req *abcitypes.RequestPrepareProposal) (*abcitypes.ResponsePrepareProposal, error) {
	res, err := call(ctx, &c.appConn, "PrepareProposal", func(ctx context.Context) (*abcitypes.ResponsePrepareProposal, error) {
		return c.client.PrepareProposal(ctx, req)
	})
	if err != nil {
		return nil, err
	}
	if size := ProtoTxsSize(res.Txs); req.MaxTxBytes > 0 && size > req.MaxTxBytes {
		return nil, c.fail("PrepareProposal", fmt.Errorf(
			"app returned %d txs taking %d bytes at height %d, more than the %d bytes allowed",
			len(res.Txs), size, req.Height, req.MaxTxBytes))
	}
	return res, nil
}

// ProcessProposal asks the app for its verdict on a proposed block. Only
// ACCEPT and REJECT are valid answers; anything else is a failure.
func (c *ConsensusConn) ProcessProposal(ctx context.Context, req *abcitypes.RequestProcessProposal) (*abcitypes.ResponseProcessProposal, error) {
	res, err := call(ctx, &c.appConn, "ProcessProposal", func(ctx context.Context) (*abcitypes.ResponseProcessProposal, error) {
		return c.client.ProcessProposal(ctx, req)
	})
	if err != nil {
		return nil, err
	}
	switch res.Status {
	case abcitypes.ResponseProcessProposal_ACCEPT, abcitypes.ResponseProcessProposal_REJECT:
		return res, nil
	}
	return nil, c.fail("ProcessProposal", fmt.Errorf(
		"app answered status %v for the proposal at height %d; only ACCEPT or REJECT are valid",
		res.Status, req.Height))
}

// ExtendVote asks the app for a vote extension.
func (c *ConsensusConn) ExtendVote(ctx context.Context, req *abcitypes.RequestExtendVote) (*abcitypes.ResponseExtendVote, error) {
	return call(ctx, &c.appConn, "ExtendVote", func(ctx context.Context) (*abcitypes.ResponseExtendVote, error) {
		return c.client.ExtendVote(ctx, req)
	})
}

// VerifyVoteExtension asks the app to verify another validator's extension.
func (c *ConsensusConn) VerifyVoteExtension(ctx context.Context, req *abcitypes.RequestVerifyVoteExtension) (*abcitypes.ResponseVerifyVoteExtension, error) {
	return call(ctx, &c.appConn, "VerifyVoteExtension", func(ctx context.Context) (*abcitypes.ResponseVerifyVoteExtension, error) {
		return c.client.VerifyVoteExtension(ctx, req)
	})
}

// FinalizeBlock executes a decided block. The app must return exactly one
// result per transaction: results are matched to transactions by index, so
// any other count would attach results to the wrong transactions.
func (c *ConsensusConn) FinalizeBlock(ctx context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	res, err := call(ctx, &c.appConn, "FinalizeBlock", func(ctx context.Context) (*abcitypes.ResponseFinalizeBlock, error) {
		return c.client.FinalizeBlock(ctx, req)
	})
	if err != nil {
		return nil, err
	}
	if len(res.TxResults) != len(req.Txs) {
		return nil, c.fail("FinalizeBlock", fmt.Errorf(
			"app returned %d tx results for the %d txs of block %d; it must return one per tx",
			len(res.TxResults), len(req.Txs), req.Height))
	}
	for i, r := range res.TxResults {
		if r == nil {
			return nil, c.fail("FinalizeBlock", fmt.Errorf(
				"app returned no result for tx %d of block %d", i, req.Height))
		}
	}
	return res, nil
}

// Commit makes the app persist the state of the last finalized block.
func (c *ConsensusConn) Commit(ctx context.Context) (*abcitypes.ResponseCommit, error) {
	return call(ctx, &c.appConn, "Commit", func(ctx context.Context) (*abcitypes.ResponseCommit, error) {
		return c.client.Commit(ctx, &abcitypes.RequestCommit{})
	})
}

// ProtoTxsSize is how many bytes txs take inside a block's protobuf Data
// message: each is a length-delimited field 1, so one tag byte, the varint
// length and the bytes. CometBFT's MaxTxBytes limits count this size.
func ProtoTxsSize(txs [][]byte) int64 {
	var n int64
	for _, tx := range txs {
		n += ProtoTxSize(len(tx))
	}
	return n
}

// ProtoTxSize is the encoded size of one transaction of n bytes in a block.
func ProtoTxSize(n int) int64 {
	size := int64(1 + n)
	for v := uint64(n); ; v >>= 7 {
		size++
		if v < 0x80 {
			return size
		}
	}
}
