package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/cometbft/cometbft/types"
)

// proposalWaitOver wakes the driver when a held proposal's wait is over.
type proposalWaitOver struct{}

// currentCommit is the commit of the latest executed height as it grows,
// read back from the store after a restart; nil before the first block.
func (e *Engine) currentCommit() (*commitVotes, error) {
	h := e.state.LastBlockHeight
	if h == 0 || h < e.state.InitialHeight {
		return nil, nil
	}
	if c := e.late.cur; c != nil && c.height == h {
		return c, nil
	}
	ec, err := e.p.Blocks.LoadExtendedCommit(h)
	if err != nil {
		return nil, err
	}
	if ec == nil {
		seen, err := e.p.Blocks.LoadSeenCommit(h)
		if err != nil || seen == nil {
			return nil, fmt.Errorf("the commit of block %d is missing from the store (%v)", h, err)
		}
		ec = seen.WrappedExtendedCommit()
	}
	c, err := commitVotesFrom(ec)
	if err != nil {
		return nil, err
	}
	e.late.cur = c
	return c, nil
}

// observeVote lets a verified precommit (a peer's or the node's own) join
// the commit of the latest height, or wait for the decision of a next one.
func (e *Engine) observeVote(in consensus.Input) {
	r, ok := in.(consensus.Receive)
	if !ok {
		return
	}
	v, ok := r.Msg.(*consensus.Vote)
	if !ok || v.Type != consensus.Precommit {
		return
	}
	if v.Height == e.state.LastBlockHeight {
		if _, err := e.currentCommit(); err != nil {
			e.log.Debug("late precommit not kept", "height", v.Height, "err", err)
			return
		}
	}
	e.late.observe(v, e.state.LastBlockHeight, e.state.LastValidators, time.Now(), !e.replaying)
}

// saveLateVotes stores the commit of the latest height when precommits
// joined it, so a restarted proposer still carries them.
func (e *Engine) saveLateVotes() {
	c := e.late.cur
	if e.replaying || c == nil || !c.unsaved || c.height != e.state.LastBlockHeight {
		return
	}
	if err := e.p.Blocks.UpdateSeenCommit(c.extended()); err != nil {
		e.log.Warn("late precommits not stored; a restarted proposer will carry fewer signatures", "height", c.height, "err", err)
		return
	}
	c.unsaved = false
}

// requestProposal proposes at once when nothing holds the proposal back,
// and otherwise holds it: for every live validator's precommit to join
// the commit the block carries, until the wait derived from recent
// heights ends, and for transactions to join a block too small to pay
// for itself (batch.go).
func (e *Engine) requestProposal(ctx context.Context, a consensus.RequestProposal) error {
	now := time.Now()
	if a.Height == e.state.LastBlockHeight+1 {
		if _, err := e.currentCommit(); err != nil {
			return err
		}
		if until := e.proposalHeldUntil(now); !until.IsZero() {
			e.proposeLater = &a
			time.AfterFunc(until.Sub(now), func() {
				select {
				case e.events <- proposalWaitOver{}:
				case <-e.done:
				}
			})
			return nil
		}
		if n := len(e.events); n > 0 && e.late.missingLive(e.state.LastValidators) {
			// The wait ran out while the block executed (a loaded
			// machine, a slow application): precommits that arrived
			// meanwhile are still queued. Take in what is queued now,
			// then propose.
			e.proposeLater, e.backlog = &a, n
			return nil
		}
	}
	e.proposeLater = nil
	return e.propose(ctx, a.Height, a.Round)
}

// proposalHeldUntil is the later of the two waits a proposal asked for at
// now is held for; the zero time when neither holds it.
func (e *Engine) proposalHeldUntil(now time.Time) time.Time {
	late := e.late.deadline(e.state.LastValidators, now)
	if e.replaying || e.p.Mempool == nil {
		return late
	}
	batch := e.cost.holdUntil(e.p.Mempool.Size(), now)
	if batch.After(late) {
		return batch
	}
	return late
}

// proposeIfDue carries out a held proposal once its waits are over and the
// events queued when it was asked for are handled, or as soon as nothing
// holds it any more.
func (e *Engine) proposeIfDue(ctx context.Context) error {
	a := e.proposeLater
	if a == nil || !e.proposalHeldUntil(time.Now()).IsZero() {
		return nil
	}
	if e.backlog > 0 && e.late.missingLive(e.state.LastValidators) {
		return nil
	}
	e.backlog = 0
	e.proposeLater = nil
	return e.propose(ctx, a.Height, a.Round)
}

// extendedLastCommit is the commit the next block carries, with the vote
// extensions PrepareProposal sees.
func (e *Engine) extendedLastCommit() (*types.ExtendedCommit, error) {
	c, err := e.currentCommit()
	if c == nil || err != nil {
		return nil, err
	}
	e.saveLateVotes()
	ec := c.extended()
	if e.extensionsAt(ec.Height) {
		return withExtensionsOnly(ec, e.state.LastValidators)
	}
	return ec, nil
}
