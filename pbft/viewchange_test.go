package pbft

import (
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

func viewChangeMsg(view int32, from int32, certs ...consensus.PreparedCert) *consensus.ViewChange {
	return &consensus.ViewChange{View: view, Validator: from, Stable: consensus.StableCheckpoint{Height: 0}, Prepared: certs, Signature: []byte("signed")}
}

// cert builds a prepared certificate for (v, n, value) in a 4-validator
// set: the primary v mod 4 and the prepares of the next two validators.
func cert(n int64, v int32, value consensus.ID) consensus.PreparedCert {
	primary := v % 4
	pc := consensus.PreparedCert{PrePrepare: *prePrepare(n, v, value, primary)}
	for k := int32(1); k <= 2; k++ {
		pc.Prepares = append(pc.Prepares, *prepareVote(n, v, value, (primary+k)%4))
	}
	return pc
}

func sentViewChanges(acts []consensus.Action) []*consensus.ViewChange {
	var out []*consensus.ViewChange
	for _, b := range ofType[consensus.Broadcast](acts) {
		if vc, ok := b.Msg.(*consensus.ViewChange); ok {
			out = append(out, vc)
		}
	}
	return out
}

func viewChangeTimer(t *testing.T, acts []consensus.Action) consensus.SetTimeout {
	t.Helper()
	for _, st := range ofType[consensus.SetTimeout](acts) {
		if st.Timeout.Kind == consensus.TimeoutViewChange {
			return st
		}
	}
	t.Fatalf("no view-change timer in %v", acts)
	return consensus.SetTimeout{}
}

func TestViewChange_JoinOnOneThirdHigherViews(t *testing.T) {
	cases := []struct {
		name   string
		powers []int64
		self   int
		vcs    []*consensus.ViewChange
		join   int32 // 0: must not join
	}{
		{"a quarter of the power is not enough", []int64{1, 1, 1, 1}, 2,
			[]*consensus.ViewChange{viewChangeMsg(2, 1)}, 0},
		{"half the power: join the smallest view", []int64{1, 1, 1, 1}, 2,
			[]*consensus.ViewChange{viewChangeMsg(3, 1), viewChangeMsg(2, 3)}, 2},
		{"one heavy validator above 1/3", []int64{4, 3, 2, 1}, 3,
			[]*consensus.ViewChange{viewChangeMsg(5, 0)}, 5},
		{"exactly 1/3 is not more than 1/3", []int64{3, 3, 2, 1}, 3,
			[]*consensus.ViewChange{viewChangeMsg(5, 0)}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vals := testVals(t, tc.powers...)
			c := newCore(t, testConfig(), vals, tc.self)
			var acts []consensus.Action
			for _, vc := range tc.vcs {
				acts = append(acts, recv(t, c, vc)...)
			}
			sent := sentViewChanges(acts)
			if tc.join == 0 {
				if len(sent) != 0 || !c.active {
					t.Fatalf("joined: %v", sent)
				}
				return
			}
			if len(sent) != 1 || sent[0].View != tc.join || c.view != tc.join || c.active {
				t.Fatalf("sent %v (view %d, active %v), want a view change to %d", sent, c.view, c.active, tc.join)
			}
		})
	}
}

