package engine

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/internal/failpoint"
	"github.com/bftnode/bftnode/state"
	"github.com/bftnode/bftnode/wire"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

// decideWait is a decision whose block the node does not have yet.
type decideWait struct{ d consensus.Decide }

// decide executes a decided block, or, when the block is already executed
// (a replay, or a block the store held), tells the core so at once.
func (e *Engine) decide(ctx context.Context, d consensus.Decide) error {
	if d.Height <= e.state.LastBlockHeight {
		return e.alreadyExecuted(d)
	}
	if d.Height != e.state.LastBlockHeight+1 {
		return fmt.Errorf("core decided height %d while the chain is at %d: decisions must come in order", d.Height, e.state.LastBlockHeight)
	}
	block := e.blocks.get(d.Value)
	if block == nil {
		e.waiting = &decideWait{d}
		e.sync.fetchByID(d.Value)
		return nil
	}
	return e.execute(ctx, d, block)
}

// refetchMissing asks peers again for blocks a decision or a verdict
// waits for: a request or its answer may have been lost.
func (e *Engine) refetchMissing() {
	if e.waiting != nil && e.blocks.get(e.waiting.d.Value) == nil {
		e.sync.fetchByID(e.waiting.d.Value)
	}
	for _, r := range e.verdicts.waiting {
		if e.blocks.get(r.Value) == nil {
			e.sync.fetchByID(r.Value)
		}
	}
}

// blockArrived resumes a decision or verdicts that waited for a block.
func (e *Engine) blockArrived(ctx context.Context) error {
	if resumed, err := e.resumeDecision(ctx); resumed || err != nil {
		return err
	}
	return e.verdictsReady(ctx)
}

// resumeDecision executes the decision that waited for its block once the
// block is here, however it came: answered by ID, or fetched by height by
// block sync (whose commit the core then finds it already has, so nothing
// else would resume it, and refetchMissing no longer asks for a block the
// cache holds).
func (e *Engine) resumeDecision(ctx context.Context) (bool, error) {
	if e.waiting == nil || e.blocks.get(e.waiting.d.Value) == nil {
		return false, nil
	}
	d := e.waiting.d
	e.waiting = nil
	return true, e.decide(ctx, d)
}

func (e *Engine) alreadyExecuted(d consensus.Decide) error {
	meta, err := e.p.Blocks.LoadBlockMeta(d.Height)
	if err != nil || meta == nil {
		return fmt.Errorf("block %d is executed but not in the store (%v)", d.Height, err)
	}
	if wire.EncodeID(meta.BlockID) != d.Value {
		return fmt.Errorf("consensus decided block %X at height %d, but the chain holds %X there: refusing to fork", []byte(d.Value), d.Height, meta.BlockID.Hash)
	}
	in, err := e.executedFromStore(d.Height)
	if err != nil {
		return err
	}
	e.enqueue(in)
	return nil
}

// execute runs a decided block through the application and stores
// everything needed to recover before the application commits:
// block and commit, then the FinalizeBlock response and the new state.
func (e *Engine) execute(ctx context.Context, d consensus.Decide, block *types.Block) error {
	votes, err := e.late.decided(d, e.state.Validators, time.Now())
	if err != nil {
		return fmt.Errorf("commit of height %d: %w", d.Height, err)
	}
	blockID, err := wire.DecodeID(d.Value)
	if err != nil {
		return err
	}
	// A block this node proposed, or already validated when asked for its
	// verdict at this height, needs no second check (its ID fixes its
	// height and parent, so the state it was checked against is this one).
	if valid := e.verdicts.known[d.Value]; !valid {
		if err := state.ValidateBlock(e.state, block); err != nil {
			return fmt.Errorf("decided block %d is invalid: %w", d.Height, err)
		}
	}
	parts, err := block.MakePartSet(types.BlockPartSizeBytes)
	if err != nil {
		return err
	}
	start := time.Now()
	// The block is stored before the application sees it, so that the
	// window between the app executing it and the node recording the
	// results stays as short as it can be: an app that reports a height as
	// soon as FinalizeBlock ran (CometBFT's example kvstore) cannot be
	// brought back if the node stops inside it.
	if err := e.p.Blocks.SaveBlockExtended(block, parts, votes.extended()); err != nil {
		return fmt.Errorf("storing block %d: %w", d.Height, err)
	}
	votes.unsaved = false
	failpoint.Hit(failpoint.ExecSavedBlock)
	room := e.blockRoom(block)
	resp, err := e.applyBlock(ctx, block, blockID)
	if err != nil {
		return err
	}
	now := time.Now()
	e.cost.observe(len(block.Txs), now.Sub(start), now)
	e.enqueue(consensus.Executed{Height: block.Height, AppHash: resp.AppHash, Next: toConsensusSet(e.state.Validators), LeftOut: e.leftOut(room, resp)})
	return e.verdictsReady(ctx)
}

