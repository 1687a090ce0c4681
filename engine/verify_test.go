package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"
)

// verifierFor returns a verifier over a validator set of n fresh keys,
// with the keys in the set's order.
func verifierFor(t *testing.T, n int) (*verifier, []crypto.PrivKey) {
	t.Helper()
	var vals []*types.Validator
	byAddr := map[string]crypto.PrivKey{}
	for i := 0; i < n; i++ {
		k := ed25519.GenPrivKey()
		byAddr[string(k.PubKey().Address())] = k
		vals = append(vals, types.NewValidator(k.PubKey(), 10))
	}
	set := types.NewValidatorSet(vals)
	keys := make([]crypto.PrivKey, n)
	for i, v := range set.Validators {
		keys[i] = byAddr[string(v.Address)]
	}
	e := &Engine{}
	e.verifying.Store(&verifyContext{chainID: "c", last: 0, vals: set, next: set})
	return newVerifier(e), keys
}

func sign(t *testing.T, key crypto.PrivKey, m consensus.Message) []byte {
	t.Helper()
	sb, err := wire.SignBytes("c", m)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := key.Sign(sb)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestVerifierChecksEveryNestedSignature(t *testing.T) {
	v, keys := verifierFor(t, 4)
	id := testID(3)
	now := time.Unix(1700000000, 0).UTC()
	pp := consensus.Proposal{Height: 1, Round: 0, POLRound: -1, Value: id, Proposer: 0, Timestamp: now}
	pp.Signature = sign(t, keys[0], &pp)
	cert := consensus.PreparedCert{PrePrepare: pp}
	for i := int32(1); i < 4; i++ {
		p := consensus.Vote{Type: consensus.Prevote, Height: 1, Round: 0, Value: id, Validator: i, Timestamp: now}
		p.Signature = sign(t, keys[i], &p)
		cert.Prepares = append(cert.Prepares, p)
	}
	vc := consensus.ViewChange{View: 1, Validator: 2, Stable: consensus.StableCheckpoint{Height: 0}, Prepared: []consensus.PreparedCert{cert}}
	vc.Signature = sign(t, keys[2], &vc)
	if err := v.message(&vc); err != nil {
		t.Fatalf("a correct view change was refused: %v", err)
	}

	forged := vc
	forged.Prepared = []consensus.PreparedCert{{PrePrepare: pp, Prepares: append([]consensus.Vote(nil), cert.Prepares...)}}
	forged.Prepared[0].Prepares[1].Signature = sign(t, keys[0], &forged.Prepared[0].Prepares[1]) // signed by the wrong key
	forged.Signature = sign(t, keys[2], &forged)
	if err := v.message(&forged); err == nil {
		t.Fatal("a view change carrying a forged prepare was accepted")
	}

	outsider := consensus.Vote{Type: consensus.Prevote, Height: 1, Value: id, Validator: 9, Timestamp: now}
	outsider.Signature = sign(t, keys[0], &outsider)
	if err := v.message(&outsider); err == nil {
		t.Fatal("a vote from a non-validator index was accepted")
	}
}

func TestVerifierDoesNotBlameMessagesBeyondKnownSets(t *testing.T) {
	v, keys := verifierFor(t, 4)
	stranger := ed25519.GenPrivKey()
	far := consensus.Vote{Type: consensus.Prevote, Height: 9, Value: testID(1), Validator: 1, Timestamp: time.Unix(1, 0).UTC()}
	far.Signature = sign(t, stranger, &far)
	if err := v.message(&far); !errors.Is(err, errUnknownSet) {
		t.Fatalf("a vote far ahead that fails verification: %v; want errUnknownSet", err)
	}
	near := far
	near.Height = 1
	near.Signature = sign(t, stranger, &near)
	if err := v.message(&near); err == nil || errors.Is(err, errUnknownSet) {
		t.Fatalf("a bad vote for the next height: %v; want a plain error", err)
	}
	_ = keys
}
