package pbft

import (
	"errors"
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// newViewFor drives the primary of view 2 (index 2 of four) with the view
// changes of validators 0 and 1 and its own, and returns its NEW-VIEW.
func newViewFor(t *testing.T, vc0, vc1 *consensus.ViewChange, bugs ...string) *consensus.NewView {
	t.Helper()
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 2)
	for _, b := range bugs {
		EnableBug(c, b)
	}
	recv(t, c, vc0)
	sent := sentViewChanges(recv(t, c, vc1))
	if len(sent) != 1 || sent[0].View != 2 {
		t.Fatalf("primary of view 2 did not join: %v", sent)
	}
	for _, b := range ofType[consensus.Broadcast](recv(t, c, sign(sent[0]))) {
		if nv, ok := b.Msg.(*consensus.NewView); ok {
			if nv.View != 2 || nv.Validator != 2 || len(nv.ViewChanges) != 3 {
				t.Fatalf("new view %+v", nv)
			}
			return sign(nv).(*consensus.NewView)
		}
	}
	t.Fatal("no NEW-VIEW with view changes of 3 of 4")
	return nil
}

type oEntry struct {
	n     int64
	value consensus.ID
}

func checkO(t *testing.T, nv *consensus.NewView, want ...oEntry) {
	t.Helper()
	if len(nv.PrePrepares) != len(want) {
		t.Fatalf("O = %+v, want %v", nv.PrePrepares, want)
	}
	for i, w := range want {
		p := nv.PrePrepares[i]
		if p.Height != w.n || p.Value != w.value || p.Round != nv.View || p.POLRound != -1 || p.Proposer != 2 {
			t.Fatalf("O[%d] = %+v, want (%d, %q) in view %d from 2", i, p, w.n, w.value, nv.View)
		}
	}
}

func stableProof(h int64, hash string) consensus.StableCheckpoint {
	sc := consensus.StableCheckpoint{Height: h, AppHash: []byte(hash)}
	for i := int32(0); i < 3; i++ {
		sc.Proof = append(sc.Proof, *checkpointMsg(h, hash, i))
	}
	return sc
}

func TestNewView_ReproposesHighestViewCertificate(t *testing.T) {
	nv := newViewFor(t,
		viewChangeMsg(2, 0, cert(1, 0, "x"), cert(2, 0, "z")),
		viewChangeMsg(2, 1, cert(1, 1, "y")))
	checkO(t, nv, oEntry{1, "y"}, oEntry{2, "z"})

	// A backup that executed nothing yet prepares the re-proposal of 1
	// once the application accepts it, and 2 after executing 1.
	vals := testVals(t, 1, 1, 1, 1)
	b := newCore(t, testConfig(), vals, 3)
	acts := recv(t, b, nv)
	if !b.active || b.view != 2 {
		t.Fatalf("backup did not enter view 2")
	}
	rv := ofType[consensus.RequestVerdict](acts)
	if len(rv) != 2 || rv[0] != (consensus.RequestVerdict{Height: 1, Value: "y"}) {
		t.Fatalf("verdicts requested %v", rv)
	}
	p := broadcastVotes(mustStep(t, b, consensus.Verdict{Height: 1, Value: "y", Valid: true}), consensus.Prevote)
	if len(p) != 1 || p[0].Round != 2 || p[0].Value != "y" {
		t.Fatalf("prepares %v, want (2, 1, y)", p)
	}
}

func TestNewView_ReproposedValueAlreadyDecidedIsPreparedAtOnce(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	b := newCore(t, testConfig(), vals, 3)
	decideThrough(t, b, vals, 1) // decided blockID(1, 0)
	nv := newViewFor(t, viewChangeMsg(2, 0, cert(1, 0, blockID(1, 0))), viewChangeMsg(2, 1))
	acts := recv(t, b, nv)
	if p := broadcastVotes(acts, consensus.Prevote); len(p) != 1 || p[0].Height != 1 || p[0].Value != blockID(1, 0) {
		t.Fatalf("prepares %v, want the decided value at once", p)
	}
	if len(ofType[consensus.RequestVerdict](acts)) != 0 {
		t.Fatal("asked the application about a block it already executed")
	}
}

