package pbft

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// TestValSetHistory_RecordsChangedMembersOnly: a set with the same
// validators, order and powers is no change; a validator replaced by
// another of the same power is one.
func TestValSetHistory_RecordsChangedMembersOnly(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	h := valSetHistory{sets: []setFrom{{From: 1, Vals: vals}}}
	same, err := copySet(testVals(t, 1, 1, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if h.record(5, same) {
		t.Fatal("an identical set recorded as a change")
	}
	replaced := testVals(t, 1, 1, 1, 1, 1)
	replaced.Validators = append(replaced.Validators[:3:3], replaced.Validators[4]) // address 4 replaced by 5
	if replaced, err = copySet(replaced); err != nil {
		t.Fatal(err)
	}
	if !h.record(5, replaced) || h.at(5) != replaced || h.at(4) != vals {
		t.Fatal("a replaced validator of the same power not recorded as a change from height 5")
	}
}

// TestForgottenHeight_VotesIgnoredWhateverTheirIndex: once a stable
// checkpoint passes a validator-set change, the sets before it are
// forgotten, and a late vote for a height below the checkpoint is ignored,
// even with a signer index only the later set has; the set of the
// checkpoint's height itself is kept.
func TestForgottenHeight_VotesIgnoredWhateverTheirIndex(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	five, err := copySet(testVals(t, 1, 1, 1, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	c := newCore(t, testConfig(), vals, 1)
	mustStep(t, c, consensus.Start{})
	for n := int64(1); n <= 9; n++ {
		for i := int32(0); i < 4; i++ {
			recv(t, c, commitVote(n, 0, blockID(n, 0), i))
		}
		next := vals
		if n == 9 {
			next = five // a fifth validator from height 10 on
		}
		mustStep(t, c, consensus.Executed{Height: n, AppHash: appHash(n, blockID(n, 0)), Next: next})
	}
	for i := int32(0); i < 4; i++ {
		recv(t, c, checkpointMsg(10, "h10", i))
	}
	if c.low() != 10 {
		t.Fatalf("low watermark %d, want 10", c.low())
	}
	if _, err := c.Step(consensus.Receive{Msg: prepareVote(5, 0, blockID(5, 0), 4)}); err != nil {
		t.Fatalf("late prepare for forgotten height 5: %v, want it ignored", err)
	}
	// The set of the low watermark itself is kept: a VIEW-CHANGE's stable
	// checkpoint there is still weighed with it.
	weak := consensus.StableCheckpoint{Height: 10, AppHash: []byte("h10"), Proof: []consensus.Checkpoint{*checkpointMsg(10, "h10", 0), *checkpointMsg(10, "h10", 1)}}
	wantInvalid(t, c, consensus.Receive{Msg: &consensus.ViewChange{View: 1, Validator: 0, Stable: weak, Signature: []byte("signed")}})
}

// TestViewChangeTimer_SpentWhenNothingWasExpected: a view-change timer
// that fires once the replica no longer expects a block (a stable
// checkpoint took over the pre-prepare it awaited) changes no view and is
// spent: the next block the replica expects arms a new one.
func TestViewChangeTimer_SpentWhenNothingWasExpected(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, rateConfig(false, 0), vals, 1)
	mustStep(t, c, consensus.Start{})
	for n := int64(1); n <= 9; n++ {
		for i := int32(0); i < 4; i++ {
			recv(t, c, commitVote(n, 0, blockID(n, 0), i))
		}
		mustStep(t, c, consensus.Executed{Height: n, Next: vals}) // same app hash: no proof block due
	}
	armed := timersOf(recv(t, c, prePrepare(10, 0, "a", 0)), consensus.TimeoutViewChange)
	if len(armed) != 1 {
		t.Fatalf("pre-prepare for 10: view-change timers %v, want one", armed)
	}
	for i := int32(0); i < 3; i++ {
		recv(t, c, checkpointMsg(10, "h10", i))
	}
	if c.low() != 10 {
		t.Fatalf("low watermark %d, want 10", c.low())
	}
	if vcs := sentViewChanges(mustStep(t, c, consensus.TimeoutFired{Timeout: armed[0].Timeout})); len(vcs) != 0 {
		t.Fatalf("timer fired with nothing expected: view changes %v", vcs)
	}
	if again := timersOf(mustStep(t, c, consensus.TxsAvailable{}), consensus.TimeoutViewChange); len(again) != 1 {
		t.Fatalf("transactions after the spent timer: view-change timers %v, want a new one", again)
	}
}

// TestJoin_SmallestViewAboveOwnThatVotesShow [§4.5.2]: votes of higher
// views count as view changes; a validator's known view is the highest it
// voted in, so a delayed vote of a lower view does not lower it, and the
// replica joins the smallest view more than 1/3 of the power is known in.
func TestJoin_SmallestViewAboveOwnThatVotesShow(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	mustStep(t, c, consensus.Start{})
	var sent []*consensus.ViewChange
	sent = append(sent, sentViewChanges(recv(t, c, prepareVote(1, 5, "a", 2)))...)
	sent = append(sent, sentViewChanges(recv(t, c, prepareVote(1, 3, "a", 2)))...)
	sent = append(sent, sentViewChanges(recv(t, c, prepareVote(1, 5, "a", 3)))...)
	if len(sent) != 1 || sent[0].View != 5 {
		t.Fatalf("validators 2 and 3 voted in view 5 (2 also in 3 after): view changes %v, want one for 5", sent)
	}
	// Validator 0's votes count the same.
	c = newCore(t, testConfig(), vals, 1)
	mustStep(t, c, consensus.Start{})
	sent = sentViewChanges(recv(t, c, prepareVote(1, 5, "a", 0)))
	sent = append(sent, sentViewChanges(recv(t, c, prepareVote(1, 5, "a", 2)))...)
	if len(sent) != 1 || sent[0].View != 5 {
		t.Fatalf("validators 0 and 2 voted in view 5: view changes %v, want one for 5", sent)
	}
}