func TestViewChange_TimeoutDoubles(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	cfg.CreateEmptyBlocks, cfg.EmptyBlockInterval = false, 0
	base := cfg.ViewChangeTimeout
	c := newCore(t, cfg, vals, 1)
	if acts := mustStep(t, c, consensus.Start{}); len(ofType[consensus.SetTimeout](acts)) != 1 {
		t.Fatalf("a backup with nothing to expect armed a view-change timer: %v", acts)
	}
	timer := viewChangeTimer(t, mustStep(t, c, consensus.TxsAvailable{}))
	if timer.After != base {
		t.Fatalf("first timer %v, want %v", timer.After, base)
	}
	wants := []time.Duration{base, 2 * base, 4 * base, 8 * base}
	for i, want := range wants {
		view := int32(i + 1)
		acts := mustStep(t, c, consensus.TimeoutFired{Timeout: timer.Timeout})
		sent := sentViewChanges(acts)
		if len(sent) != 1 || sent[0].View != view {
			t.Fatalf("timeout in view %d: sent %v", view-1, sent)
		}
		// Rule 1: the timer for NEW-VIEW starts with view changes of more
		// than 2/3 of the power.
		acts = recv(t, c, sign(sent[0]))
		acts = append(acts, recv(t, c, viewChangeMsg(view, 2))...)
		if len(ofType[consensus.SetTimeout](acts)) != 0 {
			t.Fatalf("view %d: timer started on half the power", view)
		}
		if view%4 == 3 {
			acts = recv(t, c, viewChangeMsg(view, 0))
		} else {
			acts = recv(t, c, viewChangeMsg(view, 3))
		}
		timer = viewChangeTimer(t, acts)
		if timer.After != want || timer.Timeout.Round != view {
			t.Fatalf("view %d: timer %+v, want %v", view, timer, want)
		}
	}
	// A stale timer is ignored.
	if acts := mustStep(t, c, consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutViewChange, Round: 2}}); len(acts) != 0 {
		t.Fatalf("stale timer acted: %v", acts)
	}
	// Executing a block in the new view resets the timeout to the base.
	nv := &consensus.NewView{View: 4, Validator: 0, Signature: []byte("signed")}
	for _, i := range []int32{0, 2, 3} {
		nv.ViewChanges = append(nv.ViewChanges, *viewChangeMsg(4, i))
	}
	acts := recv(t, c, nv)
	if c.view != 4 || !c.active {
		t.Fatalf("not in view 4 after its NEW-VIEW: view %d active %v", c.view, c.active)
	}
	if timer := viewChangeTimer(t, acts); timer.After != 8*base {
		t.Fatalf("timer in the new view before progress %v, want %v", timer.After, 8*base)
	}
	for _, i := range []int32{0, 2, 3} {
		recv(t, c, commitVote(1, 4, "b1", i))
	}
	// The changed app hash makes a block due, so the timer starts at once.
	if timer := viewChangeTimer(t, mustStep(t, c, consensus.Executed{Height: 1, AppHash: []byte("h1"), Next: vals})); timer.After != base {
		t.Fatalf("timer after progress %v, want the base %v", timer.After, base)
	}
}

func TestViewChange_CarriesHighestViewCertificates(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 2)
	// Prepare (0, 1, a): pre-prepare, own prepare, prepare of 1.
	timer := viewChangeTimer(t, recv(t, c, prePrepare(1, 0, "a", 0)))
	own := broadcastVotes(mustStep(t, c, consensus.Verdict{Height: 1, Value: "a", Valid: true}), consensus.Prevote)
	recv(t, c, sign(own[0]))
	acts := recv(t, c, prepareVote(1, 0, "a", 1))
	if len(broadcastVotes(acts, consensus.Precommit)) != 1 {
		t.Fatal("not prepared")
	}
	acts = mustStep(t, c, consensus.TimeoutFired{Timeout: timer.Timeout})
	sent := sentViewChanges(acts)
	if len(sent) != 1 || len(sent[0].Prepared) != 1 {
		t.Fatalf("view change %v, want one certificate", sent)
	}
	pc := sent[0].Prepared[0]
	if pc.PrePrepare.Value != "a" || pc.PrePrepare.Round != 0 || len(pc.Prepares) != 2 {
		t.Fatalf("certificate %+v", pc)
	}
	if err := c.checkViewChange(sent[0]); err != nil {
		t.Fatalf("own view change does not validate: %v", err)
	}
	// Normal-case messages of the old view are no longer accepted.
	if acts := recv(t, c, prePrepare(2, 0, "b", 0)); len(acts) != 0 {
		t.Fatalf("accepted a pre-prepare of the view it left: %v", acts)
	}
}

