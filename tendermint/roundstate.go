package tendermint

import "github.com/bftnode/bftnode/consensus"

// RoundState is a read-only copy of the core's state for RPC
// (dump_consensus_state and friends). It shares nothing with the core.
type RoundState struct {
	Height int64
	Round  int32
	Step   string
	// Self is this node's validator index, or -1 when it only follows.
	Self int32
	// Proposer is the index of proposer(h_p, round_p).
	Proposer int32

	LockedValue consensus.ID
	LockedRound int32
	ValidValue  consensus.ID
	ValidRound  int32

	// Proposal is the value proposed in the current round, if one came.
	Proposal    consensus.ID
	HasProposal bool
	POLRound    int32

	Prevotes   VoteSummary
	Precommits VoteSummary

	Decided  bool
	Decision consensus.ID

	Validators int
	TotalPower int64
}

// VoteSummary counts one kind of vote of the current round.
type VoteSummary struct {
	// Voted has one entry per validator index: whether its vote counted.
	Voted []bool
	// Power is the power of all counted votes, NilPower of those for nil.
	Power    int64
	NilPower int64
	// Quorum is set when one value other than nil has more than 2/3.
	QuorumValue consensus.ID
	Quorum      bool
}

// RoundState returns a copy of the current round's state.
func (c *Core) RoundState() RoundState {
	h := c.h
	rs := RoundState{
		Height: h.number, Round: h.round, Step: c.stepName(), Self: h.self,
		LockedValue: h.lockedValue, LockedRound: h.lockedRound,
		ValidValue: h.validValue, ValidRound: h.validRound,
		POLRound: -1,
		Decided:  h.phase == phaseDecided, Decision: h.decision,
		Validators: h.vals.Size(), TotalPower: h.vals.TotalPower(),
	}
	// Read the cache without filling it: RoundState changes nothing.
	if cached, ok := h.proposers[h.round]; ok {
		rs.Proposer = cached
	} else {
		rs.Proposer = h.vals.ProposerOf(h.round)
	}
	l := h.rounds[h.round]
	if l == nil {
		l = newRoundLog(h.vals)
	}
	if l.proposal != nil {
		rs.Proposal, rs.HasProposal, rs.POLRound = l.proposal.Value, true, l.proposal.POLRound
	}
	rs.Prevotes = summarize(h.vals, l.prevotes)
	rs.Precommits = summarize(h.vals, l.precommits)
	return rs
}

func summarize(vals *consensus.ValidatorSet, t *voteSet) VoteSummary {
	s := VoteSummary{Voted: make([]bool, vals.Size()), Power: t.anyPower(), NilPower: t.power(consensus.Nil)}
	for i := range s.Voted {
		s.Voted[i] = t.voted(int32(i))
	}
	s.QuorumValue, s.Quorum = t.quorumValue()
	return s
}
