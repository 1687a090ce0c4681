package tendermint

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// sendsTo returns the messages acts send to validator to.
func sendsTo(acts []consensus.Action, to int32) []consensus.Message {
	var out []consensus.Message
	for _, s := range actionsOf[consensus.Send](acts) {
		if s.To == to {
			out = append(out, s.Msg)
		}
	}
	return out
}

// A validator that missed an earlier round's votes (cut off while they were
// sent) and still sends messages of that round gets this node's own votes
// of that round: retransmission alone resends only the current round, and
// the paper's liveness argument needs every correct message to reach every
// correct validator eventually. At most once per retransmission tick.
func TestRetransmit_RepliesToValidatorInEarlierRound(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 2)
	h.cfg.RetransmitInterval = 100
	h.start()
	h.receive(h.proposal(0, -1, valueA)) // own prevote for A
	o := h.otherThan(h.proposer(0))
	h.votesFrom(consensus.Prevote, 0, consensus.Nil, o[0])
	h.votesFrom(consensus.Prevote, 0, valueB, o[1]) // 2f+1 any: timeout prevote
	h.fire(consensus.TimeoutPrevote, 0)             // own precommit nil
	h.nextRound()
	laggard := h.proposer(0)
	acts := h.receive(h.vote(consensus.Prevote, 0, valueA, laggard))
	got := sendsTo(acts, laggard)
	if len(got) != 2 {
		t.Fatalf("sent %v to the validator in round 0, want this node's round-0 prevote and precommit", got)
	}
	pv, pc := got[0].(*consensus.Vote), got[1].(*consensus.Vote)
	if pv.Type != consensus.Prevote || pv.Round != 0 || pv.Value != valueA || pc.Type != consensus.Precommit || pc.Round != 0 || pc.Value != consensus.Nil || len(pv.Signature) == 0 {
		t.Fatalf("sent %+v and %+v, want the signed round-0 prevote for A and precommit nil", pv, pc)
	}
	if again := sendsTo(h.receive(h.vote(consensus.Precommit, 0, consensus.Nil, laggard)), laggard); len(again) != 0 {
		t.Fatalf("replied twice in one retransmission tick: %v", again)
	}
	seq := h.core.carry.retransmitSeq
	h.step(consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutRetransmit, Round: seq}})
	if next := sendsTo(h.receive(h.vote(consensus.Prevote, 0, valueA, laggard)), laggard); len(next) != 2 {
		t.Fatalf("no reply in the next tick: %v", next)
	}
	// Messages of the current round get no reply.
	if cur := sendsTo(h.receive(h.vote(consensus.Prevote, 1, consensus.Nil, o[0])), o[0]); len(cur) != 0 {
		t.Fatalf("replied to a message of the current round: %v", cur)
	}
}
