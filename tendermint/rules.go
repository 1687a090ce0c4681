package tendermint

import (
	"fmt"

	"github.com/bftnode/bftnode/consensus"
)

// startRound is StartRound(round), lines 11-21.
func (c *Core) startRound(round int32) {
	h := c.h
	h.round = round                                       // line 12
	h.step = stepPropose                                  // line 13
	if h.isValidator() && h.proposerOf(round) == h.self { // line 14
		l := h.log(round)
		if h.validValue != consensus.Nil { // lines 15-16
			c.broadcastProposal(l, h.validValue)
			return
		}
		// Line 18: getValue() is the application's PrepareProposal; the
		// proposal is broadcast (line 19) when ProposalReady answers.
		l.proposalRequested = true
		c.emit(consensus.RequestProposal{Height: h.number, Round: round})
		return
	}
	c.emit(consensus.SetTimeout{ // line 21
		Timeout: consensus.Timeout{Kind: consensus.TimeoutPropose, Height: h.number, Round: round},
		After:   c.cfg.proposeTimeout(round),
	})
}

// broadcastProposal is line 19: <PROPOSAL, h_p, round_p, proposal, validRound_p>.
func (c *Core) broadcastProposal(l *roundLog, value consensus.ID) {
	h := c.h
	l.proposed = true
	c.emit(consensus.Broadcast{Msg: &consensus.Proposal{
		Height: h.number, Round: h.round, POLRound: h.validRound, Value: value, Proposer: h.self,
	}})
	c.relayPOL(h.validRound, value)
}

// relayPOL sends the 2f+1 prevotes for value in round vr that justify a
// proposal with POL round vr. Line 28 needs them at every correct process;
// the paper's gossip delivers them, and a node that missed them while vr
// was current gets them here, with the proposal (the proof of lock of the
// original Tendermint). Without this, a locked node could wait forever.
func (c *Core) relayPOL(vr int32, value consensus.ID) {
	if vr < 0 {
		return
	}
	if l := c.h.rounds[vr]; l != nil {
		for _, v := range l.prevotes.messages(value) {
			c.emit(consensus.Send{To: consensus.All, Msg: copyVote(v)})
		}
	}
}

// broadcastVote sends this node's vote for the current round; a node that
// only follows the height votes nothing.
func (c *Core) broadcastVote(t consensus.VoteType, value consensus.ID) {
	h := c.h
	if !h.isValidator() {
		return
	}
	if t == consensus.Precommit {
		h.log(h.round).precommitted = true
	}
	c.emit(consensus.Broadcast{Msg: &consensus.Vote{
		Type: t, Height: h.number, Round: h.round, Value: value, Validator: h.self,
	}})
}

// progress applies the rules about the current round until none fires: a
// rule that fires changes the step or sets a latch, so this ends.
func (c *Core) progress() {
	for c.h.phase == phaseRunning {
		fired := c.onProposal() || c.onAnyPrevotes() || c.onPolka() || c.onNilPolka() || c.onAnyPrecommits()
		if !fired {
			return
		}
	}
}

// onProposal is lines 22-33: prevote for the current round's proposal once
// valid(v) is known.
func (c *Core) onProposal() bool {
	h := c.h
	l := h.rounds[h.round]
	if h.step != stepPropose || l == nil || l.proposal == nil {
		return false
	}
	p := l.proposal
	v, known := h.verdicts[p.Value]
	if !known || v == verdictPending {
		return false
	}
	valid := v == verdictValid
	lockedRound := h.lockedRound
	if c.bug.forgetLock {
		lockedRound = -1
	}
	vote := consensus.Nil
	if p.POLRound == -1 {
		// Line 23: valid(v) and (lockedRound_p = -1 or lockedValue_p = v).
		if valid && (lockedRound == -1 || h.lockedValue == p.Value) {
			vote = p.Value // line 24
		}
	} else {
		// Line 28: also 2f+1 <PREVOTE, h_p, vr, id(v)>, with vr < round_p
		// (checked when the proposal was received).
		pol := h.rounds[p.POLRound]
		if pol == nil || !pol.prevotes.hasQuorum(p.Value) {
			if pol == nil || !c.bug.skipPOLCheck {
				return false
			}
		}
		if c.bug.ignoreStaleLock {
			lockedRound = -1
		}
		// Line 29: valid(v) and (lockedRound_p <= vr or lockedValue_p = v).
		if valid && (lockedRound <= p.POLRound || h.lockedValue == p.Value) {
			vote = p.Value // line 30
		}
	}
	c.broadcastVote(consensus.Prevote, vote) // lines 24/26/30/32
	h.step = stepPrevote                     // lines 27/33
	return true
}

// onAnyPrevotes is lines 34-35: 2f+1 prevotes of any values in step prevote
// schedule OnTimeoutPrevote, once per round.
func (c *Core) onAnyPrevotes() bool {
	h := c.h
	l := h.rounds[h.round]
	if h.step != stepPrevote || l == nil || l.prevoteTimeoutScheduled || !l.prevotes.hasQuorumAny() {
		return false
	}
	l.prevoteTimeoutScheduled = true
	c.emit(consensus.SetTimeout{
		Timeout: consensus.Timeout{Kind: consensus.TimeoutPrevote, Height: h.number, Round: h.round},
		After:   c.cfg.prevoteTimeout(h.round),
	})
	return true
}

