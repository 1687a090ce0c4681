package tendermint

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// Powers 5, 3, 2, 1 (total 11): a quorum needs more than 22/3, so 8; one
// third is more than 11/3, so 4.
var weighted = []int64{5, 3, 2, 1}

// validatorsWithPower returns indexes of the weighted set by power.
func byPower(h *harness, powers ...int64) []int32 {
	var out []int32
	for _, p := range powers {
		for i, v := range h.vals.Validators {
			if v.Power == p {
				out = append(out, int32(i))
			}
		}
	}
	return out
}

func TestWeighted_PolkaNeedsPowerNotCount(t *testing.T) {
	// This node has power 1; it prevotes A; the others send prevotes.
	h := newHarness(t, weighted, -1)
	h.self = byPower(h, 1)[0]
	h.start()
	if h.proposer(0) == h.self {
		t.Fatal("the lightest validator proposes round 0")
	}
	h.receive(h.proposal(0, -1, valueA))
	p2, p3 := byPower(h, 2)[0], byPower(h, 3)[0]
	// 1 + 2 + 3 = 6 of 11 is three of four validators but not a quorum.
	acts := h.receive(h.vote(consensus.Prevote, 0, valueA, p2), h.vote(consensus.Prevote, 0, valueA, p3))
	noVote(t, acts, consensus.Precommit)
	acts = h.receive(h.vote(consensus.Prevote, 0, valueA, byPower(h, 5)[0]))
	onlyVote(t, acts, consensus.Precommit, 0, valueA)
}

func TestWeighted_OneHeavyValidatorSkipsRound(t *testing.T) {
	h := newHarness(t, weighted, -1)
	h.self = byPower(h, 1)[0]
	h.start()
	r := h.laterRoundNotProposed(3)
	// Power 3 is not more than 11/3; power 5 alone is.
	h.receive(h.vote(consensus.Prevote, r, valueA, byPower(h, 3)[0]))
	if h.core.Status().Round != 0 {
		t.Fatal("power 3 of 11 moved the round")
	}
	h.receive(h.vote(consensus.Prevote, r, valueA, byPower(h, 5)[0]))
	if h.core.Status().Round != r {
		t.Fatalf("power 8 of 11 in round %d did not move the round", r)
	}
}

func TestWeighted_DecisionCommitCarriesQuorumPower(t *testing.T) {
	h := newHarness(t, weighted, -1)
	h.self = byPower(h, 1)[0]
	h.start()
	h.receive(h.proposal(0, -1, valueA))
	acts := h.receive(h.vote(consensus.Precommit, 0, valueA, byPower(h, 5)[0]), h.vote(consensus.Precommit, 0, valueA, byPower(h, 2)[0]))
	if len(actionsOf[consensus.Decide](acts)) != 0 {
		t.Fatal("7 of 11 decided")
	}
	acts = h.receive(h.vote(consensus.Precommit, 0, valueA, byPower(h, 3)[0]))
	ds := actionsOf[consensus.Decide](acts)
	if len(ds) != 1 {
		t.Fatal("10 of 11 did not decide")
	}
	var power int64
	for _, v := range ds[0].Commit {
		power += h.vals.Power(v.Validator)
	}
	if !h.vals.IsQuorum(power) {
		t.Fatalf("commit power %d", power)
	}
}

func TestWeighted_ProposerFollowsPriorities(t *testing.T) {
	h := newHarness(t, weighted, -1)
	h.start()
	seen := map[int32]int{}
	for r := int32(0); r < 11; r++ {
		seen[h.core.h.proposerOf(r)]++
	}
	// Over 11 rounds each validator proposes as often as its power says.
	for i, v := range h.vals.Validators {
		if seen[int32(i)] != int(v.Power) {
			t.Fatalf("validator of power %d proposed %d of 11 rounds", v.Power, seen[int32(i)])
		}
	}
}
