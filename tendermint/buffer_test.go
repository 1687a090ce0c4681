package tendermint

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// The buffer of early messages holds at most maxBuffered in all, whoever
// signed them: signers beyond what the set could hold (the next height's
// set is not known yet) cannot grow it without bound.
func TestHeight_BufferIsBoundedInTotal(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	h.decideHeight(valueA)
	signers := int32(maxBuffered/maxBufferedPerSigner + 1)
	for s := int32(0); s < signers; s++ {
		for r := int32(0); r < maxBufferedPerSigner; r++ {
			if _, err := h.core.Step(consensus.Receive{Msg: &consensus.Vote{Type: consensus.Prevote, Height: 2, Round: r, Value: valueB, Validator: s, Signature: []byte("sig")}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := len(h.core.carry.buffered.msgs); n != maxBuffered {
		t.Fatalf("buffered %d messages of %d signers, want the bound %d", n, signers, maxBuffered)
	}
}
