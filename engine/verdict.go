package engine

import (
	"context"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/state"
	"github.com/bftnode/bftnode/wire"
	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// verdictWaits holds verdict requests that cannot be answered yet (the
// chain has not reached the height before theirs, or their block is
// missing) and the verdicts already given, by block.
type verdictWaits struct {
	waiting []consensus.RequestVerdict
	known   map[consensus.ID]bool
}

func newVerdictWaits() *verdictWaits { return &verdictWaits{known: map[consensus.ID]bool{}} }

func (v *verdictWaits) remember(id consensus.ID, valid bool) {
	if len(v.known) > 4096 {
		clear(v.known)
	}
	v.known[id] = valid
}

// requestVerdict answers a RequestVerdict now if it can, else parks it.
func (e *Engine) requestVerdict(ctx context.Context, r consensus.RequestVerdict) error {
	if r.Height <= e.state.LastBlockHeight {
		// A height already decided: only the decided block is valid there.
		meta, err := e.p.Blocks.LoadBlockMeta(r.Height)
		valid := err == nil && meta != nil && wire.EncodeID(meta.BlockID) == r.Value
		e.enqueue(consensus.Verdict{Height: r.Height, Value: r.Value, Valid: valid})
		return nil
	}
	if valid, ok := e.verdicts.known[r.Value]; ok && r.Height == e.state.LastBlockHeight+1 {
		e.enqueue(consensus.Verdict{Height: r.Height, Value: r.Value, Valid: valid})
		return nil
	}
	if r.Height > e.state.LastBlockHeight+1 || e.blocks.get(r.Value) == nil {
		e.verdicts.waiting = append(e.verdicts.waiting, r)
		if e.blocks.get(r.Value) == nil {
			e.sync.fetchByID(r.Value)
		}
		return nil
	}
	valid, err := e.process(ctx, r.Height, r.Value)
	if err != nil {
		return err
	}
	e.enqueue(consensus.Verdict{Height: r.Height, Value: r.Value, Valid: valid})
	return nil
}

// verdictsReady answers the parked requests that became answerable.
func (e *Engine) verdictsReady(ctx context.Context) error {
	waiting := e.verdicts.waiting
	e.verdicts.waiting = nil
	for _, r := range waiting {
		if r.Height < e.state.LastBlockHeight+1-1000 {
			continue // long decided; the core moved on
		}
		if err := e.requestVerdict(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// process checks a proposed block against the chain state and asks the
// application whether to accept it. A block that fails the node's own
// checks is rejected without asking.
func (e *Engine) process(ctx context.Context, height int64, id consensus.ID) (bool, error) {
	block := e.blocks.get(id)
	if err := state.ValidateBlock(e.state, block); err != nil {
		e.log.Info("rejecting proposed block", "height", height, "err", err)
		e.verdicts.remember(id, false)
		return false, nil
	}
	if err := state.CheckMedianTime(e.state, block); err != nil {
		e.log.Info("rejecting proposed block", "height", height, "err", err)
		e.verdicts.remember(id, false)
		return false, nil
	}
	if err := e.evidence.verifyBlock(e, block); err != nil {
		e.log.Info("rejecting proposed block with bad evidence", "height", height, "err", err)
		e.verdicts.remember(id, false)
		return false, nil
	}
	resp, err := e.p.App.ProcessProposal(ctx, &abcitypes.RequestProcessProposal{
		Hash:               block.Hash(),
		Height:             block.Height,
		Time:               block.Time,
		Txs:                block.Txs.ToSliceOfBytes(),
		ProposedLastCommit: e.lastCommitInfo(block, e.state.LastValidators),
		Misbehavior:        block.Evidence.Evidence.ToABCI(),
		ProposerAddress:    block.ProposerAddress,
		NextValidatorsHash: block.NextValidatorsHash,
	})
	if err != nil {
		return false, fmt.Errorf("application failed ProcessProposal at height %d: %w", height, err)
	}
	if resp.IsStatusUnknown() {
		return false, fmt.Errorf("application answered ProcessProposal at height %d with status UNKNOWN", height)
	}
	valid := resp.IsAccepted()
	e.verdicts.remember(id, valid)
	return valid, nil
}
