package sim

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// A forger's view change to an odd view claims a stable checkpoint at twice
// the highest height with an honest quorum of checkpoints, with that
// height's digest, proved by those honest checkpoints (of another height),
// drops its P set and passes signature verification; one to an even view
// claims the lowest honest checkpoint height above its own with a made-up
// digest, proved by the forger's own CHECKPOINT repeated (the only forger
// here); one with nothing above its own stable checkpoint to forge from
// is sent as it is.
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
	even, ok := w.forgery.forge(forger, vc(2)).(*consensus.ViewChange)
	if !ok || even.Stable.Height != 5 || string(even.Stable.AppHash) != "repeated" || len(even.Prepared) != 0 ||
		len(even.Stable.Proof) > w.genesis.Size() || !w.genesis.IsQuorum(int64(len(even.Stable.Proof))*w.genesis.Power(forger.val)) {
		t.Fatalf("view change to an even view %+v: want stable (5, repeated) proved by at most %d repeats with a quorum of power, and no P set", even, w.genesis.Size())
	}
	for i := range even.Stable.Proof {
		if cp := &even.Stable.Proof[i]; cp.Validator != forger.val || cp.Height != 5 || string(cp.AppHash) != "repeated" {
			t.Fatalf("proof checkpoint %d is %+v: want the forger's own for (5, repeated)", i, cp)
		}
	}
	if err := w.keys.verify(even); err != nil {
		t.Fatalf("view change with a repeated proof fails verification: %v", err)
	}
	high := vc(3)
	high.Stable.Height = 5
	if w.forgery.forge(forger, high) != consensus.Message(high) {
		t.Fatal("forged from checkpoints not above the view change's own stable checkpoint")
	}
}

// A forged certificate replaces the one for the highest sequence of the
// P set: a fresh value pre-prepared by the forger as the primary of the
// latest earlier view it leads, its own PREPARE first and then the other
// attackers' PREPAREs repeated, all signed; the other certificates stay.
// (The real certificates here are unsigned: only the forged parts are
// verified.)
func TestForgedCertificateCountsThePrimaryAndRepeats(t *testing.T) {
	w, err := newWorld(Options{Protocol: toyProtocol, Scenario: StalePOLScenario, Seed: 3, Validators: 7, Powers: "equal"})
	if err != nil {
		t.Fatal(err)
	}
	byz := w.nodes[w.res.Byzantine[0]]
	real := func(n int64) consensus.PreparedCert {
		return consensus.PreparedCert{PrePrepare: consensus.Proposal{Height: n, Round: 0, POLRound: -1, Value: "real", Proposer: 0}}
	}
	view := byz.val + 7 + 1 // the forger led view byz.val+7
	signed, err := byz.signer.signUnprotected(&consensus.ViewChange{View: view, Validator: byz.val, Prepared: []consensus.PreparedCert{real(1), real(2)}})
	if err != nil {
		t.Fatal(err)
	}
	out := forgePrepared(byz, signed.(*consensus.ViewChange)).(*consensus.ViewChange)
	if out.Prepared[0].PrePrepare.Value != "real" {
		t.Fatalf("certificate for sequence 1 changed: %+v", out.Prepared[0])
	}
	pc := out.Prepared[1]
	pp := pc.PrePrepare
	if pp.Height != 2 || pp.Round != view-1 || pp.Proposer != byz.val || pp.Value == "real" || !w.valid(2, pp.Value) {
		t.Fatalf("forged pre-prepare %+v: want a fresh valid value at (%d, 2) from %d", pp, view-1, byz.val)
	}
	if len(pc.Prepares) != 7 || pc.Prepares[0].Validator != byz.val || pc.Prepares[1].Validator == byz.val || pc.Prepares[1].Validator != pc.Prepares[2].Validator {
		t.Fatalf("forged prepares %+v: want the primary's own, then another attacker's repeated", pc.Prepares)
	}
	if err := w.keys.verify(&pc.PrePrepare); err != nil {
		t.Fatalf("forged pre-prepare fails verification: %v", err)
	}
	for i := range pc.Prepares {
		if err := w.keys.verify(&pc.Prepares[i]); err != nil {
			t.Fatalf("forged prepare %d fails verification: %v", i, err)
		}
	}
}

