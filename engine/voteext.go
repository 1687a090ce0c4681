package engine

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"
)

// ABCI 2.0 vote extensions. From the chain's vote_extensions_enable_height
// on, a precommit (PBFT: COMMIT) for a block carries the application's
// extension (ExtendVote) and the signer's signature over CometBFT's
// canonical vote-extension bytes. Receivers check the signature on the
// peer's reader (verify.go) and ask their application (VerifyVoteExtension)
// on the driver, where the application's height is known: the application
// answers for the height it is about to execute only. A vote whose
// extension the application rejects never reaches the core, so it does not
// count, as in CometBFT. The cores only carry the bytes.

// maxHeldVotes bounds the precommits held for a height the application has
// not reached yet.
const maxHeldVotes = 1024

// rejectedExtensions counts precommits dropped because the application
// rejected their extension.
var rejectedExtensions atomic.Int64

// extensionsEnabled is CometBFT's ABCIParams.VoteExtensionsEnabled:
// precommits at height carry extensions when the enable height is set and
// reached.
func extensionsEnabled(enableHeight, height int64) bool {
	return enableHeight > 0 && height >= enableHeight
}

func (e *Engine) extensionsAt(height int64) bool {
	return extensionsEnabled(e.state.ConsensusParams.ABCI.VoteExtensionsEnableHeight, height)
}

// extendOwn asks the application for the extension of the node's own
// precommit and signs it. A precommit signed before a restart already
// carries the extension it was sent with.
func (e *Engine) extendOwn(ctx context.Context, m consensus.Message) (consensus.Message, error) {
	v, ok := m.(*consensus.Vote)
	if !ok || v.Type != consensus.Precommit || v.Value == consensus.Nil || len(v.ExtensionSignature) > 0 || !e.extensionsAt(v.Height) {
		return m, nil
	}
	if v.Height <= e.state.LastBlockHeight {
		// A PBFT new view re-commits every decided height above the
		// stable checkpoint; the application has left those heights, so
		// the vote goes out unextended and receivers drop it unblamed.
		e.log.Debug("precommit for a decided height sent without a vote extension", "height", v.Height, "chain", e.state.LastBlockHeight)
		return m, nil
	}
	if v.Height != e.state.LastBlockHeight+1 {
		// ExtendVote is for the height the application is about to
		// execute: this is a core running ahead of the chain, and the
		// vote goes out unextended.
		e.log.Warn("precommit sent without a vote extension: the application is at another height", "height", v.Height, "chain", e.state.LastBlockHeight)
		return m, nil
	}
	resp, err := e.p.App.ExtendVote(ctx, e.extendVoteRequest(v))
	if err != nil {
		return nil, fmt.Errorf("application failed ExtendVote at height %d: %w", v.Height, err)
	}
	return e.signer.Extend(v, resp.VoteExtension)
}

func (e *Engine) extendVoteRequest(v *consensus.Vote) *abcitypes.RequestExtendVote {
	req := &abcitypes.RequestExtendVote{Height: v.Height}
	if bid, err := wire.DecodeID(v.Value); err == nil {
		req.Hash = bid.Hash
	}
	block := e.blocks.get(v.Value)
	if block == nil {
		return req
	}
	req.Time = block.Time
	req.Txs = block.Txs.ToSliceOfBytes()
	req.ProposedLastCommit = e.lastCommitInfo(block, e.state.LastValidators)
	req.Misbehavior = block.Evidence.Evidence.ToABCI()
	req.NextValidatorsHash = block.NextValidatorsHash
	req.ProposerAddress = block.ProposerAddress
	return req
}

// needsAppVerdict tells whether a peer's verified message is a precommit
// whose extension the application must accept before the core sees it.
func (e *Engine) needsAppVerdict(m consensus.Message) (*consensus.Vote, bool) {
	v, ok := m.(*consensus.Vote)
	if !ok || v.Type != consensus.Precommit || v.Value == consensus.Nil || !e.extensionsAt(v.Height) {
		return nil, false
	}
	return v, true
}

