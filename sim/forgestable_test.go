package sim

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// A forger's view change to an odd view claims a stable checkpoint at twice
// the highest height with an honest quorum of checkpoints, with that
// height's digest, proved by those honest checkpoints (of another height),
// drops its P set and passes signature verification; a view change to an
// even view, or one with nothing above its own stable checkpoint to forge
// from, is sent as it is.
func TestForgedStableCheckpointIsSignedButForAnotherHeight(t *testing.T) {
	w, err := newWorld(Options{Protocol: toyProtocol, Scenario: ForgedSyncScenario, Seed: 5, Validators: 4, Powers: "equal"})
	if err != nil {
		t.Fatal(err)
	}
	if w.forgery == nil {
		t.Fatal("the forgedsync family has no view-change forgery")
	}
	forger := w.nodes[w.res.Byzantine[0]]
	for slot, n := range w.nodes {
		if !n.honest {
			continue
		}
		cp, err := n.signer.signUnprotected(&consensus.Checkpoint{Height: 5, AppHash: []byte("h5"), Validator: n.val})
		if err != nil {
			t.Fatal(err)
		}
		w.forgery.note(w, slot, cp)
	}
	vc := func(view int32) *consensus.ViewChange {
		signed, err := forger.signer.signUnprotected(&consensus.ViewChange{View: view, Validator: forger.val,
			Prepared: []consensus.PreparedCert{{PrePrepare: consensus.Proposal{Height: 1, Round: 0, POLRound: -1, Value: "v"}}}})
		if err != nil {
			t.Fatal(err)
		}
		return signed.(*consensus.ViewChange)
	}
	out := w.forgery.forge(forger, vc(1)).(*consensus.ViewChange)
	if out.Stable.Height != 10 || string(out.Stable.AppHash) != "h5" || len(out.Prepared) != 0 || !w.genesis.IsQuorum(int64(len(out.Stable.Proof))*w.genesis.Power(forger.val)) {
		t.Fatalf("forged view change %+v: want stable (10, h5) with a quorum of proof and no P set", out)
	}
	for i := range out.Stable.Proof {
		if cp := &out.Stable.Proof[i]; cp.Height != 5 {
			t.Fatalf("proof checkpoint %d at height %d: want the honest ones of height 5", i, cp.Height)
		}
	}
	if err := w.keys.verify(out); err != nil {
		t.Fatalf("forged view change fails verification: %v", err)
	}
	if even := vc(2); w.forgery.forge(forger, even) != consensus.Message(even) {
		t.Fatal("a view change to an even view was forged")
	}
	high := vc(3)
	high.Stable.Height = 5
	if w.forgery.forge(forger, high) != consensus.Message(high) {
		t.Fatal("forged from checkpoints not above the view change's own stable checkpoint")
	}
}
