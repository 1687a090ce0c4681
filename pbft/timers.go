package pbft

import (
	"github.com/bftnode/bftnode/consensus"
)

// expectingProgress reports whether a replica should expect a block soon:
// a pre-prepare it accepted (or, as primary, sent) is not executed yet,
// transactions wait, or the primary must propose empty blocks [§4.4].
func (c *Core) expectingProgress() bool {
	if c.emptyBlocks() || c.txsSeen || c.proofDue {
		return true
	}
	for n, s := range c.slots {
		if n > c.lastExecuted {
			if vs := s.views[c.view]; vs != nil && vs.prePrepare != nil {
				return true
			}
		}
	}
	return false
}

// armProgressTimer starts the view-change timer for the next height while
// the replica expects progress [§4.4]. An executed block re-arms it.
//
// The papers arm it on backups only: with equal votes, the correct backups
// stuck in a view hold f+1 votes, so when they time out the primary joins
// them by the rule of f+1 view changes for higher views [§4.5.2]. With
// voting power the correct backups can hold less than 1/3 of it (say the
// primary holds 71 of 127 and the one other correct validator 27): then
// they time out alone, nobody joins them, and the primary, whose own
// pre-prepares can no longer commit, would wait in its view forever. So
// the primary runs the timer too, on its own undecided pre-prepares: every
// correct replica that waits for a block it cannot execute eventually asks
// for a new view, which is what the liveness argument of §4.5.2 needs.
// Going back instead (a replica that changed view alone rejoining the view
// the others stayed in) would be unsafe: its VIEW-CHANGE promised a P set
// that preparing again in the old view could make stale.
func (c *Core) armProgressTimer() {
	if !c.active || !c.isValidator() || c.vcTimer.Armed || !c.expectingProgress() {
		return
	}
	// The primary may wait TimeoutCommit and then the empty-block
	// interval before it proposes: that is no fault of the view.
	d := c.viewChangeTimeout() + c.cfg.TimeoutCommit
	if c.emptyBlocks() {
		d += c.cfg.EmptyBlockInterval
	}
	n := c.lastExecuted + 1
	c.vcTimer = timerMark{Armed: true, Height: n, View: c.view, After: d}
	c.emit(consensus.SetTimeout{Timeout: consensus.Timeout{Kind: consensus.TimeoutViewChange, Height: n, Round: c.view}, After: d})
}

// armEmptyBlock starts the primary's empty-block interval for the next
// height once its commit wait is over, as CometBFT starts it with the
// height's first round.
func (c *Core) armEmptyBlock() {
	if !c.emptyBlocks() || !c.active || !c.isPrimary() || c.emptyDue || c.lastDecided != c.lastExecuted {
		return
	}
	n := c.lastExecuted + 1
	if c.commitWaiting(n) || (c.proposal.Asked && c.proposal.Height == n && c.proposal.View == c.view) {
		return
	}
	if m := c.emptyTimer; m.Armed && m.Height == n && m.View == c.view {
		return
	}
	if vs := c.lookup(n, c.view); vs != nil && vs.prePrepare != nil {
		return
	}
	d := c.cfg.EmptyBlockInterval
	c.emptyTimer = timerMark{Armed: true, Height: n, View: c.view, After: d}
	c.emit(consensus.SetTimeout{Timeout: consensus.Timeout{Kind: consensus.TimeoutEmptyBlock, Height: n, Round: c.view}, After: d})
}

func (c *Core) onEmptyBlockTimeout(t consensus.Timeout) {
	m := c.emptyTimer
	if !m.Armed || m.Height != t.Height || m.View != t.Round {
		return
	}
	c.emptyTimer = timerMark{}
	c.emptyDue = true
	c.tryPropose()
}

