package pbft

import (
	"github.com/bftnode/bftnode/consensus"
)

// expectingProgress reports whether a backup should expect a block soon: a
// pre-prepare it accepted is not executed yet, transactions wait, or the
// primary must propose empty blocks [§4.4].
func (c *Core) expectingProgress() bool {
	if c.cfg.CreateEmptyBlocks || c.txsSeen {
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

// armProgressTimer starts a backup's view-change timer for the next height
// while it expects progress [§4.4]. An executed block re-arms it.
func (c *Core) armProgressTimer() []consensus.Action {
	if !c.active || !c.isValidator() || c.isPrimary() || c.vcTimer.Armed || !c.expectingProgress() {
		return nil
	}
	d := c.viewChangeTimeout()
	if c.cfg.CreateEmptyBlocks {
		d += c.cfg.EmptyBlockInterval
	}
	n := c.lastExecuted + 1
	c.vcTimer = timerMark{Armed: true, Height: n, View: c.view, After: d}
	return []consensus.Action{consensus.SetTimeout{Timeout: consensus.Timeout{Kind: consensus.TimeoutViewChange, Height: n, Round: c.view}, After: d}}
}

// armEmptyBlock starts the primary's empty-block interval for the next
// height.
func (c *Core) armEmptyBlock() []consensus.Action {
	if !c.cfg.CreateEmptyBlocks || !c.active || !c.isPrimary() || c.emptyDue || c.lastDecided != c.lastExecuted {
		return nil
	}
	n := c.lastExecuted + 1
	if m := c.emptyTimer; m.Armed && m.Height == n && m.View == c.view {
		return nil
	}
	if vs := c.lookup(n, c.view); vs != nil && vs.prePrepare != nil {
		return nil
	}
	d := c.cfg.EmptyBlockInterval
	c.emptyTimer = timerMark{Armed: true, Height: n, View: c.view, After: d}
	return []consensus.Action{consensus.SetTimeout{Timeout: consensus.Timeout{Kind: consensus.TimeoutEmptyBlock, Height: n, Round: c.view}, After: d}}
}

func (c *Core) onEmptyBlockTimeout(t consensus.Timeout) []consensus.Action {
	m := c.emptyTimer
	if !m.Armed || m.Height != t.Height || m.View != t.Round {
		return nil
	}
	c.emptyTimer = timerMark{}
	c.emptyDue = true
	return c.tryPropose()
}

// onStart begins or resumes participation: it starts a new retransmission
// chain (older chains die: their epoch no longer matches) and repeats every
// timer and request still outstanding, since a restarted driver lost them.
func (c *Core) onStart() []consensus.Action {
	c.retransmit++
	acts := []consensus.Action{consensus.SetTimeout{
		Timeout: consensus.Timeout{Kind: consensus.TimeoutRetransmit, Height: c.retransmit},
		After:   c.cfg.RetransmitInterval,
	}}
	if m := c.vcTimer; m.Armed {
		acts = append(acts, consensus.SetTimeout{Timeout: consensus.Timeout{Kind: consensus.TimeoutViewChange, Height: m.Height, Round: m.View}, After: m.After})
	}
	if m := c.emptyTimer; m.Armed {
		acts = append(acts, consensus.SetTimeout{Timeout: consensus.Timeout{Kind: consensus.TimeoutEmptyBlock, Height: m.Height, Round: m.View}, After: m.After})
	}
	if p := c.proposal; p.Asked && !p.Answered && p.Height == c.lastExecuted+1 && p.View == c.view {
		acts = append(acts, consensus.RequestProposal{Height: p.Height, Round: p.View})
	}
	for _, n := range sortedKeys(c.slots) {
		s := c.slots[n]
		for _, d := range sortedKeys(s.asked) {
			if _, known := s.verdicts[d]; !known {
				acts = append(acts, consensus.RequestVerdict{Height: n, Value: d})
			}
		}
	}
	if c.pendingDecide != nil {
		acts = append(acts, *c.pendingDecide)
	}
	if c.lastDecided < c.fetchTo {
		acts = append(acts, consensus.FetchBlocks{From: c.lastDecided + 1, To: c.fetchTo})
	}
	acts = append(acts, c.progress()...)
	return append(acts, c.afterViewChanges()...)
}

// onRetransmit resends the replica's own messages that may still be needed,
// so that progress resumes once lost messages are no longer lost: in normal
// operation its pre-prepare (as primary), PREPAREs and COMMITs for undecided
// sequence numbers, during a view change its VIEW-CHANGE, and always its
// latest CHECKPOINT. A state transfer that made no progress since the last
// tick is requested again.
func (c *Core) onRetransmit(t consensus.Timeout) []consensus.Action {
	if t.Height != c.retransmit {
		return nil
	}
	acts := []consensus.Action{consensus.SetTimeout{Timeout: t, After: c.cfg.RetransmitInterval}}
	c.ticks++
	if c.lastDecided < c.fetchTo {
		if c.lastDecided == c.fetchMark {
			acts = append(acts, consensus.FetchBlocks{From: c.lastDecided + 1, To: c.fetchTo})
		}
		c.fetchMark = c.lastDecided
	}
	if !c.isValidator() {
		return acts
	}
	if c.active {
		for _, n := range sortedKeys(c.slots) {
			vs := c.slots[n].views[c.view]
			if n <= c.lastDecided || vs == nil {
				continue
			}
			if pp := vs.prePrepare; pp != nil && pp.Proposer == c.self && !vs.fromNewView {
				acts = append(acts, consensus.Send{To: consensus.All, Msg: pp})
			}
			if vs.ownPrepare != nil {
				acts = append(acts, consensus.Send{To: consensus.All, Msg: vs.ownPrepare})
			}
			if vs.ownCommit != nil {
				acts = append(acts, consensus.Send{To: consensus.All, Msg: vs.ownCommit})
			}
		}
	} else if c.ownViewChange != nil {
		acts = append(acts, consensus.Send{To: consensus.All, Msg: c.ownViewChange})
	}
	if c.ownCheckpoint != nil {
		acts = append(acts, consensus.Send{To: consensus.All, Msg: c.ownCheckpoint})
	}
	return acts
}
