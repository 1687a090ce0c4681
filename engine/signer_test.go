package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/cometbft/cometbft/crypto/ed25519"
)

func TestSignerGuardsEverySlot(t *testing.T) {
	s := NewSigner(ed25519.GenPrivKey(), "chain")
	a := testID(1)
	b := testID(2)
	v := &consensus.Vote{Type: consensus.Prevote, Height: 3, Round: 0, Value: a, Validator: 0}
	first, err := s.Sign(v, time.Unix(100, 0))
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Sign(v, time.Unix(200, 0))
	if err != nil {
		t.Fatal(err)
	}
	if again.(*consensus.Vote).Timestamp != first.(*consensus.Vote).Timestamp {
		t.Error("signing the same vote again must return the first signature")
	}
	conflicting := *v
	conflicting.Value = b
	if _, err := s.Sign(&conflicting, time.Unix(300, 0)); !errors.Is(err, ErrDoubleSign) {
		t.Fatalf("conflicting vote: %v", err)
	}
	precommit := *v
	precommit.Type, precommit.Value = consensus.Precommit, b
	if _, err := s.Sign(&precommit, time.Unix(300, 0)); err != nil {
		t.Fatalf("another vote type is another slot: %v", err)
	}
	s.SetFloor(4)
	if _, err := s.Sign(&consensus.Vote{Type: consensus.Prevote, Height: 3, Round: 1, Value: a}, time.Now()); !errors.Is(err, errBelowFloor) {
		t.Fatalf("below the floor: %v", err)
	}
}

func TestSignerRemembersObservedSignatures(t *testing.T) {
	s := NewSigner(ed25519.GenPrivKey(), "chain")
	a := testID(1)
	b := testID(2)
	s.Observe(&consensus.Proposal{Height: 2, Round: 1, POLRound: -1, Value: a, Signature: []byte("old")})
	if _, err := s.Sign(&consensus.Proposal{Height: 2, Round: 1, POLRound: -1, Value: b}, time.Now()); !errors.Is(err, ErrDoubleSign) {
		t.Fatalf("a proposal conflicting with a logged one: %v", err)
	}
}
