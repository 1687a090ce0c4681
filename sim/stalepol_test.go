package sim

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// The stalepol network hides a round-0 polka: an honest receiver hears
// honest prevotes for a value only while it would still lack a quorum
// with its own, the attackers hear all of them, and every one is kept for
// a stale re-proposal. Other rounds and nil prevotes pass.
func TestStalePOLHidesRoundZeroPolka(t *testing.T) {
	w, err := newWorld(Options{Protocol: toyProtocol, Scenario: StalePOLScenario, Seed: 3, Validators: 7, Powers: "equal"})
	if err != nil {
		t.Fatal(err)
	}
	w.schedulePlan()
	if w.lock == nil || w.lock.stale == nil || w.res.Behaviours[0] != StalePOLScenario {
		t.Fatalf("stalepol family: adversary %v, Byzantine %v", w.lock, w.res.Behaviours)
	}
	var honest []*node
	byz := w.nodes[w.res.Byzantine[0]]
	for _, n := range w.nodes {
		if n.honest {
			honest = append(honest, n)
		}
	}
	prevote := func(n *node, round int32, value consensus.ID) *consensus.Vote {
		return &consensus.Vote{Type: consensus.Prevote, Height: 1, Round: round, Value: value, Validator: n.val}
	}
	receiver := honest[0]
	heard := w.genesis.Power(receiver.val)
	for _, s := range honest[1:] {
		hidden := w.lock.hidesPrevote(w, s.slot, receiver.slot, prevote(s, 0, "v"))
		if !hidden {
			heard += w.genesis.Power(s.val)
		}
		if w.genesis.IsQuorum(heard) {
			t.Fatalf("receiver heard a quorum (%d) of round-0 prevotes for v", heard)
		}
		if w.lock.hidesPrevote(w, s.slot, byz.slot, prevote(s, 0, "v")) {
			t.Fatal("an attacker was kept from an honest prevote")
		}
	}
	if !w.genesis.IsQuorum(heard + w.genesis.Power(honest[len(honest)-1].val)) {
		t.Fatalf("receiver heard %d: the rule hid more than it must", heard)
	}
	if hp := w.lock.stale.polkas[1]["v"]; hp == nil || len(hp.sorted()) != len(honest)-1 {
		t.Fatalf("recorded polka %+v: want every honest sender's prevote", hp)
	}
	if w.lock.hidesPrevote(w, honest[1].slot, receiver.slot, prevote(honest[1], 1, "v")) ||
		w.lock.hidesPrevote(w, honest[1].slot, receiver.slot, prevote(honest[1], 0, consensus.Nil)) {
		t.Fatal("a round-1 prevote or a nil prevote was hidden")
	}
}

// A forged NEW-VIEW keeps the real view changes, carries fresh values where
// O re-proposes prepared ones, and is signed so that it passes
// verification: only a replica that recomputes O can refuse it.
func TestForgedNewViewIsSignedWithFreshValues(t *testing.T) {
	w, err := newWorld(Options{Protocol: toyProtocol, Scenario: StalePOLScenario, Seed: 3, Validators: 4, Powers: "equal"})
	if err != nil {
		t.Fatal(err)
	}
	byz := w.nodes[w.res.Byzantine[0]]
	nv := &consensus.NewView{View: 1, Validator: byz.val, PrePrepares: []consensus.Proposal{
		{Height: 1, Round: 1, POLRound: -1, Value: "prepared", Proposer: byz.val},
		{Height: 2, Round: 1, POLRound: -1, Value: consensus.Nil, Proposer: byz.val},
	}}
	signed, err := byz.signer.signUnprotected(nv)
	if err != nil {
		t.Fatal(err)
	}
	out := w.lock.forgeNewView(byz, signed.(*consensus.NewView)).(*consensus.NewView)
	if out.PrePrepares[0].Value == "prepared" || out.PrePrepares[1].Value != consensus.Nil || !w.valid(1, out.PrePrepares[0].Value) {
		t.Fatalf("forged O %+v: want a fresh valid value for the prepared one, null kept", out.PrePrepares)
	}
	if err := w.keys.verify(out); err != nil {
		t.Fatalf("forged new view fails verification: %v", err)
	}
}
