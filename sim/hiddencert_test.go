package sim

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// stableViewsToy is the toy core described as a PBFT-like protocol, whose
// view-0 primary's pre-prepare counts with the PREPAREs.
func stableViewsToy() Protocol {
	p := toyProtocol
	p.StableViews = true
	return p
}

// hiddenWorld is a stalepol world of seven equal validators, two of them
// Byzantine, whose seed picks the primaryHidden variant or not.
func hiddenWorld(t *testing.T, p Protocol, seed uint64) *world {
	t.Helper()
	w, err := newWorld(Options{Protocol: p, Scenario: StalePOLScenario, Seed: seed, Validators: 7, Powers: "equal", Byzantine: 2})
	if err != nil {
		t.Fatal(err)
	}
	w.schedulePlan()
	return w
}

// honestPrevote is honest node n's round-0 prevote for value at height 1.
func honestPrevote(t *testing.T, n *node, value consensus.ID) *consensus.Vote {
	t.Helper()
	signed, err := n.signer.signUnprotected(&consensus.Vote{Type: consensus.Prevote, Height: 1, Round: 0, Value: value, Validator: n.val})
	if err != nil {
		t.Fatal(err)
	}
	return signed.(*consensus.Vote)
}

// In primaryHidden runs of a protocol with stable views (PBFT) the
// network counts the view-0 primary's pre-prepare with what a receiver
// heard, so it delivers one honest PREPARE fewer than elsewhere: with
// seven equal validators the receiver's own vote and the primary's make
// two of the five a quorum needs, and two more PREPAREs reach it, not
// three. Other seeds, and protocols without stable views, keep the old
// count.
func TestPrimaryHiddenCountsThePrePrepare(t *testing.T) {
	for _, c := range []struct {
		name    string
		p       Protocol
		seed    uint64
		hidden  bool
		deliver int
	}{
		{"pbft-like even seed", stableViewsToy(), 4, true, 2},
		{"pbft-like odd seed", stableViewsToy(), 3, false, 3},
		{"no stable views, even seed", toyProtocol, 4, true, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := hiddenWorld(t, c.p, c.seed)
			if w.lock.stale.primaryHidden != c.hidden {
				t.Fatalf("seed %d: primaryHidden %v, want %v", c.seed, w.lock.stale.primaryHidden, c.hidden)
			}
			var receiver *node
			var senders []*node
			for _, n := range w.nodes {
				switch {
				case !n.honest || n.val == 0:
				case receiver == nil:
					receiver = n
				default:
					senders = append(senders, n)
				}
			}
			if len(senders) < 3 {
				t.Fatalf("%d honest senders besides the receiver and the primary; the test needs 3", len(senders))
			}
			delivered := 0
			for _, s := range senders {
				if !w.lock.hidesPrevote(w, s.slot, receiver.slot, honestPrevote(t, s, "v")) {
					delivered++
				}
			}
			if delivered != c.deliver {
				t.Fatalf("receiver heard %d honest PREPAREs, want %d", delivered, c.deliver)
			}
		})
	}
}

// hiddenSetup records every honest validator's round-0 prevote for
// "hidden" at height 1 and makes the favoured validator commit "fresh" in
// view 1; it returns the attackers and the view whose view change the
// later of them, by view, can certify the hidden value in (the one after
// the view it leads in the second rotation).
func hiddenSetup(t *testing.T, w *world) (first, second *node, view int32) {
	t.Helper()
	var receiver *node
	for _, n := range w.nodes {
		if !n.honest {
			continue
		}
		if receiver == nil {
			receiver = n
		}
		w.lock.hidesPrevote(w, n.slot, receiver.slot, honestPrevote(t, n, "hidden"))
	}
	w.lock.backed[roundKey{1, 1}] = "fresh"
	first, second = w.nodes[w.res.Byzantine[0]], w.nodes[w.res.Byzantine[1]]
	if first.val > second.val {
		first, second = second, first
	}
	return first, second, second.val + 7 + 1
}

