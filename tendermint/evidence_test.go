package tendermint

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// Evidence pairs two messages of one signer for one slot, never messages
// of two validators: every slot of the round log counts one message per
// signer, and a proposal from anyone but the round's proposer is rejected
// before it is logged.
func TestEvidence_OnlyPairsOneSignersMessagesForOneSlot(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	o := h.otherThan(h.proposer(0))
	var all []consensus.Action
	for _, typ := range []consensus.VoteType{consensus.Prevote, consensus.Precommit} {
		// Different validators, different values, one slot: no evidence.
		all = append(all, h.receive(h.vote(typ, 0, valueA, o[0]), h.vote(typ, 0, valueB, o[1]))...)
		if ev := actionsOf[consensus.Evidence](all); len(ev) != 0 {
			t.Fatalf("%v of two validators reported as evidence: %+v", typ, ev)
		}
	}
	// A proposal for round 0 signed by a validator that is not its
	// proposer is rejected, and no evidence pairs it with the proposer's.
	all = append(all, h.receive(h.proposal(0, -1, valueA))...)
	forged := h.sign(&consensus.Proposal{Height: h.height(), Round: 0, POLRound: -1, Value: valueB, Proposer: o[0]})
	acts, err := h.stepErr(consensus.Receive{Msg: forged})
	if !isInvalid(err) || len(acts) != 0 {
		t.Fatalf("proposal from a non-proposer: %v %v, want rejected", acts, err)
	}
	// The same signer's second vote of a slot, and the proposer's second
	// proposal, are evidence whose two halves match in signer and slot.
	all = append(all, h.receive(h.vote(consensus.Prevote, 0, consensus.Nil, o[0]))...)
	all = append(all, h.receive(h.vote(consensus.Precommit, 0, consensus.Nil, o[1]))...)
	all = append(all, h.receive(h.proposal(0, -1, valueB))...)
	ev := actionsOf[consensus.Evidence](all)
	if len(ev) != 3 {
		t.Fatalf("%d pieces of evidence, want 3: %+v", len(ev), ev)
	}
	for _, e := range ev {
		checkEvidencePair(t, e)
	}
}
