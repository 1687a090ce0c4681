package pbft

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// floorGuard stands in for the driver's double-sign guard: it remembers the
// latest SaveSnapshot.SignFloor and fails the test when a broadcast asks to
// sign a proposal or vote below it, which the driver would refuse.
type floorGuard struct {
	t     *testing.T
	floor int64
}

func (g *floorGuard) check(acts []consensus.Action) []consensus.Action {
	g.t.Helper()
	for _, a := range acts {
		switch a := a.(type) {
		case consensus.SaveSnapshot:
			if a.SignFloor < g.floor {
				g.t.Fatalf("sign floor went down from %d to %d", g.floor, a.SignFloor)
			}
			g.floor = a.SignFloor
		case consensus.Broadcast:
			for _, h := range signedHeights(a.Msg) {
				if h < g.floor {
					g.t.Fatalf("asked to sign %T at height %d below the sign floor %d", a.Msg, h, g.floor)
				}
			}
		}
	}
	return acts
}

// signedHeights lists the heights of the proposals and votes the driver
// signs for m: a NEW-VIEW's pre-prepares are signed one by one.
func signedHeights(m consensus.Message) []int64 {
	switch m := m.(type) {
	case *consensus.Proposal:
		return []int64{m.Height}
	case *consensus.Vote:
		return []int64{m.Height}
	case *consensus.NewView:
		var hs []int64
		for _, pp := range m.PrePrepares {
			hs = append(hs, pp.Height)
		}
		return hs
	}
	return nil
}

// The new primary's NEW-VIEW re-proposes from min-s, the highest stable
// checkpoint in V, which can lie below the primary's own stable checkpoint
// when that advanced after it sent its VIEW-CHANGE. Its sign floor must not
// exclude those pre-prepares, or the driver refuses to sign the NEW-VIEW
// and the view change never completes.
func TestSignFloor_CoversNewViewReproposalsBelowOwnStableCheckpoint(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1) // the primary of view 1; K = 10
	// It executed up to 9, so it knows the set of the checkpoint height 10.
	decideThrough(t, c, vals, 9)
	g := &floorGuard{t: t}
	timer := viewChangeTimer(t, g.check(mustStep(t, c, consensus.Start{})))
	sent := sentViewChanges(g.check(mustStep(t, c, consensus.TimeoutFired{Timeout: timer.Timeout})))
	if len(sent) != 1 || sent[0].View != 1 || sent[0].Stable.Height != 0 {
		t.Fatalf("view change %v, want one to view 1 from the genesis checkpoint", sent)
	}
	g.check(recv(t, c, sign(sent[0])))
	// While it waits, the others' checkpoints at 10 make 10 stable here.
	for _, i := range []int32{0, 2, 3} {
		g.check(recv(t, c, checkpointMsg(10, "h10", i)))
	}
	if c.low() != 10 {
		t.Fatalf("stable checkpoint %d, want 10", c.low())
	}
	// The others' view changes still carry the genesis checkpoint and a
	// certificate for 3, so O names 1..3.
	g.check(recv(t, c, viewChangeMsg(1, 0, cert(3, 0, "c"))))
	acts := g.check(recv(t, c, viewChangeMsg(1, 2)))
	var nv *consensus.NewView
	for _, b := range ofType[consensus.Broadcast](acts) {
		if m, ok := b.Msg.(*consensus.NewView); ok {
			nv = m
		}
	}
	if nv == nil || len(nv.PrePrepares) != 3 || nv.PrePrepares[2].Value != "c" {
		t.Fatalf("NEW-VIEW %+v, want O = (1: null, 2: null, 3: c)", nv)
	}
	// Once in the view, the floor is the stable checkpoint again.
	g.check(recv(t, c, sign(nv)))
	if !c.active || c.view != 1 {
		t.Fatalf("primary did not enter view 1")
	}
	if f := c.signFloor(); f != c.low()+1 || c.low() != 10 {
		t.Fatalf("sign floor %d with stable checkpoint %d, want 11 above the checkpoint 10 in normal operation", f, c.low())
	}
}

// A primary that asked the application for block n and, before the answer
// came, saw others' checkpoints make a later height stable (it fell behind
// and fetches those blocks now) must not pre-prepare n: it lies at or
// below its stable checkpoint, below its sign floor. Found by the
// simulator's switch family, where a node starts PBFT late at the switch
// height while the others already checkpointed past it.
func TestSignFloor_NoPrePrepareOvertakenByAStableCheckpoint(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 0) // the primary of view 0; K = 10
	g := &floorGuard{t: t}
	acts := g.check(mustStep(t, c, consensus.Start{}))
	if rp := ofType[consensus.RequestProposal](acts); len(rp) != 1 || rp[0].Height != 1 {
		t.Fatalf("primary asked for %v, want a proposal for height 1", rp)
	}
	var fetches []consensus.FetchBlocks
	for _, i := range []int32{1, 2, 3} {
		fetches = append(fetches, ofType[consensus.FetchBlocks](g.check(recv(t, c, checkpointMsg(10, "h10", i))))...)
	}
	// The set of height 10 is unknown before Executed{9}: the replica
	// fetches up to the checkpoint and adopts it once it knows the set.
	if len(fetches) != 1 || fetches[0].To != 10 {
		t.Fatalf("fetches %v, want the blocks up to the checkpoint at 10", fetches)
	}
	acts = g.check(mustStep(t, c, consensus.ProposalReady{Height: 1, Round: 0, Value: "b1"}))
	for _, a := range ofType[consensus.Broadcast](acts) {
		if p, ok := a.Msg.(*consensus.Proposal); ok {
			t.Fatalf("pre-prepared %v below the checkpoint 10 proven by others", p)
		}
	}
}