// primaryCert is a certificate of value at (round, n) holding only its
// pre-prepare, signed by the round's primary (validator round mod 7).
func primaryCert(t *testing.T, w *world, n int64, round int32, value consensus.ID) consensus.PreparedCert {
	t.Helper()
	signed, err := w.nodeOf(round % 7).signer.signUnprotected(&consensus.Proposal{Height: n, Round: round, POLRound: -1, Value: value, Proposer: round % 7})
	if err != nil {
		t.Fatal(err)
	}
	return consensus.PreparedCert{PrePrepare: *signed.(*consensus.Proposal)}
}

// checkHiddenCert checks that pc certifies "hidden" at (view, 1) with a
// pre-prepare of view's primary and honest view-0 PREPAREs of more than
// 2/3 of the power with it, all signed.
func checkHiddenCert(t *testing.T, w *world, pc consensus.PreparedCert, view int32, primary *node) {
	t.Helper()
	pp := pc.PrePrepare
	if pp.Height != 1 || pp.Round != view || pp.Value != "hidden" || pp.Proposer != primary.val {
		t.Fatalf("hidden certificate's pre-prepare %+v: want hidden at (%d, 1) from %d", pp, view, primary.val)
	}
	if err := w.keys.verify(&pp); err != nil {
		t.Fatalf("hidden certificate's pre-prepare fails verification: %v", err)
	}
	power := w.genesis.Power(primary.val)
	seen := map[int32]bool{}
	for i := range pc.Prepares {
		v := &pc.Prepares[i]
		if v.Round != 0 || v.Height != 1 || v.Value != "hidden" || !w.honestVal[v.Validator] || seen[v.Validator] {
			t.Fatalf("hidden certificate's PREPARE %s: want distinct honest view-0 PREPAREs for hidden", describe(v))
		}
		if err := w.keys.verify(v); err != nil {
			t.Fatalf("hidden certificate's PREPARE %s fails verification: %v", describe(v), err)
		}
		seen[v.Validator] = true
		power += w.genesis.Power(v.Validator)
	}
	if !w.genesis.IsQuorum(power) {
		t.Fatalf("hidden certificate has power %d of %d", power, w.genesis.TotalPower())
	}
}

// An attacker's view change in a primaryHidden run drops its view-0
// certificates, keeps the others, and certifies the hidden value at
// height 1 with the honest view-0 PREPAREs under a pre-prepare of the
// latest view an attacker leads (above view 1, where the fresh value
// committed); the attackers then vote for the hidden value in the view
// changed to. Before a commit, or with no attacker-led view above it, it
// certifies nothing.
func TestHiddenViewChangeRaisesTheHiddenValuesView(t *testing.T) {
	w := hiddenWorld(t, stableViewsToy(), 4)
	first, second, view := hiddenSetup(t, w)
	real := func(n int64, round int32, value consensus.ID) consensus.PreparedCert {
		return primaryCert(t, w, n, round, value)
	}
	sign := func(p []consensus.PreparedCert, view int32) *consensus.ViewChange {
		signed, err := first.signer.signUnprotected(&consensus.ViewChange{View: view, Validator: first.val, Prepared: p})
		if err != nil {
			t.Fatal(err)
		}
		return signed.(*consensus.ViewChange)
	}
	vc := sign([]consensus.PreparedCert{real(1, 1, "fresh"), real(2, 1, "two"), real(3, 0, "zero")}, view)
	out, ok := w.lock.hiddenViewChange(first, vc).(*consensus.ViewChange)
	if !ok || len(out.Prepared) != 2 {
		t.Fatalf("view change %s: want the hidden certificate and sequence 2's", describe(out))
	}
	if err := w.keys.verify(out); err != nil {
		t.Fatalf("forged view change fails verification: %v", err)
	}
	checkHiddenCert(t, w, out.Prepared[0], view-1, second)
	if pp := out.Prepared[1].PrePrepare; pp.Height != 2 || pp.Value != "two" {
		t.Fatalf("certificate for sequence 2 changed: %+v", pp)
	}
	if got := w.lock.push[roundKey{1, view}]; got != "hidden" {
		t.Fatalf("the attackers vote for %q in view %d, want hidden", got, view)
	}
	delete(w.lock.backed, roundKey{1, 1})
	if _, _, ok := w.lock.hiddenCertified(first, vc); ok {
		t.Fatal("certified the hidden value before the favoured validator committed")
	}
	w.lock.backed[roundKey{1, view - 1}] = "fresh"
	if _, _, ok := w.lock.hiddenCertified(first, vc); ok {
		t.Fatal("certified the hidden value in a view at or below the commit's")
	}
}