// onStart begins or resumes participation: it starts a new retransmission
// chain (older chains die: their epoch no longer matches) and repeats every
// timer and request still outstanding, since a restarted driver lost them.
// Only the first Start of an instance does so: a restarted driver steps
// Start and then replays its log, which can hold the Start of an earlier
// life, and repeating everything again would hand the driver the decision
// awaiting execution twice in one life.
func (c *Core) onStart() {
	if c.started {
		return
	}
	c.started = true
	c.retransmit++
	c.emit(consensus.SetTimeout{
		Timeout: consensus.Timeout{Kind: consensus.TimeoutRetransmit, Height: c.retransmit},
		After:   c.cfg.RetransmitInterval,
	})
	if m := c.vcTimer; m.Armed {
		c.emit(consensus.SetTimeout{Timeout: consensus.Timeout{Kind: consensus.TimeoutViewChange, Height: m.Height, Round: m.View}, After: m.After})
	}
	if m := c.emptyTimer; m.Armed {
		c.emit(consensus.SetTimeout{Timeout: consensus.Timeout{Kind: consensus.TimeoutEmptyBlock, Height: m.Height, Round: m.View}, After: m.After})
	}
	if m := c.reqTimer; m.Armed {
		c.emit(consensus.SetTimeout{Timeout: consensus.Timeout{Kind: consensus.TimeoutRequest, Height: m.Height, Round: m.View}, After: m.After})
	}
	if m := c.commitWait; m.Armed {
		c.emit(consensus.SetTimeout{Timeout: consensus.Timeout{Kind: consensus.TimeoutCommit, Height: m.Height}, After: m.After})
	}
	if p := c.proposal; p.Asked && !p.Answered && p.Height == c.lastExecuted+1 && p.View == c.view {
		c.emit(consensus.RequestProposal{Height: p.Height, Round: p.View})
	}
	for _, n := range sortedKeys(c.slots) {
		s := c.slots[n]
		for _, d := range sortedKeys(s.asked) {
			if _, known := s.verdicts[d]; !known {
				c.emit(consensus.RequestVerdict{Height: n, Value: d})
			}
		}
	}
	if c.pendingDecide != nil {
		c.emit(*c.pendingDecide)
	}
	if c.lastDecided < c.fetchTo {
		c.emit(consensus.FetchBlocks{From: c.lastDecided + 1, To: c.fetchTo})
	}
	c.progress()
	c.afterViewChanges()
}

// onRetransmit resends the replica's own messages that may still be needed,
// so that progress resumes once lost messages are no longer lost: in normal
// operation its pre-prepare (as primary), PREPAREs and COMMITs for undecided
// sequence numbers, during a view change its VIEW-CHANGE, and always its
// latest CHECKPOINT. A state transfer that made no progress since the last
// tick is requested again.
func (c *Core) onRetransmit(t consensus.Timeout) {
	if t.Height != c.retransmit {
		return
	}
	c.emit(consensus.SetTimeout{Timeout: t, After: c.cfg.RetransmitInterval})
	c.ticks++
	if c.lastDecided < c.fetchTo {
		if c.lastDecided == c.fetchMark {
			c.emit(consensus.FetchBlocks{From: c.lastDecided + 1, To: c.fetchTo})
		}
		c.fetchMark = c.lastDecided
	}
	if !c.isValidator() {
		return
	}
	if c.active {
		for _, n := range sortedKeys(c.slots) {
			vs := c.slots[n].views[c.view]
			if n <= c.lastDecided || vs == nil {
				continue
			}
			if pp := vs.prePrepare; pp != nil && pp.Proposer == c.selfAt(n) && !vs.fromNewView {
				c.emit(consensus.Send{To: consensus.All, Msg: pp})
			}
			if vs.ownPrepare != nil {
				c.emit(consensus.Send{To: consensus.All, Msg: vs.ownPrepare})
			}
			if vs.ownCommit != nil {
				c.emit(consensus.Send{To: consensus.All, Msg: vs.ownCommit})
			}
		}
	} else if c.ownViewChange != nil {
		c.emit(consensus.Send{To: consensus.All, Msg: c.ownViewChange})
	}
	if c.ownCheckpoint != nil {
		c.emit(consensus.Send{To: consensus.All, Msg: c.ownCheckpoint})
	}
}
