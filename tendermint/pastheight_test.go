package tendermint

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// A message of height 0 is one of a height before every chain's first
// (heights start at 1 or more): like any message of a past height it is
// ignored, not refused; only negative heights are malformed.
func TestReceive_HeightZeroIsAPastHeight(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	msgs := map[string]consensus.Message{
		"proposal": h.sign(&consensus.Proposal{Height: 0, Round: 0, POLRound: -1, Value: valueA, Proposer: h.proposer(0)}),
		"prevote":  h.sign(&consensus.Vote{Type: consensus.Prevote, Height: 0, Round: 0, Value: valueA, Validator: h.others()[0]}),
	}
	for name, m := range msgs {
		acts, err := h.stepErr(consensus.Receive{Msg: m})
		if err != nil || len(acts) != 0 {
			t.Fatalf("%s of height 0: error %v, actions %v; want it ignored", name, err, acts)
		}
	}
	neg := h.sign(&consensus.Proposal{Height: -1, Round: 0, POLRound: -1, Value: valueA, Proposer: h.proposer(0)})
	if _, err := h.stepErr(consensus.Receive{Msg: neg}); !isInvalid(err) {
		t.Fatalf("proposal of height -1: error %v, want invalid input", err)
	}
}
