package engine

import (
	"context"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/state"
	"github.com/bftnode/bftnode/wire"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

// propose builds the block for (height, round): transactions reaped from
// the mempool, shaped by the application's PrepareProposal, on top of the
// latest executed block and its commit.
func (e *Engine) propose(ctx context.Context, height int64, round int32) error {
	if height != e.state.LastBlockHeight+1 {
		e.log.Debug("not proposing: the chain is elsewhere", "height", height, "chain", e.state.LastBlockHeight)
		return nil
	}
	lastCommit, err := e.lastCommit()
	if err != nil {
		return err
	}
	blockTime, err := state.BlockTime(e.state, lastCommit)
	if err != nil {
		return fmt.Errorf("block time of height %d: %w", height, err)
	}
	params := e.state.ConsensusParams
	evidence := e.evidence.pending(params.Evidence.MaxBytes)
	if evidence == nil {
		evidence = []types.Evidence{} // CometBFT's events show [] for none, not null
	}
	maxData := types.MaxDataBytes(params.Block.MaxBytes, evidenceBytes(evidence), e.state.Validators.Size())
	if params.Block.MaxBytes == -1 {
		maxData = types.MaxDataBytesNoEvidence(types.MaxBlockSizeBytes, e.state.Validators.Size())
	}
	txs := e.p.Mempool.ReapMaxBytesMaxGas(maxData, params.Block.MaxGas)
	proposer := e.signer.Address()
	resp, err := e.p.App.PrepareProposal(ctx, &abcitypes.RequestPrepareProposal{
		MaxTxBytes:         maxData,
		Txs:                txs,
		LocalLastCommit:    abcitypes.ExtendedCommitInfo{Round: commitRound(lastCommit), Votes: e.extendedVotes(lastCommit)},
		Misbehavior:        types.EvidenceList(evidence).ToABCI(),
		Height:             height,
		Time:               blockTime,
		NextValidatorsHash: e.state.NextValidators.Hash(),
		ProposerAddress:    proposer,
	})
	if err != nil {
		return fmt.Errorf("application failed PrepareProposal at height %d: %w", height, err)
	}
	var size int64
	out := make([]types.Tx, len(resp.Txs))
	for i, tx := range resp.Txs {
		out[i] = tx
		size += int64(len(tx))
	}
	if size > maxData {
		return fmt.Errorf("application's PrepareProposal returned %d bytes of transactions; at most %d fit", size, maxData)
	}
	block, _, blockID, err := state.MakeBlock(e.state, height, out, lastCommit, evidence, proposer, blockTime)
	if err != nil {
		return err
	}
	id := wire.EncodeID(blockID)
	e.blocks.add(id, block)
	e.verdicts.remember(id, true) // our own block needs no second opinion
	e.queue = append(e.queue, queued{in: consensus.ProposalReady{Height: height, Round: round, Value: id}, block: block})
	return nil
}

// lastCommit is the commit of the latest block, which the next block
// carries; nil before the first block.
func (e *Engine) lastCommit() (*types.Commit, error) {
	h := e.state.LastBlockHeight
	if h == 0 || h < e.state.InitialHeight {
		return nil, nil
	}
	c, err := e.p.Blocks.LoadSeenCommit(h)
	if err != nil || c == nil {
		return nil, fmt.Errorf("the commit of block %d is missing from the store (%v)", h, err)
	}
	return c, nil
}

func commitRound(c *types.Commit) int32 {
	if c == nil {
		return 0
	}
	return c.Round
}

func (e *Engine) extendedVotes(c *types.Commit) []abcitypes.ExtendedVoteInfo {
	if c == nil || e.state.LastValidators == nil {
		return nil
	}
	votes := make([]abcitypes.ExtendedVoteInfo, 0, len(c.Signatures))
	for i, v := range e.state.LastValidators.Validators {
		if i >= len(c.Signatures) {
			break
		}
		votes = append(votes, abcitypes.ExtendedVoteInfo{
			Validator:   abcitypes.Validator{Address: v.Address, Power: v.VotingPower},
			BlockIdFlag: cmtproto.BlockIDFlag(c.Signatures[i].BlockIDFlag),
		})
	}
	return votes
}

func evidenceBytes(evs []types.Evidence) int64 {
	var n int64
	for _, ev := range evs {
		n += int64(len(ev.Bytes()))
	}
	return n
}