// In an odd view, a forger holding a certificate of its own pre-prepare
// re-certifies it: a fresh value at the same sequence and view, signed by
// the forger, with the certificate's PREPAREs (for the old value) kept.
// (The real certificates here are unsigned: only the forged pre-prepare is
// verified.)
func TestRecertifiedKeepsThePreparesOfAnotherValue(t *testing.T) {
	w, err := newWorld(Options{Protocol: toyProtocol, Scenario: StalePOLScenario, Seed: 3, Validators: 7, Powers: "equal"})
	if err != nil {
		t.Fatal(err)
	}
	byz := w.nodes[w.res.Byzantine[0]]
	prepares := []consensus.Vote{{Type: consensus.Prevote, Height: 2, Round: 1, Value: "real", Validator: 5}}
	own := consensus.PreparedCert{PrePrepare: consensus.Proposal{Height: 2, Round: 1, POLRound: -1, Value: "real", Proposer: byz.val}, Prepares: prepares}
	other := consensus.PreparedCert{PrePrepare: consensus.Proposal{Height: 1, Round: 1, POLRound: -1, Value: "real", Proposer: byz.val + 1}}
	view := int32(2*7 + 1)
	signed, err := byz.signer.signUnprotected(&consensus.ViewChange{View: view, Validator: byz.val, Prepared: []consensus.PreparedCert{other, own}})
	if err != nil {
		t.Fatal(err)
	}
	out := forgePrepared(byz, signed.(*consensus.ViewChange)).(*consensus.ViewChange)
	if out.Prepared[0].PrePrepare.Value != "real" {
		t.Fatalf("another primary's certificate changed: %+v", out.Prepared[0])
	}
	pc := out.Prepared[1]
	if pp := pc.PrePrepare; pp.Height != 2 || pp.Round != 1 || pp.Proposer != byz.val || pp.Value == "real" {
		t.Fatalf("re-certified pre-prepare %+v: want a fresh value at (1, 2) from %d", pp, byz.val)
	}
	if len(pc.Prepares) != 1 || pc.Prepares[0].Value != "real" {
		t.Fatalf("re-certified prepares %+v: want the old ones, for the replaced value", pc.Prepares)
	}
	if err := w.keys.verify(&pc.PrePrepare); err != nil {
		t.Fatalf("re-certified pre-prepare fails verification: %v", err)
	}
}

// Besides its real CHECKPOINT every forger sends one of a made-up digest
// at eight times its height, except in every fifth seed: there the first forger
// sends one of the real digest, the others none, but from their second
// checkpoint on a lower twin: their previous checkpoint height with the
// latest digest. All are signed; nothing is forged from other messages or
// other validators' checkpoints.
func TestForgedAheadCheckpointIsOneValidatorsFarAbove(t *testing.T) {
	odd, err := newWorld(Options{Protocol: toyProtocol, Scenario: ForgedSyncScenario, Seed: 7, Validators: 10, Powers: "equal"})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range odd.res.Byzantine {
		n := odd.nodes[v]
		for _, h := range []int64{5, 10} {
			real := &consensus.Checkpoint{Height: h, AppHash: []byte("real"), Validator: n.val}
			out, ok := odd.forgery.aheadCheckpoint(n, real).(*consensus.Checkpoint)
			if !ok || out.Height != 8*h || string(out.AppHash) == "real" || odd.forgery.lowerTwin(n, real) != nil {
				t.Fatalf("seed 7, forger %d: ahead checkpoint %+v for height %d: want height %d with a made-up digest and no lower twin", i, out, h, 8*h)
			}
		}
	}
	w, err := newWorld(Options{Protocol: toyProtocol, Scenario: ForgedSyncScenario, Seed: 10, Validators: 10, Powers: "equal"})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.res.Byzantine) < 2 {
		t.Fatalf("forgers %v: want at least two", w.res.Byzantine)
	}
	forger := w.nodes[w.res.Byzantine[0]]
	real := &consensus.Checkpoint{Height: 5, AppHash: []byte("h5"), Validator: forger.val}
	if w.forgery.lowerTwin(forger, real) != nil {
		t.Fatal("the first forger sent a lower twin")
	}
	out, ok := w.forgery.aheadCheckpoint(forger, real).(*consensus.Checkpoint)
	if !ok || out.Height != 40 || string(out.AppHash) != "h5" || out.Validator != forger.val {
		t.Fatalf("ahead checkpoint %+v: want the forger's at height 40 with the real digest", out)
	}
	second := w.nodes[w.res.Byzantine[1]]
	first := &consensus.Checkpoint{Height: 5, AppHash: []byte("h5"), Validator: second.val}
	if w.forgery.aheadCheckpoint(second, first) != nil || w.forgery.lowerTwin(second, first) != nil {
		t.Fatal("the second forger sent a far checkpoint, or a lower twin of its first checkpoint")
	}
	next := &consensus.Checkpoint{Height: 10, AppHash: []byte("h10"), Validator: second.val}
	low, ok := w.forgery.lowerTwin(second, next).(*consensus.Checkpoint)
	if !ok || low.Height != 5 || string(low.AppHash) != "h10" || low.Validator != second.val {
		t.Fatalf("lower twin %+v: want the second forger's at height 5 with the digest of height 10", low)
	}
	if err := w.keys.verify(low); err != nil {
		t.Fatalf("lower twin fails verification: %v", err)
	}
	if err := w.keys.verify(out); err != nil {
		t.Fatalf("ahead checkpoint fails verification: %v", err)
	}
	other := &consensus.Checkpoint{Height: 5, AppHash: []byte("h5"), Validator: forger.val + 1}
	if w.forgery.aheadCheckpoint(forger, other) != nil || w.forgery.aheadCheckpoint(forger, &consensus.Vote{Validator: forger.val}) != nil {
		t.Fatal("forged a checkpoint from another validator's checkpoint or from a vote")
	}
}
