package sim

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// The lock family's adversary: the first honest precommit for a value at a
// height picks the favoured validator, whose precommits for values are
// lost; it is isolated once it decides and back once every honest node
// decided; the attackers vote nil for honest values, back the favoured
// precommit to the favoured validator only, and push fresh values in the
// rounds they propose.
func TestLockAttackMechanics(t *testing.T) {
	w, err := newWorld(Options{Protocol: toyProtocol, Scenario: LockScenario, Seed: 3, Validators: 4, Powers: "equal"})
	if err != nil {
		t.Fatal(err)
	}
	w.schedulePlan()
	if w.lock == nil || !w.net.faulty || len(w.res.Byzantine) != 1 || w.res.Behaviours[0] != LockScenario {
		t.Fatalf("lock family: adversary %v, Byzantine %v %v", w.lock != nil, w.res.Byzantine, w.res.Behaviours)
	}
	byz := w.nodes[w.res.Byzantine[0]]
	var honest []*node
	for _, n := range w.nodes {
		if n.honest {
			honest = append(honest, n)
		}
	}
	f, other := honest[0], honest[1]
	precommit := func(n *node, value consensus.ID) *consensus.Vote {
		return &consensus.Vote{Type: consensus.Precommit, Height: 1, Round: 0, Value: value, Validator: n.val}
	}
	if w.lock.dropsPrecommit(w, f.slot, precommit(f, consensus.Nil)) {
		t.Fatal("a nil precommit was lost")
	}
	if !w.lock.dropsPrecommit(w, f.slot, precommit(f, "a")) {
		t.Fatal("the first precommit for a value was delivered")
	}
	if w.lock.dropsPrecommit(w, other.slot, precommit(other, "a")) {
		t.Fatal("another validator's precommit was lost")
	}
	if !w.lock.dropsPrecommit(w, f.slot, precommit(f, "a")) {
		t.Fatal("the favoured validator's retransmission was delivered")
	}

	// The attackers: nil for honest values, but the favoured precommit
	// backed towards the favoured validator.
	signed := func(m consensus.Message) consensus.Message {
		s, err := byz.signer.signUnprotected(m)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	vote := signed(&consensus.Vote{Type: consensus.Precommit, Height: 1, Round: 0, Value: "a", Validator: byz.val})
	public, favoured := w.lock.distort(byz, vote)
	if v := public.(*consensus.Vote); v.Value != consensus.Nil || w.keys.verify(v) != nil {
		t.Fatalf("public version %+v: want a signed nil precommit", v)
	}
	if v, ok := favoured.(*consensus.Vote); !ok || v.Value != "a" || w.keys.verify(v) != nil {
		t.Fatalf("favoured version %+v: want the signed precommit for a", favoured)
	}
	// A re-proposal of a locked value becomes a fresh proposal, and the
	// attackers vote for it in that round.
	prop := signed(&consensus.Proposal{Height: 1, Round: 1, POLRound: 0, Value: "a", Proposer: byz.val})
	out, _ := w.lock.distort(byz, prop)
	p := out.(*consensus.Proposal)
	if p.Value == "a" || p.POLRound != -1 || !w.valid(1, p.Value) || w.keys.verify(p) != nil {
		t.Fatalf("re-proposal became %+v: want a fresh, valid, signed proposal without POL round", p)
	}
	prevote := signed(&consensus.Vote{Type: consensus.Prevote, Height: 1, Round: 1, Value: consensus.Nil, Validator: byz.val})
	if out, _ := w.lock.distort(byz, prevote); out.(*consensus.Vote).Value != p.Value {
		t.Fatalf("attacker prevote %+v, want one for its fresh proposal", out)
	}

	// Isolation: the favoured validator after deciding, until all decided.
	for _, n := range honest {
		n.decidedLife = map[int64]bool{}
	}
	decide := func(n *node) {
		n.decided[1] = "a"
		w.lock.onDecide(w, n, 1)
	}
	decide(other)
	if w.net.reach != nil {
		t.Fatal("a validator that is not favoured was isolated")
	}
	decide(f)
	for _, n := range w.nodes {
		if n != f && (w.reachable(f.slot, n.slot) || w.reachable(n.slot, f.slot)) {
			t.Fatalf("favoured n%d still reaches or hears n%d", f.slot, n.slot)
		}
	}
	if !w.reachable(other.slot, byz.slot) {
		t.Fatal("the others were cut off from each other")
	}
	if w.servesBlocks(byz) || !w.servesBlocks(other) {
		t.Fatal("attackers must not serve block sync during the attack; honest nodes must")
	}
	for _, n := range honest[2:] {
		decide(n)
	}
	if !w.reachable(f.slot, other.slot) || !w.reachable(other.slot, f.slot) {
		t.Fatal("favoured validator still isolated after every honest node decided")
	}
}