func TestNewView_NullForGaps(t *testing.T) {
	cases := []struct {
		name     string
		vc0, vc1 *consensus.ViewChange
		want     []oEntry
	}{
		{"no certificate at all", viewChangeMsg(2, 0), viewChangeMsg(2, 1), nil},
		{"gap below the highest certificate",
			viewChangeMsg(2, 0, cert(3, 0, "c")), viewChangeMsg(2, 1),
			[]oEntry{{1, consensus.Nil}, {2, consensus.Nil}, {3, "c"}}},
		{"min-s from the highest stable checkpoint",
			&consensus.ViewChange{View: 2, Validator: 0, Stable: stableProof(10, "h10"), Prepared: []consensus.PreparedCert{cert(12, 0, "l")}},
			viewChangeMsg(2, 1, cert(3, 1, "old")),
			[]oEntry{{11, consensus.Nil}, {12, "l"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkO(t, newViewFor(t, tc.vc0, tc.vc1), tc.want...)
		})
	}
}

func TestNewView_BackupRejectsWrongO(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	good := newViewFor(t,
		viewChangeMsg(2, 0, cert(1, 0, "x"), cert(2, 0, "z")),
		viewChangeMsg(2, 1, cert(1, 1, "y")))
	mutate := func(f func(nv *consensus.NewView)) *consensus.NewView {
		nv := *good
		nv.PrePrepares = append([]consensus.Proposal(nil), good.PrePrepares...)
		nv.ViewChanges = append([]consensus.ViewChange(nil), good.ViewChanges...)
		f(&nv)
		return &nv
	}
	cases := map[string]*consensus.NewView{
		"lower-view value re-proposed": mutate(func(nv *consensus.NewView) { nv.PrePrepares[0].Value = "x" }),
		"certificate dropped":          mutate(func(nv *consensus.NewView) { nv.PrePrepares = nv.PrePrepares[:1] }),
		"null instead of a value":      mutate(func(nv *consensus.NewView) { nv.PrePrepares[1].Value = consensus.Nil }),
		"extra pre-prepare": mutate(func(nv *consensus.NewView) {
			nv.PrePrepares = append(nv.PrePrepares, *prePrepare(3, 2, "w", 2))
		}),
		"pre-prepare of another view":  mutate(func(nv *consensus.NewView) { nv.PrePrepares[0].Round = 1 }),
		"view changes below 2/3":       mutate(func(nv *consensus.NewView) { nv.ViewChanges = nv.ViewChanges[:2] }),
		"a view change counted twice":  mutate(func(nv *consensus.NewView) { nv.ViewChanges[1] = nv.ViewChanges[0] }),
		"view change for another view": mutate(func(nv *consensus.NewView) { nv.ViewChanges[0].View = 3 }),
		"not from the primary":         mutate(func(nv *consensus.NewView) { nv.Validator = 1 }),
		"invalid certificate inside V": mutate(func(nv *consensus.NewView) {
			nv.ViewChanges[0].Prepared = []consensus.PreparedCert{{PrePrepare: *prePrepare(1, 0, "x", 0)}}
		}),
		"P sets ignored (unsafe O set)": newViewFor(t, viewChangeMsg(2, 0, cert(1, 0, "x"), cert(2, 0, "z")), viewChangeMsg(2, 1, cert(1, 1, "y")), "ignore-p-set"),
	}
	for name, nv := range cases {
		t.Run(name, func(t *testing.T) {
			b := newCore(t, testConfig(), vals, 3)
			wantInvalid(t, b, consensus.Receive{Msg: nv})
			if b.view != 0 || !b.active {
				t.Fatal("backup moved view on a rejected NEW-VIEW")
			}
		})
	}
	b := newCore(t, testConfig(), vals, 3)
	recv(t, b, good)
	if b.view != 2 || !b.active || b.lookup(1, 2).prePrepare.Value != "y" {
		t.Fatal("backup rejected the correct NEW-VIEW")
	}
	// A second, different NEW-VIEW of the same view is evidence, once.
	other := mutate(func(nv *consensus.NewView) { nv.PrePrepares[0].Value = "x" })
	if ev := ofType[consensus.Evidence](recv(t, b, other)); len(ev) != 1 {
		t.Fatal("no evidence for a second NEW-VIEW")
	}
	if acts := recv(t, b, other); len(acts) != 0 {
		t.Fatalf("evidence reported twice: %v", acts)
	}
}

// TestBug_IgnorePSetBreaksAgreement is the positive control of the
// ignore-p-set hook: one replica decides height 1 while the others only
// prepared it; a view change that forgets P sets lets the new primary
// propose another block at height 1, and the others decide it.
func TestBug_IgnorePSetBreaksAgreement(t *testing.T) {
	for _, bug := range []bool{false, true} {
		cl := newCluster(t, testConfig(), 1, 1, 1, 1)
		if bug {
			for _, n := range cl.nodes {
				EnableBug(n.core, "ignore-p-set")
			}
		}
		cl.txs = true
		cl.drop = func(from, to int, m consensus.Message) bool {
			v, ok := m.(*consensus.Vote)
			return ok && v.Type == consensus.Precommit && v.Height == 1 && v.Round == 0 && to != 2
		}
		cl.start()
		halted := func() bool {
			for _, n := range cl.nodes {
				if n.err != nil {
					return true
				}
			}
			return false
		}
		cl.run(200_000, func() bool { return len(cl.conflicts) > 0 || halted() || cl.allExecuted(5, cl.all()...)() })
		broke := len(cl.conflicts) > 0 || halted()
		if broke != bug {
			t.Fatalf("bug=%v: conflicts %v, halted %v", bug, cl.conflicts, halted())
		}
		if bug {
			for _, n := range cl.nodes {
				if n.err != nil && !errors.Is(n.err, ErrBrokenInvariant) {
					t.Fatalf("halted with %v", n.err)
				}
			}
		}
	}
}