// admitExtended hands a peer's extended precommit to the core once the
// application accepted its extension. Precommits for a height the
// application has left (late votes for the commit of the last block) need
// no verdict, as in CometBFT; those for a height it has not reached wait.
func (e *Engine) admitExtended(ctx context.Context, v *consensus.Vote, ev verifiedMessage) error {
	switch next := e.state.LastBlockHeight + 1; {
	case v.Height < next:
	case v.Height > next:
		if len(e.heldVotes) >= maxHeldVotes {
			e.heldVotes = e.heldVotes[1:]
			counters.droppedEvents.Add(1)
		}
		e.heldVotes = append(e.heldVotes, ev)
		return nil
	default:
		val := e.state.Validators
		if own, _ := val.GetByAddress(e.self); e.self != nil && own == v.Validator {
			break // the node's own precommit, echoed back
		}
		_, signer := val.GetByIndex(v.Validator)
		if signer == nil {
			return nil
		}
		bid, err := wire.DecodeID(v.Value)
		if err != nil {
			return nil
		}
		resp, err := e.p.App.VerifyVoteExtension(ctx, &abcitypes.RequestVerifyVoteExtension{
			Hash: bid.Hash, ValidatorAddress: signer.Address, Height: v.Height, VoteExtension: v.Extension,
		})
		if err != nil {
			return fmt.Errorf("application failed VerifyVoteExtension at height %d: %w", v.Height, err)
		}
		if resp.Status != abcitypes.ResponseVerifyVoteExtension_ACCEPT {
			rejectedExtensions.Add(1)
			e.log.Info("precommit dropped: the application rejected its vote extension", "height", v.Height, "round", v.Round, "validator", v.Validator, "status", resp.Status.String())
			return nil
		}
	}
	e.queue = append(e.queue, queued{in: consensus.Receive{Msg: ev.msg}})
	return nil
}

// releaseHeldVotes admits the precommits held for a height the
// application has now reached.
func (e *Engine) releaseHeldVotes(ctx context.Context) error {
	if len(e.heldVotes) == 0 {
		return nil
	}
	next := e.state.LastBlockHeight + 1
	kept := e.heldVotes[:0]
	var ready []verifiedMessage
	for _, ev := range e.heldVotes {
		if ev.msg.(*consensus.Vote).Height <= next {
			ready = append(ready, ev)
		} else {
			kept = append(kept, ev)
		}
	}
	e.heldVotes = kept
	for _, ev := range ready {
		if err := e.admitExtended(ctx, ev.msg.(*consensus.Vote), ev); err != nil {
			return err
		}
	}
	return nil
}

// errNoExtendedQuorum: the node holds too few extended precommits for
// the last block to propose the next one.
var errNoExtendedQuorum = errors.New("the precommits for the last block that carry vote extensions do not reach 2/3 of the power (the block came by block sync)")

// withExtensionsOnly leaves out of a commit the precommits for the block
// that carry no extension where the chain enables them (a commit taken
// from a block fetched by block sync has none), as long as the rest still
// decides it: PrepareProposal's local_last_commit must carry an extension
// on every precommit for the block. When the rest does not decide it,
// errNoExtendedQuorum.
func withExtensionsOnly(ec *types.ExtendedCommit, vals *types.ValidatorSet) (*types.ExtendedCommit, error) {
	if vals == nil {
		return ec, nil
	}
	out := *ec
	out.ExtendedSignatures = make([]types.ExtendedCommitSig, len(ec.ExtendedSignatures))
	var kept int64
	dropped := false
	for i, s := range ec.ExtendedSignatures {
		if s.BlockIDFlag == types.BlockIDFlagCommit && len(s.ExtensionSignature) == 0 {
			out.ExtendedSignatures[i] = types.ExtendedCommitSig{CommitSig: types.NewCommitSigAbsent()}
			dropped = true
			continue
		}
		out.ExtendedSignatures[i] = s
		if s.BlockIDFlag == types.BlockIDFlagCommit && i < vals.Size() {
			kept += vals.Validators[i].VotingPower
		}
	}
	if !dropped {
		return ec, nil
	}
	if kept*3 <= vals.TotalVotingPower()*2 {
		return nil, errNoExtendedQuorum
	}
	return &out, nil
}
