package pbft

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// TestLaggard_GetsTheOwnCommitOfAHeightDecidedAWhileAgo: a replica still
// preparing a height this replica decided before its last decision gets
// this replica's COMMIT, sent to its index in the current set (the set can
// change in between); a PREPARE for the last decided height gets none, as
// the COMMITs of that height are still on their way.
func TestLaggard_GetsTheOwnCommitOfAHeightDecidedAWhileAgo(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	mustStep(t, c, consensus.Start{})
	decideThrough(t, c, vals, 1)
	// From height 3 on, validator 3 (address 4) weighs most and comes
	// first: the current indexes of the others shift by one.
	reordered, err := consensus.NewValidatorSet([]consensus.Validator{
		{Address: addr(0), PubKey: addr(0), Power: 1}, {Address: addr(1), PubKey: addr(1), Power: 1},
		{Address: addr(2), PubKey: addr(2), Power: 1}, {Address: addr(3), PubKey: addr(3), Power: 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := int32(0); i < 4; i++ {
		recv(t, c, commitVote(2, 0, blockID(2, 0), i))
	}
	mustStep(t, c, consensus.Executed{Height: 2, AppHash: appHash(2, blockID(2, 0)), Next: reordered})
	if got := c.currentIndex(1, 3); got != 0 {
		t.Fatalf("validator 3 of height 1 has current index %d, want 0", got)
	}

	replies := func(acts []consensus.Action) []consensus.Send {
		var out []consensus.Send
		for _, s := range ofType[consensus.Send](acts) {
			if v, ok := s.Msg.(*consensus.Vote); ok && v.Type == consensus.Precommit {
				out = append(out, s)
			}
		}
		return out
	}
	got := replies(recv(t, c, prepareVote(1, 0, blockID(1, 0), 3)))
	if len(got) != 1 || got[0].To != 0 {
		t.Fatalf("prepare of height 1 from validator 3: commits sent %v, want one to current index 0", got)
	}
	if v := got[0].Msg.(*consensus.Vote); v.Height != 1 || v.Value != blockID(1, 0) || v.Validator != 1 {
		t.Fatalf("reply %+v, want the replica's own COMMIT of height 1", v)
	}
	if got := replies(recv(t, c, prepareVote(2, 0, blockID(2, 0), 3))); len(got) != 0 {
		t.Fatalf("prepare of the last decided height 2: commits sent %v, want none", got)
	}
}

// TestCurrentIndex_MapsByAddress: an index of an earlier height's set maps
// to the same validator's index in the current set, or -1 for a validator
// no longer in it.
func TestCurrentIndex_MapsByAddress(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	// Height 2 on: validator 0 (address 1) leaves and address 5 joins.
	next := testVals(t, 1, 1, 1, 1, 1)
	next.Validators = next.Validators[1:]
	next, err := copySet(next)
	if err != nil {
		t.Fatal(err)
	}
	for i := int32(0); i < 4; i++ {
		recv(t, c, commitVote(1, 0, blockID(1, 0), i))
	}
	mustStep(t, c, consensus.Executed{Height: 1, AppHash: appHash(1, blockID(1, 0)), Next: next})
	for i, want := range []int32{-1, 0, 1, 2} {
		if got := c.currentIndex(1, int32(i)); got != want {
			t.Errorf("index %d of height 1: current index %d, want %d", i, got, want)
		}
		if got := c.currentIndex(2, int32(i)); got != int32(i) {
			t.Errorf("index %d of the current set: %d, want itself", i, got)
		}
	}
}

// TestEvidence_OnlyAPairOfOneSigner: evidence accuses one validator, so a
// pair of two validators' messages, or a missing message, is no evidence.
func TestEvidence_OnlyAPairOfOneSigner(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	a, b := prepareVote(1, 0, "a", 2), prepareVote(1, 0, "b", 3)
	if c.evidence(a, b) || c.evidence(nil, b) || c.evidence(a, nil) {
		t.Fatal("evidence reported for messages of two signers or a missing one")
	}
	if acts := c.out.Take(); len(acts) != 0 {
		t.Fatalf("emitted %v", acts)
	}
	if !c.evidence(a, prepareVote(1, 0, "b", 2)) {
		t.Fatal("two prepares of validator 2 for one slot are evidence")
	}
	if ev := ofType[consensus.Evidence](c.out.Take()); len(ev) != 1 {
		t.Fatalf("evidence actions %v, want one", ev)
	}
}

// TestViewSlots_BoundedPerHeight: a height keeps at most maxViewsPerSlot
// views; a further view is dropped when it is the farthest from the
// current one, and otherwise evicts the farthest, never the current view.
func TestViewSlots_BoundedPerHeight(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	c.view = 2
	for _, v := range []int32{2, 3, 4, 5} {
		if c.viewSlotFor(1, v) == nil {
			t.Fatalf("view %d refused with room left", v)
		}
	}
	if c.viewSlotFor(1, 6) != nil {
		t.Fatal("view 6, farther than every kept view, was kept")
	}
	if c.viewSlotFor(1, 1) == nil {
		t.Fatal("view 1, nearer than view 5, was refused")
	}
	views := c.slots[1].views
	if len(views) != maxViewsPerSlot || views[2] == nil || views[5] != nil {
		t.Fatalf("views kept %v, want 1 to 4 (5, the farthest, evicted)", sortedKeys(views))
	}
}