// onPolka is lines 36-43: a proposal and 2f+1 prevotes for it, with
// valid(v) and step >= prevote, for the first time. Locking happens only in
// step prevote; validValue/validRound are updated either way.
func (c *Core) onPolka() bool {
	h := c.h
	l := h.rounds[h.round]
	if h.step < stepPrevote || l == nil || l.polkaHandled {
		return false
	}
	for _, p := range l.proposals() {
		v := p.Value
		if h.verdicts[v] != verdictValid || !l.prevotes.hasQuorum(v) {
			continue
		}
		l.polkaHandled = true
		if h.step == stepPrevote { // line 37
			h.lockedValue = v                       // line 38
			h.lockedRound = h.round                 // line 39
			c.broadcastVote(consensus.Precommit, v) // line 40
			h.step = stepPrecommit                  // line 41
		}
		h.validValue = v       // line 42
		h.validRound = h.round // line 43
		return true
	}
	return false
}

// onNilPolka is lines 44-46: 2f+1 prevotes for nil in step prevote.
func (c *Core) onNilPolka() bool {
	h := c.h
	l := h.rounds[h.round]
	if h.step != stepPrevote || l == nil || !l.prevotes.hasQuorum(consensus.Nil) {
		return false
	}
	if c.bug.unlockOnNilPolka {
		// Deliberately wrong (test-only): the paper never unlocks here.
		h.lockedValue, h.lockedRound = consensus.Nil, -1
	}
	c.broadcastVote(consensus.Precommit, consensus.Nil) // line 45
	h.step = stepPrecommit                              // line 46
	return true
}

// onAnyPrecommits is lines 47-48: 2f+1 precommits of any values schedule
// OnTimeoutPrecommit, once per round, whatever the step.
func (c *Core) onAnyPrecommits() bool {
	h := c.h
	l := h.rounds[h.round]
	if l == nil || l.precommitTimeoutScheduled || !l.precommits.hasQuorumAny() {
		return false
	}
	l.precommitTimeoutScheduled = true
	c.emit(consensus.SetTimeout{
		Timeout: consensus.Timeout{Kind: consensus.TimeoutPrecommit, Height: h.number, Round: h.round},
		After:   c.cfg.precommitTimeout(h.round),
	})
	return true
}

// tryDecide is line 49 for round r: a proposal of round r and 2f+1
// precommits for it decide, in any round. valid(v) (line 50) is not awaited:
// more than 2/3 of the power precommitted v, so an honest validator found it
// valid. If this node's application rejected v, the network and this node
// disagree about validity (a nondeterministic application or more than 1/3
// faulty power): halt.
func (c *Core) tryDecide(r int32) error {
	h := c.h
	l := h.rounds[r]
	if h.phase != phaseRunning || l == nil {
		return nil
	}
	for _, p := range l.proposals() {
		v := p.Value
		if !l.precommits.hasQuorum(v) {
			continue
		}
		if h.verdicts[v] == verdictInvalid {
			return brokenf("height %d round %d: more than 2/3 of the voting power precommitted %X, which this node's application rejected", h.number, r, []byte(v))
		}
		c.precommitBeforeDeciding(r, l, v)
		c.decide(v, l.precommits.messages(v)) // lines 51-52
		return nil
	}
	return nil
}

// precommitBeforeDeciding has a validator that reaches line 49 for round r
// without having precommitted in r sign its precommit of r before it
// decides, as CometBFT's enterPrecommit does on +2/3 precommits. A
// validator gets there when the round's messages overtake it: it waited
// out timeout_commit a little longer than the others (its messages were
// buffered, then applied at once) or its application had not answered
// valid(v) yet. Without this vote it is absent from the commit, and the
// next block's LastCommit, which Cosmos chains read to slash and reward,
// counts it as offline although it is live.
//
// The precommit is for v when this node holds 2f+1 prevotes for v in r
// (line 36's condition; valid(v) is not awaited, for the reason tryDecide
// gives), else nil (CometBFT's "no polka: precommit nil"). Either is safe:
// the node never signed a precommit in r (the latch says so) and leaves the
// height with the decision, so it signs nothing else at this height.
func (c *Core) precommitBeforeDeciding(r int32, l *roundLog, v consensus.ID) {
	h := c.h
	if !h.isValidator() || l.precommitted {
		return
	}
	value := consensus.Nil
	if l.prevotes.hasQuorum(v) {
		value = v
	}
	l.precommitted = true
	c.emit(consensus.Broadcast{Msg: &consensus.Vote{
		Type: consensus.Precommit, Height: h.number, Round: r, Value: value, Validator: h.self,
	}})
}

// trySkipRound is lines 55-56: f+1 messages of a higher round mean an
// honest validator is there; join it. It reports whether it did.
func (c *Core) trySkipRound(r int32) bool {
	h := c.h
	l := h.rounds[r]
	if h.phase != phaseRunning || r <= h.round || l == nil || !h.vals.IsOneThird(l.senderPower) {
		return false
	}
	c.startRound(r)
	return true
}

// describe names a message in errors.
func describe(m consensus.Message) string {
	switch m := m.(type) {
	case *consensus.Proposal:
		return fmt.Sprintf("proposal for height %d round %d", m.Height, m.Round)
	case *consensus.Vote:
		return fmt.Sprintf("%s for height %d round %d", m.Type, m.Height, m.Round)
	}
	return fmt.Sprintf("%T", m)
}
