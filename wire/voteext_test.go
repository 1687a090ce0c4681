package wire

import (
	"bytes"
	"errors"
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// A precommit's vote extension and its signature travel with it; an
// extension anywhere ABCI 2.0 has none, too large, or unsigned, is
// refused as invalid.
func TestVoteExtensionTravelsOnPrecommitsOnly(t *testing.T) {
	g := newGen(1)
	v := g.vote(consensus.Precommit, 4, 1, g.id(), 2)
	v.Extension, v.ExtensionSignature = []byte("price=42"), bytes.Repeat([]byte{7}, 64)
	b, err := EncodeConsensus(ConsensusMessage{Msg: &v})
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeConsensus(b)
	if err != nil {
		t.Fatal(err)
	}
	gv := got.Msg.(*consensus.Vote)
	if !bytes.Equal(gv.Extension, v.Extension) || !bytes.Equal(gv.ExtensionSignature, v.ExtensionSignature) {
		t.Errorf("extension %q / %X after a round trip", gv.Extension, gv.ExtensionSignature)
	}
	for name, bad := range map[string]func(*consensus.Vote){
		"on a prevote":        func(v *consensus.Vote) { v.Type = consensus.Prevote },
		"on a nil precommit":  func(v *consensus.Vote) { v.Value = consensus.Nil },
		"without a signature": func(v *consensus.Vote) { v.ExtensionSignature = nil },
		"too large":           func(v *consensus.Vote) { v.Extension = make([]byte, MaxVoteExtensionBytes+1) },
	} {
		w := v
		bad(&w)
		if _, err := EncodeConsensus(ConsensusMessage{Msg: &w}); !errors.Is(err, ErrInvalid) {
			t.Errorf("extension %s: encode error %v, want ErrInvalid", name, err)
		}
		pb, _ := voteToProto(&w)
		if _, err := VoteFromProto(&pb); !errors.Is(err, ErrInvalid) {
			t.Errorf("extension %s: decode error %v, want ErrInvalid", name, err)
		}
	}
}
