package tendermint

import (
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// Retransmission resends this node's own signed messages only: a node
// that is not the round's proposer never resends the proposer's proposal,
// however often it received it.
func TestRetransmitResendsNoProposalOfAnotherProposer(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.cfg.RetransmitInterval = time.Second
	h.start()
	p := h.proposal(0, -1, valueA)
	h.receive(p)
	h.receive(p) // a repeated copy (gossip, or the proposer's own retransmission)
	acts := h.step(consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutRetransmit, Round: h.core.carry.retransmitSeq}})
	var prevotes int
	for _, s := range actionsOf[consensus.Send](acts) {
		switch m := s.Msg.(type) {
		case *consensus.Proposal:
			t.Fatalf("retransmission resends validator %d's proposal; this node is %d", m.Proposer, h.self)
		case *consensus.Vote:
			if m.Type == consensus.Prevote && m.Validator == h.self && m.Value == valueA {
				prevotes++
			}
		}
	}
	if prevotes != 1 {
		t.Fatalf("retransmission resent %d own prevotes for the proposal, want 1: %v", prevotes, acts)
	}
}