func TestViewChange_InvalidOnesRejected(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	weak := cert(1, 0, "a")
	weak.Prepares = weak.Prepares[:1]
	wrongPrimary := cert(1, 0, "a")
	wrongPrimary.PrePrepare.Proposer = 1
	mixed := cert(1, 0, "a")
	mixed.Prepares[1].Value = "b"
	dup := cert(1, 0, "a")
	dup.Prepares[1] = dup.Prepares[0]
	badProof := viewChangeMsg(1, 0)
	badProof.Stable = consensus.StableCheckpoint{Height: 10, AppHash: []byte("h"), Proof: []consensus.Checkpoint{*checkpointMsg(10, "h", 0), *checkpointMsg(10, "h", 1)}}
	cases := map[string]*consensus.ViewChange{
		"prepares below 2/3":           viewChangeMsg(1, 0, weak),
		"pre-prepare not from primary": viewChangeMsg(1, 0, wrongPrimary),
		"prepares for another value":   viewChangeMsg(1, 0, mixed),
		"a prepare counted twice":      viewChangeMsg(1, 0, dup),
		"certificate of the new view":  viewChangeMsg(1, 0, cert(1, 1, "a")),
		"above the window":             viewChangeMsg(1, 0, cert(21, 0, "a")),
		"two certificates for one n":   viewChangeMsg(2, 0, cert(1, 0, "a"), cert(1, 1, "b")),
		"stable proof below 2/3":       badProof,
		"view 0":                       viewChangeMsg(0, 0),
		"unknown validator":            viewChangeMsg(1, 9),
	}
	for name, vc := range cases {
		t.Run(name, func(t *testing.T) {
			wantInvalid(t, newCore(t, testConfig(), vals, 2), consensus.Receive{Msg: vc})
		})
	}
}

func TestViewChange_LaggardGetsNewView(t *testing.T) {
	cl := newCluster(t, testConfig(), 1, 1, 1, 1)
	cl.txs = true
	cl.start()
	cl.run(100_000, cl.allExecuted(5, cl.all()...))
	// The primary goes silent and node 3 loses the NEW-VIEW: it keeps
	// retransmitting its VIEW-CHANGE, which makes the new primary send the
	// NEW-VIEW again.
	lost := 0
	cl.drop = func(from, to int, m consensus.Message) bool {
		if _, ok := m.(*consensus.NewView); ok && to == 3 && lost == 0 {
			lost++
			return true
		}
		return from == 0 || to == 0
	}
	cl.run(100_000, func() bool { return lost == 1 })
	if cl.nodes[3].core.active {
		t.Fatal("node 3 entered the view without the NEW-VIEW")
	}
	h := cl.nodes[1].core.lastExecuted
	cl.run(200_000, cl.allExecuted(h+5, 1, 2, 3))
	if c := cl.nodes[3].core; !c.active || c.view != cl.nodes[1].core.view {
		t.Fatalf("node 3 in view %d (active %v)", c.view, c.active)
	}
	if len(cl.conflicts) != 0 {
		t.Fatal(cl.conflicts)
	}
}

func TestViewChange_OldViewMessageGetsNewView(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 2)
	nv := &consensus.NewView{View: 1, Validator: 1, Signature: []byte("signed")}
	for _, i := range []int32{0, 1, 3} {
		nv.ViewChanges = append(nv.ViewChanges, *viewChangeMsg(1, i))
	}
	recv(t, c, nv)
	acts := recv(t, c, commitVote(1, 0, "x", 3))
	s := ofType[consensus.Send](acts)
	if len(s) != 1 || s[0].To != 3 || s[0].Msg != consensus.Message(nv) {
		t.Fatalf("message of view 0 from 3: %v, want the NEW-VIEW sent to 3", acts)
	}
}

func TestViewChange_NewViewRepliesAreRateLimited(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 2)
	nv := &consensus.NewView{View: 1, Validator: 1, Signature: []byte("signed")}
	for _, i := range []int32{0, 1, 3} {
		nv.ViewChanges = append(nv.ViewChanges, *viewChangeMsg(1, i))
	}
	recv(t, c, nv)
	sends := 0
	for n := int64(1); n <= 5; n++ {
		sends += len(ofType[consensus.Send](recv(t, c, commitVote(n, 0, "x", 3))))
	}
	if sends != 1 {
		t.Fatalf("sent the NEW-VIEW %d times within one tick, want 1", sends)
	}
	start := ofType[consensus.SetTimeout](mustStep(t, c, consensus.Start{}))
	mustStep(t, c, consensus.TimeoutFired{Timeout: start[0].Timeout})
	if s := ofType[consensus.Send](recv(t, c, commitVote(6, 0, "x", 3))); len(s) != 1 {
		t.Fatalf("no NEW-VIEW after the next tick: %v", s)
	}
}