// A Byzantine new primary in a primaryHidden run replaces its own view
// change in V by its hidden-certified one and makes O re-propose the
// hidden value at that sequence number, all signed; with a certificate of
// that view or above in V it forges nothing.
func TestHiddenCertNewViewReproposesTheHiddenValue(t *testing.T) {
	w := hiddenWorld(t, stableViewsToy(), 4)
	_, second, view := hiddenSetup(t, w)
	fresh := []consensus.PreparedCert{primaryCert(t, w, 1, 1, "fresh")}
	var vcs []consensus.ViewChange
	for _, n := range w.nodes {
		if n == second || n.honest && len(vcs) < 4 {
			signed, err := n.signer.signUnprotected(&consensus.ViewChange{View: view, Validator: n.val, Prepared: fresh})
			if err != nil {
				t.Fatal(err)
			}
			vcs = append(vcs, *signed.(*consensus.ViewChange))
		}
	}
	o := []consensus.Proposal{{Height: 1, Round: view, POLRound: -1, Value: "fresh", Proposer: second.val}}
	signed, err := second.signer.signUnprotected(&consensus.NewView{View: view, Validator: second.val, ViewChanges: vcs, PrePrepares: o})
	if err != nil {
		t.Fatal(err)
	}
	nv := signed.(*consensus.NewView)
	out, ok := w.lock.hiddenCertNewView(second, nv).(*consensus.NewView)
	if !ok {
		t.Fatal("no NEW-VIEW forged")
	}
	if err := w.keys.verify(out); err != nil {
		t.Fatalf("forged new view fails verification: %v", err)
	}
	if len(out.PrePrepares) != 1 || out.PrePrepares[0].Value != "hidden" || out.PrePrepares[0].Round != view {
		t.Fatalf("forged O %+v: want hidden at sequence 1 in view %d", out.PrePrepares, view)
	}
	own := 0
	for i := range out.ViewChanges {
		vc := &out.ViewChanges[i]
		if err := w.keys.verify(vc); err != nil {
			t.Fatalf("view change of %d fails verification: %v", vc.Validator, err)
		}
		if vc.Validator == second.val {
			own++
			checkHiddenCert(t, w, vc.Prepared[0], view-1, second)
		} else if vc.Prepared[0].PrePrepare.Value != "fresh" {
			t.Fatalf("view change of %d changed", vc.Validator)
		}
	}
	if own != 1 || len(out.ViewChanges) != len(vcs) {
		t.Fatalf("V holds %d view changes, %d of the primary: want %d, one", len(out.ViewChanges), own, len(vcs))
	}
	honest := 0
	for vcs[honest].Validator == second.val {
		honest++
	}
	vcs[honest].Prepared = []consensus.PreparedCert{primaryCert(t, w, 1, view-1, "fresh")}
	higher, err := second.signer.signUnprotected(&consensus.NewView{View: view, Validator: second.val, ViewChanges: vcs, PrePrepares: o})
	if err != nil {
		t.Fatal(err)
	}
	if w.lock.hiddenCertNewView(second, higher.(*consensus.NewView)) != nil {
		t.Fatal("forged a NEW-VIEW whose V holds a certificate of the hidden one's view")
	}
}
