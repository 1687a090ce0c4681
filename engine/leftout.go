package engine

import (
	"github.com/bftnode/bftnode/abci"
	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/mempool"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"
)

// blockRoom is the room a decided block was proposed with, computed as
// propose computes it, before the chain state moves past the block: the
// bytes its transactions used against the data bytes it could carry, and
// the gas limit. The gas used is filled in from the block's results.
func (e *Engine) blockRoom(block *types.Block) mempool.BlockRoom {
	params := e.state.ConsensusParams
	maxData := types.MaxDataBytes(params.Block.MaxBytes, evidenceBytes(block.Evidence.Evidence), e.state.Validators.Size())
	if params.Block.MaxBytes == -1 {
		maxData = types.MaxDataBytesNoEvidence(types.MaxBlockSizeBytes, e.state.Validators.Size())
	}
	var used int64
	for _, tx := range block.Txs {
		used += abci.ProtoTxSize(len(tx))
	}
	return mempool.BlockRoom{Height: block.Height, UsedBytes: used, MaxBytes: maxData, MaxGas: params.Block.MaxGas}
}

// leftOut is Executed.LeftOut: the transaction this node holds that the
// executed block left out although it would have fit, if there is one.
// PBFT's request timer runs on it; the mempool was updated already.
func (e *Engine) leftOut(room mempool.BlockRoom, resp *abcitypes.ResponseFinalizeBlock) consensus.ID {
	if e.p.Mempool == nil || censor != nil {
		return "" // a censoring node does not suspect itself
	}
	for _, r := range resp.TxResults {
		if r != nil {
			room.UsedGas += r.GasWanted
		}
	}
	key, ok := e.p.Mempool.FirstLeftOut(room)
	if !ok {
		return ""
	}
	return consensus.ID(key[:])
}
