package pbft

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// The bounds on what a replica accepts hold at exactly their limit: a
// prepared certificate at the top of its VIEW-CHANGE's window (h+L), a P
// set of L certificates, a NEW-VIEW whose O holds L pre-prepares, a
// NEW-VIEW or a commit carried by one validator that holds more than 2/3
// of the power alone [§4.2-§4.4].

func TestLimits_ViewChangeWithCertificatesForTheWholeWindow(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	var certs []consensus.PreparedCert
	for n := int64(1); n <= cfg.WatermarkWindow; n++ {
		certs = append(certs, cert(n, 0, blockID(n, 0)))
	}
	// One VIEW-CHANGE with L certificates, the last at exactly h+L: the
	// primary of view 2 counts it, and its NEW-VIEW re-proposes all L.
	nv := newViewFor(t, viewChangeMsg(2, 0, certs...), viewChangeMsg(2, 1))
	if int64(len(nv.PrePrepares)) != cfg.WatermarkWindow {
		t.Fatalf("O holds %d pre-prepares, want %d", len(nv.PrePrepares), cfg.WatermarkWindow)
	}
	backup := newCore(t, cfg, vals, 3)
	if _, err := backup.Step(consensus.Receive{Msg: nv}); err != nil {
		t.Fatalf("a NEW-VIEW whose O holds exactly L pre-prepares: %v", err)
	}
	if backup.view != 2 || !backup.active {
		t.Fatalf("backup in view %d (active %v), want active in view 2", backup.view, backup.active)
	}
	// Each check on its own: a single certificate at exactly h+L.
	c := newCore(t, cfg, vals, 2)
	if _, err := c.Step(consensus.Receive{Msg: viewChangeMsg(1, 0, cert(cfg.WatermarkWindow, 0, "a"))}); err != nil {
		t.Fatalf("a certificate at exactly h+L: %v", err)
	}
	wantInvalid(t, newCore(t, cfg, vals, 2), consensus.Receive{Msg: viewChangeMsg(1, 0, cert(cfg.WatermarkWindow+1, 0, "a"))})
}

func TestLimits_OneValidatorWithMoreThanTwoThirds(t *testing.T) {
	vals := testVals(t, 10, 1, 1, 1) // validator 0 holds 10 of 13
	c := newCore(t, testConfig(), vals, 1)
	mustStep(t, c, consensus.Start{})
	value := blockID(1, 0)
	acts := mustStep(t, c, consensus.Synced{Height: 1, Value: value, Commit: []consensus.Vote{*commitVote(1, 0, value, 0)}})
	if d := ofType[consensus.Decide](acts); len(d) != 1 || d[0].Value != value {
		t.Fatalf("a fetched block committed by validator 0 alone: %v, want it decided", acts)
	}
	// View 4's primary is validator 0 (4 mod 4): its own VIEW-CHANGE is a
	// quorum, so its NEW-VIEW holds that one view change.
	nv := &consensus.NewView{View: 4, Validator: 0, ViewChanges: []consensus.ViewChange{*viewChangeMsg(4, 0)}, Signature: []byte("signed")}
	backup := newCore(t, testConfig(), vals, 2)
	if _, err := backup.Step(consensus.Receive{Msg: nv}); err != nil {
		t.Fatalf("a NEW-VIEW with the one view change of a validator holding 10 of 13: %v", err)
	}
	if backup.view != 4 || !backup.active {
		t.Fatalf("backup in view %d (active %v), want active in view 4", backup.view, backup.active)
	}
	empty := &consensus.NewView{View: 4, Validator: 0, Signature: []byte("signed")}
	wantInvalid(t, newCore(t, testConfig(), vals, 2), consensus.Receive{Msg: empty})
}

// A view change counted while the set was larger stays in the log; once
// the set shrank, the new primary's NEW-VIEW holds view changes of members
// of the current set only (every replica refuses one from an index outside
// it).
func TestNewView_HoldsViewChangesOfTheCurrentSetOnly(t *testing.T) {
	five := testVals(t, 1, 1, 1, 1, 1)
	four := testVals(t, 1, 1, 1, 1) // the same first four validators
	c := newCore(t, testConfig(), five, 1)
	mustStep(t, c, consensus.Start{})
	recv(t, c, viewChangeMsg(1, 4))
	sent := sentViewChanges(recv(t, c, viewChangeMsg(1, 3)))
	if len(sent) != 1 || sent[0].View != 1 {
		t.Fatalf("view changes of 2 of 5 for view 1: sent %v, want to join", sent)
	}
	recv(t, c, sign(sent[0]))
	value := blockID(1, 0)
	var commit []consensus.Vote
	for i := int32(0); i < 4; i++ {
		commit = append(commit, *commitVote(1, 0, value, i))
	}
	mustStep(t, c, consensus.Synced{Height: 1, Value: value, Commit: commit})
	mustStep(t, c, consensus.Executed{Height: 1, AppHash: appHash(1, value), Next: four})
	var nv *consensus.NewView
	for _, b := range ofType[consensus.Broadcast](recv(t, c, viewChangeMsg(1, 0))) {
		if m, ok := b.Msg.(*consensus.NewView); ok {
			nv = m
		}
	}
	if nv == nil {
		t.Fatal("view changes of 0, 1 and 3 (3 of 4) for view 1: no NEW-VIEW from its primary")
	}
	for _, vc := range nv.ViewChanges {
		if !four.Has(vc.Validator) {
			t.Fatalf("NEW-VIEW holds the view change of validator %d; the set has %d", vc.Validator, four.Size())
		}
	}
	if len(nv.ViewChanges) != 3 {
		t.Fatalf("NEW-VIEW holds %d view changes, want those of 0, 1 and 3", len(nv.ViewChanges))
	}
}
