package engine

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/state/statetest"
	"github.com/bftnode/bftnode/store"
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

// penaltyNet records penalties.
type penaltyNet struct {
	mu        sync.Mutex
	penalized []string
}

func (*penaltyNet) Broadcast(byte, []byte)         {}
func (*penaltyNet) Send(string, byte, []byte) bool { return true }
func (n *penaltyNet) Penalize(peer string, _ string) {
	n.mu.Lock()
	n.penalized = append(n.penalized, peer)
	n.mu.Unlock()
}

// verifierAt is a verifier of a node whose chain is at height 1, with the
// genesis set of four validators of power 10 signing height 1 and set
// `next` signing heights 2 and 3.
func verifierAt(t *testing.T, next *types.ValidatorSet) (*verifier, *Engine, *penaltyNet, *types.ValidatorSet) {
	t.Helper()
	ss, err := store.OpenStateStore(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	s, _ := statetest.GenesisState(t, 10, 10, 10, 10)
	if err := ss.Save(s); err != nil {
		t.Fatal(err)
	}
	net := &penaltyNet{}
	e := &Engine{p: Parts{States: ss, Net: net}, events: make(chan event, 10)}
	ctx := &verifyContext{chainID: s.ChainID, last: 1, vals: next, next: next}
	ctx.changedAt = latestChange(nil, ctx, s.Validators) // as refreshVerifyContext derives it
	e.verifying.Store(ctx)
	return newVerifier(e), e, net, s.Validators
}

// lowered is set with key's validator at power 9: sorted last, so the
// indexes of the others move.
func lowered(t *testing.T, set *types.ValidatorSet, key crypto.PrivKey) *types.ValidatorSet {
	t.Helper()
	out := set.Copy()
	if err := out.UpdateWithChangeSet([]*types.Validator{types.NewValidator(key.PubKey(), 9)}); err != nil {
		t.Fatal(err)
	}
	return out
}

// signedViewChange is a VIEW-CHANGE signed by key as validator index.
func signedViewChange(t *testing.T, chainID string, key crypto.PrivKey, index int32) []byte {
	t.Helper()
	vc := &consensus.ViewChange{View: 1, Validator: index}
	sb, err := wire.SignBytes(chainID, vc)
	if err != nil {
		t.Fatal(err)
	}
	if vc.Signature, err = key.Sign(sb); err != nil {
		t.Fatal(err)
	}
	b, err := wire.EncodeConsensus(wire.ConsensusMessage{Msg: vc})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestViewChangeAcrossAPowerChangeIsDroppedWithoutBlame: a validator one
// block behind signs its VIEW-CHANGE with its index in the set before a
// change of powers; the receiver, past the change, finds another validator
// at that index. The message is dropped, and the sender is not penalized
// (three penalties ban a peer, which then cannot catch up).
func TestViewChangeAcrossAPowerChangeIsDroppedWithoutBlame(t *testing.T) {
	s, _ := statetest.GenesisState(t, 10, 10, 10, 10)
	victim := statetest.Key(0)
	next := lowered(t, s.Validators, victim)
	v, e, net, genesisSet := verifierAt(t, next)
	// A validator whose index differs between the sets.
	sender, oldIndex := movedValidator(t, genesisSet, next)
	v.check("behind", signedViewChange(t, s.ChainID, sender, oldIndex))
	if len(net.penalized) != 0 || len(e.events) != 0 {
		t.Errorf("penalized %v, %d messages passed on; want none of either", net.penalized, len(e.events))
	}
}

// TestBadSignaturesAreStillPenalized: where the signing set is certain, a
// signature that does not verify still costs the sender.
func TestBadSignaturesAreStillPenalized(t *testing.T) {
	s, _ := statetest.GenesisState(t, 10, 10, 10, 10)
	v, e, net, genesisSet := verifierAt(t, nil)
	e.verifying.Store(&verifyContext{chainID: s.ChainID, last: 1, vals: genesisSet, next: genesisSet})
	k := statetest.Key(1)
	idx, _ := genesisSet.GetByAddress(k.PubKey().Address())
	// Signed by key 1 but claiming another index: a forgery.
	v.check("forger", signedViewChange(t, s.ChainID, k, (idx+1)%4))
	// A vote with an explicit height whose set is known, across a change.
	next := lowered(t, genesisSet, statetest.Key(0))
	e.verifying.Store(&verifyContext{chainID: s.ChainID, last: 1, vals: next, next: next})
	vote := &consensus.Vote{Type: consensus.Prevote, Height: 2, Validator: 0, Value: consensus.Nil}
	sb, err := wire.SignBytes(s.ChainID, vote)
	if err != nil {
		t.Fatal(err)
	}
	if vote.Signature, err = statetest.Key(3).Sign(sb); err != nil {
		t.Fatal(err)
	}
	b, err := wire.EncodeConsensus(wire.ConsensusMessage{Msg: vote})
	if err != nil {
		t.Fatal(err)
	}
	v.check("voter", b)
	if len(net.penalized) != 2 || net.penalized[0] != "forger" || net.penalized[1] != "voter" {
		t.Errorf("penalized %v, want the forger and the voter", net.penalized)
	}
	// A good signature passes.
	good := signedViewChange(t, s.ChainID, k, func() int32 { i, _ := next.GetByAddress(k.PubKey().Address()); return i }())
	v.check("honest", good)
	if len(e.events) != 1 {
		t.Errorf("a well signed VIEW-CHANGE was not passed on")
	}
}

// A validator that fell several blocks behind across a change of powers
// signs its VIEW-CHANGE with its index in the set before the change. The
// receiver's latest height and next two share one set, but the change is
// recent: the sender is not blamed (three penalties ban it, and a banned
// validator cannot catch up by block sync from the node that banned it).
// Long after the change a failing signature costs the sender again.
// Regression test.
func TestViewChangeFromFarBehindARecentChangeIsNotBlamed(t *testing.T) {
	s, _ := statetest.GenesisState(t, 10, 10, 10, 10)
	next := lowered(t, s.Validators, statetest.Key(0))
	for _, tc := range []struct {
		name      string
		changedAt int64
		blamed    bool
	}{
		{"five heights after the change", 5, false},
		{"long after the change", 10 - changeGrace - 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, e, net, genesisSet := verifierAt(t, next)
			e.verifying.Store(&verifyContext{chainID: s.ChainID, last: 10, vals: next, next: next, changedAt: tc.changedAt})
			v.cache.Store(int64(10), next)
			sender, oldIndex := movedValidator(t, genesisSet, next)
			v.check("behind", signedViewChange(t, s.ChainID, sender, oldIndex))
			if blamed := len(net.penalized) != 0; blamed != tc.blamed || len(e.events) != 0 {
				t.Errorf("penalized %v, %d messages passed on; want blamed %v and none passed on", net.penalized, len(e.events), tc.blamed)
			}
		})
	}
}

// A node behind its peers may not know the set they sign VIEW-CHANGEs
// with: while a peer reports a height whose set this node does not know,
// a VIEW-CHANGE that fails verification is dropped without blame.
func TestViewChangeWhileBehindPeersIsNotBlamed(t *testing.T) {
	s, _ := statetest.GenesisState(t, 10, 10, 10, 10)
	v, e, net, genesisSet := verifierAt(t, nil)
	e.verifying.Store(&verifyContext{chainID: s.ChainID, last: 1, vals: genesisSet, next: genesisSet})
	e.peerTop.Store(3)
	k := statetest.Key(1)
	idx, _ := genesisSet.GetByAddress(k.PubKey().Address())
	v.check("ahead", signedViewChange(t, s.ChainID, k, (idx+1)%4))
	if len(net.penalized) != 0 || len(e.events) != 0 {
		t.Errorf("penalized %v, %d messages passed on; want none of either", net.penalized, len(e.events))
	}
}

// latestChange follows the validator sets block by block, and guesses from
// the sets of the latest height and the next two when it has no earlier
// context.
func TestLatestChange(t *testing.T) {
	s, _ := statetest.GenesisState(t, 10, 10, 10, 10)
	a := s.Validators
	b := lowered(t, a, statetest.Key(0))
	ctx := func(last int64, vals, next *types.ValidatorSet) *verifyContext {
		return &verifyContext{chainID: "c", last: last, vals: vals, next: next}
	}
	prev := ctx(3, a, a)
	prev.changedAt = 2
	cases := []struct {
		name     string
		prev     *verifyContext
		ctx      *verifyContext
		lastVals *types.ValidatorSet
		want     int64
	}{
		{"no change", prev, ctx(4, a, a), a, 2},
		{"the next set changes", prev, ctx(4, a, b), a, 6},
		{"no context, next differs", nil, ctx(4, a, b), a, 6},
		{"no context, current differs", nil, ctx(4, b, b), a, 5},
		{"no context, no change", nil, ctx(4, a, a), a, 0},
		{"a jump (state sync)", prev, ctx(40, a, a), a, 0},
	}
	for _, tc := range cases {
		if got := latestChange(tc.prev, tc.ctx, tc.lastVals); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

// movedValidator is a validator other than the first whose index differs
// between the sets before and after a change, with its index before.
func movedValidator(t *testing.T, before, after *types.ValidatorSet) (crypto.PrivKey, int32) {
	t.Helper()
	for i := 1; i < 4; i++ {
		k := statetest.Key(i)
		a, _ := before.GetByAddress(k.PubKey().Address())
		b, _ := after.GetByAddress(k.PubKey().Address())
		if a != b {
			return k, a
		}
	}
	t.Fatal("lowering a power moved no index; the test needs another set")
	return nil, 0
}
