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
	out := w.lock.forgeOValues(byz, signed.(*consensus.NewView)).(*consensus.NewView)
	if out.PrePrepares[0].Value == "prepared" || out.PrePrepares[1].Value != consensus.Nil || !w.valid(1, out.PrePrepares[0].Value) {
		t.Fatalf("forged O %+v: want a fresh valid value for the prepared one, null kept", out.PrePrepares)
	}
	if err := w.keys.verify(out); err != nil {
		t.Fatalf("forged new view fails verification: %v", err)
	}
}

// A renumbered NEW-VIEW moves the pre-prepare of O's highest prepared
// sequence number to the next one and changes nothing else; the attackers
// follow it with a fresh valid PRE-PREPARE for the freed sequence number
// in the new view, the other attackers' PREPAREs and every attacker's
// COMMIT, all signed so that they pass verification. The forgery is made
// once per view.
func TestRenumberedNewViewFreesASequence(t *testing.T) {
	w, err := newWorld(Options{Protocol: toyProtocol, Scenario: StalePOLScenario, Seed: 3, Validators: 7, Powers: "equal", Byzantine: 2})
	if err != nil {
		t.Fatal(err)
	}
	byz := w.nodes[w.res.Byzantine[0]]
	o := []consensus.Proposal{
		{Height: 1, Round: 1, POLRound: -1, Value: "one", Proposer: byz.val},
		{Height: 2, Round: 1, POLRound: -1, Value: "two", Proposer: byz.val},
		{Height: 3, Round: 1, POLRound: -1, Value: consensus.Nil, Proposer: byz.val},
	}
	signed, err := byz.signer.signUnprotected(&consensus.NewView{View: 1, Validator: byz.val, PrePrepares: o})
	if err != nil {
		t.Fatal(err)
	}
	nv := signed.(*consensus.NewView)
	out, ok := w.lock.renumberO(byz, nv).(*consensus.NewView)
	if !ok {
		t.Fatal("nothing renumbered in an O with prepared values")
	}
	if err := w.keys.verify(out); err != nil {
		t.Fatalf("renumbered new view fails verification: %v", err)
	}
	for i, pp := range out.PrePrepares {
		want := o[i]
		if i == 1 {
			want.Height = 3 // the highest prepared sequence, moved up by one
		}
		if pp.Height != want.Height || pp.Round != want.Round || pp.Value != want.Value || pp.Proposer != want.Proposer || pp.POLRound != want.POLRound {
			t.Fatalf("renumbered O[%d] = %+v, want %+v", i, pp, want)
		}
	}
	if again := w.lock.renumberO(byz, nv); again != consensus.Message(out) {
		t.Fatal("a second NEW-VIEW for the same view was forged anew")
	}
	follow := w.lock.stale.forged[1].follow
	pp, ok := follow[0].(*consensus.Proposal)
	if !ok || pp.Height != 2 || pp.Round != 1 || pp.Proposer != byz.val || pp.Value == "two" || !w.valid(2, pp.Value) {
		t.Fatalf("first follow-up %s: want a fresh valid pre-prepare for sequence 2 in view 1", describe(follow[0]))
	}
	if w.lock.push[roundKey{2, 1}] != pp.Value {
		t.Fatalf("the attackers' votes at (2, 1) follow %q, not the fresh value %q", w.lock.push[roundKey{2, 1}], pp.Value)
	}
	prepares, commits := map[int32]bool{}, map[int32]bool{}
	for _, m := range follow[1:] {
		v, ok := m.(*consensus.Vote)
		if !ok || v.Height != 2 || v.Round != 1 || v.Value != pp.Value || w.honestVal[v.Validator] {
			t.Fatalf("follow-up %s: want a Byzantine vote for the fresh value at (2, 1)", describe(m))
		}
		if err := w.keys.verify(v); err != nil {
			t.Fatalf("follow-up %s fails verification: %v", describe(m), err)
		}
		if v.Type == consensus.Prevote {
			prepares[v.Validator] = true
		} else {
			commits[v.Validator] = true
		}
	}
	if len(commits) != 2 || len(prepares) != 1 || prepares[byz.val] {
		t.Fatalf("follow-up PREPAREs from %v and COMMITs from %v: want the other attacker's PREPARE and both attackers' COMMITs", prepares, commits)
	}
}

// A NEW-VIEW with V repeated holds only the attackers' view changes,
// stripped of their P sets and signed, repeated until their power counted
// per copy exceeds 2/3, and an empty O; the attackers follow it with a
// fresh valid PRE-PREPARE for the height the honest validators are at.
func TestRepeatedVNewViewFreesTheStuckHeight(t *testing.T) {
	w, err := newWorld(Options{Protocol: toyProtocol, Scenario: StalePOLScenario, Seed: 3, Validators: 7, Powers: "equal", Byzantine: 2})
	if err != nil {
		t.Fatal(err)
	}
	byz := w.nodes[w.res.Byzantine[0]]
	var honest *node
	for _, o := range w.nodes {
		if o.honest {
			honest = o
			break
		}
	}
	cert := []consensus.PreparedCert{{PrePrepare: consensus.Proposal{Height: 1, Round: 0, POLRound: -1, Value: "one", Proposer: 0}}}
	var vcs []consensus.ViewChange
	for _, o := range []*node{byz, w.nodes[w.res.Byzantine[1]], honest} {
		signed, err := o.signer.signUnprotected(&consensus.ViewChange{View: 1, Validator: o.val, Prepared: cert})
		if err != nil {
			t.Fatal(err)
		}
		vcs = append(vcs, *signed.(*consensus.ViewChange))
	}
	nv := &consensus.NewView{View: 1, Validator: byz.val, ViewChanges: vcs, PrePrepares: []consensus.Proposal{{Height: 1, Round: 1, POLRound: -1, Value: "one", Proposer: byz.val}}}
	signed, err := byz.signer.signUnprotected(nv)
	if err != nil {
		t.Fatal(err)
	}
	out, ok := w.lock.repeatV(byz, signed.(*consensus.NewView)).(*consensus.NewView)
	if !ok {
		t.Fatal("no NEW-VIEW forged from the attackers' view changes")
	}
	if err := w.keys.verify(out); err != nil {
		t.Fatalf("forged new view fails verification: %v", err)
	}
	var power int64
	for _, vc := range out.ViewChanges {
		if w.honestVal[vc.Validator] || len(vc.Prepared) != 0 {
			t.Fatalf("V holds %s: want only the attackers' view changes, without P sets", describe(&vc))
		}
		power += w.genesis.Power(vc.Validator)
	}
	if len(out.PrePrepares) != 0 || !w.genesis.IsQuorum(power) || len(out.ViewChanges) > w.genesis.Size() {
		t.Fatalf("forged NEW-VIEW: %d view changes of power %d, O %+v: want repeats past 2/3 of %d, within %d, and an empty O",
			len(out.ViewChanges), power, out.PrePrepares, w.genesis.TotalPower(), w.genesis.Size())
	}
	pp, ok := w.lock.stale.forged[1].follow[0].(*consensus.Proposal)
	if !ok || pp.Height != 1 || pp.Round != 1 || !w.valid(1, pp.Value) {
		t.Fatalf("follow-up %s: want a fresh valid pre-prepare for height 1 in view 1", describe(w.lock.stale.forged[1].follow[0]))
	}
}
