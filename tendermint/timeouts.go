package tendermint

import (
	"math"

	"github.com/bftnode/bftnode/consensus"
)

// onTimeout handles a fired timeout. Timeouts are never cancelled, so a
// timeout for a height, round or step the core has left is stale and
// ignored (the guards of lines 58, 62 and 66).
func (c *Core) onTimeout(t consensus.Timeout) error {
	h := c.h
	running := h.phase == phaseRunning && t.Height == h.number && t.Round == h.round
	switch t.Kind {
	case consensus.TimeoutPropose:
		if running && h.step == stepPropose { // line 58
			c.broadcastVote(consensus.Prevote, consensus.Nil) // line 59
			h.step = stepPrevote                              // line 60
			c.progress()
			return nil
		}
	case consensus.TimeoutPrevote:
		if running && h.step == stepPrevote { // line 62
			c.broadcastVote(consensus.Precommit, consensus.Nil) // line 63
			h.step = stepPrecommit                              // line 64
			c.progress()
			return nil
		}
	case consensus.TimeoutPrecommit:
		if running && h.round < math.MaxInt32 { // line 66
			c.startRound(h.round + 1) // line 67
			c.progress()
			return nil
		}
	case consensus.TimeoutEmptyBlock:
		if h.phase == phaseNewHeight && t.Height == h.number {
			return c.startHeight()
		}
	case consensus.TimeoutCommit:
		if h.phase == phaseCommitWait && t.Height == h.number {
			return c.beginHeight()
		}
		if h.phase == phaseDecided && t.Height == h.number+1 {
			c.commitWaitOver = t.Height // over before the block finished executing
		}
	case consensus.TimeoutRetransmit:
		if t.Round == c.carry.retransmitSeq {
			c.retransmit()
		}
	default:
		return invalidf("timeout of kind %s (%d) is not one the Tendermint core schedules", t.Kind, t.Kind)
	}
	return nil
}

// scheduleRetransmit schedules the one pending retransmit timeout. Its Round
// is a sequence number rather than a round: only the latest one is live, so
// a repeated firing is stale and cannot double the chain.
func (c *Core) scheduleRetransmit() {
	if c.cfg.RetransmitInterval <= 0 {
		return
	}
	c.emit(consensus.SetTimeout{
		Timeout: consensus.Timeout{Kind: consensus.TimeoutRetransmit, Round: c.carry.retransmitSeq},
		After:   c.cfg.RetransmitInterval,
	})
}

// retransmit resends this node's signed messages of the current round (and
// its precommit of the round before), so that a height whose messages were
// lost on a lossy network still completes once the network heals.
func (c *Core) retransmit() {
	c.carry.retransmitSeq = (c.carry.retransmitSeq + 1) & math.MaxInt32
	c.scheduleRetransmit()
	h := c.h
	if h.phase != phaseRunning && h.phase != phaseDecided {
		return
	}
	if l := h.rounds[h.round]; l != nil {
		if p := l.ownProposal; p != nil {
			c.emit(consensus.Send{To: consensus.All, Msg: copyProposal(p)})
			c.relayPOL(p.POLRound, p.Value)
		}
		for _, v := range []*consensus.Vote{l.ownPrevote, l.ownPrecommit} {
			if v != nil {
				c.emit(consensus.Send{To: consensus.All, Msg: copyVote(v)})
			}
		}
	}
	if l := h.rounds[h.round-1]; h.round > 0 && l != nil && l.ownPrecommit != nil {
		c.emit(consensus.Send{To: consensus.All, Msg: copyVote(l.ownPrecommit)})
	}
}

// replyToLaggard sends validator to, whose message shows it still in an
// earlier round of this height, this node's own proposal and votes of that
// round, at most once per retransmission tick. Retransmission resends the
// current round only, so a validator cut off while a round's votes went
// out would otherwise never get them; with a Byzantine validator
// withholding, no round might then gather 2f+1 votes or f+1 messages at
// any correct validator, and the height would stall for good. The paper's
// liveness argument rests on its gossip communication property (a message
// a correct process received reaches every correct process within Δ after
// GST); this is the part of that gossip a round left behind needs.
func (c *Core) replyToLaggard(to, round int32) {
	h := c.h
	if !h.isValidator() || to == h.self || (h.phase != phaseRunning && h.phase != phaseDecided) {
		return
	}
	l := h.rounds[round]
	if l == nil {
		return
	}
	if last, ok := h.repliedAt[to]; ok && last == c.carry.retransmitSeq {
		return
	}
	var msgs []consensus.Message
	if l.ownProposal != nil {
		msgs = append(msgs, copyProposal(l.ownProposal))
	}
	for _, v := range []*consensus.Vote{l.ownPrevote, l.ownPrecommit} {
		if v != nil {
			msgs = append(msgs, copyVote(v))
		}
	}
	if len(msgs) == 0 {
		return
	}
	h.repliedAt[to] = c.carry.retransmitSeq
	for _, m := range msgs {
		c.emit(consensus.Send{To: to, Msg: m})
	}
}
