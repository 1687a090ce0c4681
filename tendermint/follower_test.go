package tendermint

import (
	"fmt"
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// A node given no address follows without voting, even when the set holds
// a validator whose address is empty: an empty self matches no validator.
func TestFollower_NoAddressMatchesNoValidator(t *testing.T) {
	vals := make([]consensus.Validator, 4)
	for i := range vals {
		vals[i] = consensus.Validator{Address: []byte(fmt.Sprintf("val-%02d", i)), PubKey: []byte{byte(i)}, Power: 1}
	}
	vals[0].Address = nil
	vs, err := consensus.NewValidatorSet(vals)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, equalPowers(4), -1)
	h.vals = vs
	if h.core, err = New(h.cfg, nil, vs, nil); err != nil {
		t.Fatal(err)
	}
	acts := h.step(consensus.Start{})
	acts = append(acts, h.receive(h.proposal(0, -1, valueA))...)
	acts = append(acts, h.votesFrom(consensus.Prevote, 0, valueA, 1, 2, 3)...)
	if bs, rs := actionsOf[consensus.Broadcast](acts), actionsOf[consensus.RequestProposal](acts); len(bs)+len(rs) != 0 {
		t.Fatalf("a node without an address signed %+v or asked to propose %+v", bs, rs)
	}
}
