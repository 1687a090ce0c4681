package tendermint

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// The round-state summary (the consensus state RPC) names as QuorumValue
// the smallest value other than nil with more than 2/3 of the power, and
// reports no quorum when no such value exists.

func TestRoundState_NoQuorumValueWithoutAQuorum(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	o := h.others()
	h.receive(h.vote(consensus.Prevote, 0, valueA, o[0]), h.vote(consensus.Prevote, 0, valueB, o[1]))
	s := h.core.RoundState().Prevotes
	if s.Quorum || s.QuorumValue != consensus.Nil {
		t.Fatalf("prevotes of power 1 for each of two values: summary reports quorum %v for %q, want none", s.Quorum, s.QuorumValue)
	}
	if s.Power != 2 {
		t.Fatalf("summary power %d, want 2", s.Power)
	}
}

// An equivocating validator's second vote counts for its value too (see
// voteSet), so with equivocation two values can each have a quorum; the
// summary names the smaller one, not the one the first votes alone reach.
func TestRoundState_QuorumValueCountsEquivocatorsSecondVotes(t *testing.T) {
	vals := validatorSet(t, equalPowers(4))
	small, large := consensus.ID("block-1"), consensus.ID("block-2")
	s := newVoteSet(vals)
	vote := func(validator int32, value consensus.ID) {
		s.add(&consensus.Vote{Type: consensus.Prevote, Height: 1, Value: value, Validator: validator}, false)
	}
	vote(0, large)
	vote(1, large)
	vote(2, large)
	vote(3, small)
	if v, ok := s.quorumValue(); !ok || v != large {
		t.Fatalf("first votes: quorum value %q (%v), want %q", v, ok, large)
	}
	vote(0, small)
	vote(1, small) // small now has 0's, 1's and 3's votes: power 3 of 4
	if v, ok := s.quorumValue(); !ok || v != small {
		t.Fatalf("with second votes: quorum value %q (%v), want the smaller %q", v, ok, small)
	}
}

// A value below the quorum value that has votes but no quorum is never
// named, nor is nil.
func TestRoundState_QuorumValueIgnoresSmallerValuesWithoutQuorum(t *testing.T) {
	vals := validatorSet(t, equalPowers(4))
	small, large := consensus.ID("block-1"), consensus.ID("block-2")
	for _, other := range []consensus.ID{small, consensus.Nil} {
		s := newVoteSet(vals)
		vote := func(validator int32, value consensus.ID) {
			s.add(&consensus.Vote{Type: consensus.Prevote, Height: 1, Value: value, Validator: validator}, false)
		}
		vote(0, large)
		vote(1, large)
		vote(2, large)
		vote(3, other)
		vote(3, large) // an equivocation: the summary takes the slow path
		if v, ok := s.quorumValue(); !ok || v != large {
			t.Fatalf("quorum for %q, one vote for %q: quorum value %q (%v), want %q", large, other, v, ok, large)
		}
	}
}
