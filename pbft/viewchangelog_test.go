package pbft

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// joinViewOne has replica 2 of four equal validators join view 1 on the
// VIEW-CHANGEs of validators 0 and 1 (more than 1/3 of the power
// [§4.5.2]) and returns the actions of that join.
func joinViewOne(t *testing.T, c *Core) []consensus.Action {
	t.Helper()
	recv(t, c, viewChangeMsg(1, 0))
	acts := recv(t, c, viewChangeMsg(1, 1))
	if c.view != 1 || c.active {
		t.Fatalf("replica in view %d (active %v), want changing to view 1", c.view, c.active)
	}
	return acts
}

// A replica that joins a view change gives up the timers of the view it
// left: the old view's progress timer no longer fires, and the NEW-VIEW
// timer starts once more than 2/3 of the power left the old view
// [§4.5.2].
func TestViewChange_JoinClearsTheOldViewsTimer(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 2)
	mustStep(t, c, consensus.Start{})
	recv(t, c, prePrepare(1, 0, blockID(1, 0), 0))
	m := c.vcTimer // the progress timer of view 0, awaiting height 1
	if !m.Armed || m.View != 0 {
		t.Fatalf("no progress timer of view 0 while awaiting height 1: %+v", m)
	}
	old := consensus.Timeout{Kind: consensus.TimeoutViewChange, Height: m.Height, Round: m.View}
	sent := sentViewChanges(joinViewOne(t, c))
	if len(sent) != 1 {
		t.Fatalf("joined without a VIEW-CHANGE: %v", sent)
	}
	acts := recv(t, c, sign(sent[0])) // its own: 3 of 4 left view 0
	if st := viewChangeTimer(t, acts); st.Timeout.Round != 1 {
		t.Fatalf("view-change timer %+v, want the NEW-VIEW timer of view 1", st.Timeout)
	}
	if vcs := sentViewChanges(mustStep(t, c, consensus.TimeoutFired{Timeout: old})); len(vcs) != 0 {
		t.Fatalf("the progress timer of view 0 fired after the join and sent %+v", *vcs[0])
	}
}

// COMMITs of an earlier view still commit [§4.2]: a replica that moved on
// to a later view decides a sequence number whose COMMITs of an earlier
// view reach more than 2/3 of the power.
func TestViewChange_CommitsOfAnEarlierViewStillDecide(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 2)
	mustStep(t, c, consensus.Start{})
	joinViewOne(t, c)
	value := blockID(1, 0)
	var acts []consensus.Action
	for _, i := range []int32{0, 1, 3} {
		acts = append(acts, recv(t, c, commitVote(1, 0, value, i))...)
	}
	if d := ofType[consensus.Decide](acts); len(d) != 1 || d[0].Value != value {
		t.Fatalf("COMMITs of view 0 from 3 of 4 in view 1: %v, want height 1 decided", acts)
	}
}

// A replica still in an older view gets the NEW-VIEW when its message is
// about the stable checkpoint's height, whose validator set is still kept
// (forgotten() covers pruned sets only).
func TestViewChange_LaggardAtTheStableHeightGetsNewView(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	vc0 := viewChangeMsg(2, 0)
	vc0.Stable = stableProof(10, "h")
	nv := newViewFor(t, vc0, viewChangeMsg(2, 1))
	c := newCore(t, testConfig(), vals, 3)
	recv(t, c, nv)
	if c.view != 2 || !c.active || c.low() != 10 || !c.sets.holds(10) {
		t.Fatalf("replica in view %d (active %v), stable %d: want active in view 2 at stable 10 with its set", c.view, c.active, c.low())
	}
	sends := ofType[consensus.Send](recv(t, c, prepareVote(10, 0, "x", 1)))
	if len(sends) != 1 || sends[0].To != 1 {
		t.Fatalf("answer to a PREPARE of view 0 at the stable height: %v, want the NEW-VIEW to validator 1", sends)
	}
	if _, ok := sends[0].Msg.(*consensus.NewView); !ok {
		t.Fatalf("answer %T, want the NEW-VIEW", sends[0].Msg)
	}
}
