package engine

import (
	"context"
	"errors"
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
	extCommit, err := e.extendedLastCommit()
	if errors.Is(err, errNoExtendedQuorum) {
		// An application that relies on extensions cannot build a block
		// without them; not proposing lets the round (PBFT: the view)
		// pass to a proposer that decided the last block itself.
		e.log.Warn("not proposing", "height", height, "round", round, "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	var lastCommit *types.Commit
	if extCommit != nil {
		lastCommit = extCommit.ToCommit()
	}
	blockTime, err := state.BlockTime(e.state, lastCommit)
	if err != nil {
		return fmt.Errorf("block time of height %d: %w", height, err)
	}
	params := e.state.ConsensusParams
	evidence := e.evidence.pending(e, params.Evidence.MaxBytes)
	if evidence == nil {
		evidence = []types.Evidence{} // CometBFT's events show [] for none, not null
	}
	maxData := types.MaxDataBytes(params.Block.MaxBytes, evidenceBytes(evidence), e.state.Validators.Size())
	if params.Block.MaxBytes == -1 {
		maxData = types.MaxDataBytesNoEvidence(types.MaxBlockSizeBytes, e.state.Validators.Size())
	}
	txs := e.p.Mempool.ReapMaxBytesMaxGas(maxData, params.Block.MaxGas)
	if censor != nil {
		txs = censor(txs)
	}
	proposer := e.signer.Address()
	resp, err := e.p.App.PrepareProposal(ctx, &abcitypes.RequestPrepareProposal{
		MaxTxBytes:         maxData,
		Txs:                txs,
		LocalLastCommit:    abcitypes.ExtendedCommitInfo{Round: commitRound(lastCommit), Votes: e.extendedVotes(extCommit)},
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

func commitRound(c *types.Commit) int32 {
	if c == nil {
		return 0
	}
	return c.Round
}

// extendedVotes is PrepareProposal's local_last_commit: one entry per
// validator of the last height, in the set's order (power, then address,
// as the Cosmos SDK's ValidateVoteExtensions checks), with the extension
// and its signature on precommits for the block.
func (e *Engine) extendedVotes(c *types.ExtendedCommit) []abcitypes.ExtendedVoteInfo {
	if c == nil || e.state.LastValidators == nil {
		return nil
	}
	votes := make([]abcitypes.ExtendedVoteInfo, 0, len(c.ExtendedSignatures))
	for i, v := range e.state.LastValidators.Validators {
		if i >= len(c.ExtendedSignatures) {
			break
		}
		s := c.ExtendedSignatures[i]
		info := abcitypes.ExtendedVoteInfo{
			Validator:   abcitypes.Validator{Address: v.Address, Power: v.VotingPower},
			BlockIdFlag: cmtproto.BlockIDFlag(s.BlockIDFlag),
		}
		if s.BlockIDFlag == types.BlockIDFlagCommit {
			info.VoteExtension, info.ExtensionSignature = s.Extension, s.ExtensionSignature
		}
		votes = append(votes, info)
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