// applyBlock executes a stored block that follows the chain state: the
// application finalizes it, the state moves past it, the application
// commits, the mempool drops its transactions and events go out.
func (e *Engine) applyBlock(ctx context.Context, block *types.Block, blockID types.BlockID) (*abcitypes.ResponseFinalizeBlock, error) {
	// Once the app has the block, stopping the node must not cut the
	// execution short: a stop between the app's Commit and the node's
	// record of it would leave the two disagreeing about the height.
	ctx = context.WithoutCancel(ctx)
	start := time.Now()
	lastVals := e.state.LastValidators
	resp, err := e.finalize(ctx, block, blockID, lastVals)
	if err != nil {
		return nil, err
	}
	if err := e.saveExecuted(block, blockID, resp); err != nil {
		return nil, err
	}
	retain, err := e.commitApp(ctx, block, resp)
	if err != nil {
		return nil, err
	}
	took := time.Since(start)
	e.log.Info("committed block", "height", block.Height, "txs", len(block.Txs), "hash", fmt.Sprintf("%X", blockID.Hash), "app_hash", fmt.Sprintf("%X", resp.AppHash))
	if err := e.evidence.committed(block); err != nil {
		return nil, err
	}
	e.evidence.expire(e)
	e.evidence.promote(e)
	e.blocks.prune(block.Height)
	e.pruneBelow(retain)
	e.announceBlock(executedBlock{block: block, blockID: blockID, resp: resp, lastVals: lastVals, took: took})
	return resp, nil
}

// finalize asks the application to execute block and saves its answer.
func (e *Engine) finalize(ctx context.Context, block *types.Block, blockID types.BlockID, lastVals *types.ValidatorSet) (*abcitypes.ResponseFinalizeBlock, error) {
	resp, err := e.p.App.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{
		Hash:               blockID.Hash,
		NextValidatorsHash: block.NextValidatorsHash,
		ProposerAddress:    block.ProposerAddress,
		Height:             block.Height,
		Time:               block.Time,
		DecidedLastCommit:  e.lastCommitInfo(block, lastVals),
		Misbehavior:        block.Evidence.Evidence.ToABCI(),
		Txs:                block.Txs.ToSliceOfBytes(),
	})
	if err != nil {
		return nil, fmt.Errorf("application failed FinalizeBlock at height %d: %w", block.Height, err)
	}
	if err := state.CheckFinalizeBlockResponse(block, resp); err != nil {
		return nil, fmt.Errorf("application answered FinalizeBlock wrongly: %w", err)
	}
	failpoint.Hit(failpoint.ExecFinalized)
	return resp, nil
}

// saveExecuted moves the chain state past block and stores it with the
// FinalizeBlock response, in one synced write.
func (e *Engine) saveExecuted(block *types.Block, blockID types.BlockID, resp *abcitypes.ResponseFinalizeBlock) error {
	next, err := state.Update(e.state, blockID, &block.Header, resp)
	if err != nil {
		return fmt.Errorf("applying block %d to the chain state: %w", block.Height, err)
	}
	if err := e.p.States.SaveExecuted(resp, next); err != nil {
		return fmt.Errorf("storing the results of block %d and the state after it: %w", block.Height, err)
	}
	failpoint.Hit(failpoint.ExecSavedState)
	e.state = next
	e.refreshVerifyContext()
	return nil
}

