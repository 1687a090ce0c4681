package tendermint

import "github.com/bftnode/bftnode/consensus"

// onProposalReady is the answer to getValue() (line 18): broadcast the
// proposal (line 19) if the node is still in the round that asked.
func (c *Core) onProposalReady(in consensus.ProposalReady) error {
	h := c.h
	if in.Height < h.number {
		return nil // an answer for a height already left
	}
	var l *roundLog
	if in.Height == h.number {
		l = h.rounds[in.Round]
	}
	if l == nil || !l.proposalRequested {
		return invalidf("proposal ready for height %d round %d, which this node did not request (it is at height %d round %d)", in.Height, in.Round, h.number, h.round)
	}
	if in.Value == consensus.Nil {
		return invalidf("proposal ready for height %d round %d without a value; the application must prepare a block", in.Height, in.Round)
	}
	if l.proposed || h.phase != phaseRunning || in.Round != h.round || h.step != stepPropose {
		return nil // a repeated answer, or the round moved on
	}
	// The application prepared this value itself, so this node holds it
	// valid without asking (CometBFT does not process its own proposal).
	if _, ok := h.verdicts[in.Value]; !ok {
		h.verdicts[in.Value] = verdictValid
	}
	c.broadcastProposal(l, in.Value)
	return nil
}

// onVerdict records valid(v) and applies the rules that waited for it.
func (c *Core) onVerdict(in consensus.Verdict) error {
	h := c.h
	if in.Height < h.number {
		return nil
	}
	v, requested := h.verdicts[in.Value]
	if in.Height > h.number || !requested {
		return invalidf("verdict for a value at height %d that this node did not ask about (it is at height %d)", in.Height, h.number)
	}
	if v != verdictPending {
		return nil // first answer wins
	}
	if !in.Valid && h.phase == phaseDecided && h.decision == in.Value {
		return brokenf("height %d: this node decided %X, which its application now rejects", h.number, []byte(in.Value))
	}
	if in.Valid {
		h.verdicts[in.Value] = verdictValid
	} else {
		h.verdicts[in.Value] = verdictInvalid
	}
	c.progress()
	return nil
}
