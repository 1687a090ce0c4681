package tendermint

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// stepRaw applies one input to the core without the harness's echo of
// broadcasts, as a driver whose own messages have not come back yet.
func (h *harness) stepRaw(in consensus.Input) []consensus.Action {
	h.t.Helper()
	acts, err := h.core.Step(in)
	if err != nil {
		h.t.Fatalf("step %T%+v: %v", in, in, err)
	}
	return acts
}

func proposalsIn(acts []consensus.Action) []*consensus.Proposal {
	var out []*consensus.Proposal
	for _, b := range actionsOf[consensus.Broadcast](acts) {
		if p, ok := b.Msg.(*consensus.Proposal); ok {
			out = append(out, p)
		}
	}
	return out
}

// A repeated ProposalReady (the application answered twice, or the driver
// replayed its log) proposes nothing more: a second proposal for the round,
// possibly of another value, would be equivocation. Checked before the
// node's own proposal comes back, while it is still in step propose.
func TestProposalReady_RepeatedAnswerProposesOnce(t *testing.T) {
	h := newHarness(t, equalPowers(4), -1)
	h.self = h.vals.ProposerOf(0)
	h.start()
	first := proposalsIn(h.stepRaw(consensus.ProposalReady{Height: 1, Round: 0, Value: valueA}))
	if len(first) != 1 || first[0].Value != valueA {
		t.Fatalf("first answer: want one proposal for A, got %v", first)
	}
	if again := proposalsIn(h.stepRaw(consensus.ProposalReady{Height: 1, Round: 0, Value: valueB})); len(again) != 0 {
		t.Fatalf("a repeated answer proposed again: %+v", again[0])
	}
}

// An answer for a round this node has left (it skipped to a later round on
// f+1 messages, line 55) proposes nothing: only the round that asked may
// use it (getValue belongs to StartRound of that round).
func TestProposalReady_ForARoundLeftIsIgnored(t *testing.T) {
	h := newHarness(t, equalPowers(4), -1)
	h.self = h.vals.ProposerOf(0)
	if h.vals.ProposerOf(1) == h.self {
		t.Fatal("the set must have another proposer in round 1")
	}
	acts := h.start()
	if len(actionsOf[consensus.RequestProposal](acts)) != 1 {
		t.Fatalf("the proposer of round 0 did not ask for a value: %v", acts)
	}
	o := h.others()
	h.votesFrom(consensus.Prevote, 1, consensus.Nil, o[0], o[1]) // f+1 of round 1
	if st := h.core.Status(); st.Round != 1 || st.Step != "propose" {
		t.Fatalf("status %+v, want round 1 step propose", st)
	}
	if ps := proposalsIn(h.stepRaw(consensus.ProposalReady{Height: 1, Round: 0, Value: valueA})); len(ps) != 0 {
		t.Fatalf("proposed %+v with the answer of a round left", ps[0])
	}
}

// An answer that comes after the height is decided proposes nothing: the
// node decided on an earlier round's precommits (line 49) while it waited
// for its own value in a later round.
func TestProposalReady_AfterDecisionIsIgnored(t *testing.T) {
	h := newHarness(t, equalPowers(4), -1)
	h.self = h.vals.ProposerOf(1)
	if h.vals.ProposerOf(0) == h.self {
		t.Fatal("the set must have another proposer in round 0")
	}
	h.start()
	o := h.otherThan(h.proposer(0))
	acts := h.votesFrom(consensus.Prevote, 1, consensus.Nil, o[0], h.proposer(0)) // f+1 of round 1
	if len(actionsOf[consensus.RequestProposal](acts)) != 1 || h.core.Status().Round != 1 {
		t.Fatalf("did not move to round 1 and ask for a value: %v", acts)
	}
	h.receive(h.proposal(0, -1, valueA))
	acts = h.votesFrom(consensus.Precommit, 0, valueA, h.others()...)
	if ds := actionsOf[consensus.Decide](acts); len(ds) != 1 || ds[0].Value != valueA {
		t.Fatalf("round 0's precommits did not decide A: %v", acts)
	}
	if ps := proposalsIn(h.stepRaw(consensus.ProposalReady{Height: 1, Round: 1, Value: valueB})); len(ps) != 0 {
		t.Fatalf("proposed %+v after deciding", ps[0])
	}
}

// The node does not ask its application about the value it prepared
// itself (CometBFT does not process its own proposal): its own proposal
// coming back raises no RequestVerdict.
func TestProposalReady_OwnValueNeedsNoVerdict(t *testing.T) {
	h := newHarness(t, equalPowers(4), -1)
	h.self = h.vals.ProposerOf(0)
	h.start()
	acts := h.step(consensus.ProposalReady{Height: 1, Round: 0, Value: valueA})
	if rs := actionsOf[consensus.RequestVerdict](acts); len(rs) != 0 {
		t.Fatalf("asked the application about its own value: %+v", rs)
	}
	onlyVote(t, acts, consensus.Prevote, 0, valueA)
}