// commitApp has the application commit the executed block and the mempool
// drop its transactions, and returns the retain_height the app's Commit
// answered. As in CometBFT, the mempool is locked only around
// the two, so no check runs against a half-updated app; checks sent while
// the app executed the block ran against its last committed state and are
// checked again after the update.
func (e *Engine) commitApp(ctx context.Context, block *types.Block, resp *abcitypes.ResponseFinalizeBlock) (retainHeight int64, err error) {
	if mp := e.p.Mempool; mp != nil {
		if err := mp.Lock(ctx); err != nil {
			return 0, err
		}
		defer mp.Unlock()
	}
	if err := e.p.States.SaveCommitSent(block.Height); err != nil {
		return 0, err
	}
	committed, err := e.p.App.Commit(ctx)
	if err != nil {
		return 0, fmt.Errorf("application failed Commit at height %d: %w", block.Height, err)
	}
	failpoint.Hit(failpoint.ExecAppCommitted)
	if err := e.p.States.SaveAppCommitted(block.Height); err != nil {
		return 0, err
	}
	if mp := e.p.Mempool; mp != nil {
		if err := mp.Update(block.Height, block.Txs.ToSliceOfBytes(), resp.TxResults); err != nil {
			return 0, fmt.Errorf("mempool update after block %d: %w", block.Height, err)
		}
	}
	return committed.GetRetainHeight(), nil
}

// lastCommitInfo tells the application who signed the previous block;
// vals is the validator set of that block.
func (e *Engine) lastCommitInfo(block *types.Block, vals *types.ValidatorSet) abcitypes.CommitInfo {
	if block.Height == e.state.InitialHeight || block.LastCommit == nil || vals == nil {
		return abcitypes.CommitInfo{}
	}
	votes := make([]abcitypes.VoteInfo, 0, vals.Size())
	for i, v := range vals.Validators {
		flag := types.BlockIDFlagAbsent
		if i < len(block.LastCommit.Signatures) {
			flag = block.LastCommit.Signatures[i].BlockIDFlag
		}
		votes = append(votes, abcitypes.VoteInfo{
			Validator:   abcitypes.Validator{Address: v.Address, Power: v.VotingPower},
			BlockIdFlag: cmtproto.BlockIDFlag(flag),
		})
	}
	return abcitypes.CommitInfo{Round: block.LastCommit.Round, Votes: votes}
}

// executedFromStore is the Executed input for an already executed height.
func (e *Engine) executedFromStore(h int64) (consensus.Executed, error) {
	resp, err := e.p.States.LoadFinalizeBlockResponse(h)
	if err != nil {
		return consensus.Executed{}, fmt.Errorf("FinalizeBlock response of height %d: %w", h, err)
	}
	next, err := e.p.States.LoadValidators(h + 1)
	if err != nil {
		return consensus.Executed{}, fmt.Errorf("validators of height %d: %w", h+1, err)
	}
	return consensus.Executed{Height: h, AppHash: bytes.Clone(resp.AppHash), Next: toConsensusSet(next)}, nil
}

// syncedFromStore is a Synced input for a stored block.
func (e *Engine) syncedFromStore(h int64) (consensus.Synced, error) {
	meta, err := e.p.Blocks.LoadBlockMeta(h)
	if err != nil || meta == nil {
		return consensus.Synced{}, fmt.Errorf("block %d: %v", h, err)
	}
	commit, err := e.p.Blocks.LoadSeenCommit(h)
	if err != nil || commit == nil {
		if commit, err = e.p.Blocks.LoadBlockCommit(h); err != nil || commit == nil {
			return consensus.Synced{}, fmt.Errorf("commit of block %d: %v", h, err)
		}
	}
	votes, err := wire.VotesFromCommit(commit)
	if err != nil {
		return consensus.Synced{}, err
	}
	return consensus.Synced{Height: h, Value: wire.EncodeID(meta.BlockID), Commit: votes}, nil
}
