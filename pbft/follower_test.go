package pbft

import (
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// TestFollower_SendsNoNewViewToLaggards: a follower enters a view by its
// NEW-VIEW like a validator, but only validators answer a laggard with it
// [§4.4]: a follower sends nothing.
func TestFollower_SendsNoNewViewToLaggards(t *testing.T) {
	nv := newViewFor(t, viewChangeMsg(2, 0), viewChangeMsg(2, 1))
	vals := testVals(t, 1, 1, 1, 1)
	for _, self := range []int{9, 3} {
		c := newCore(t, testConfig(), vals, self)
		mustStep(t, c, consensus.Start{})
		recv(t, c, nv)
		if st := c.Status(); st.Round != 2 || st.Step != "normal" {
			t.Fatalf("replica %d after the NEW-VIEW: view %d, step %q; want 2, normal", self, st.Round, st.Step)
		}
		sends := ofType[consensus.Send](recv(t, c, prepareVote(1, 0, "a", 1)))
		if self == 9 && len(sends) != 0 {
			t.Fatalf("follower answered a laggard's old-view prepare with %v", sends)
		}
		if self == 3 && len(sends) != 1 {
			t.Fatalf("validator 3 answered a laggard's old-view prepare with %v, want the NEW-VIEW", sends)
		}
		if self == 3 {
			if own := ofType[consensus.Send](recv(t, c, prepareVote(1, 0, "a", 3))); len(own) != 0 {
				t.Fatalf("validator 3 answered its own old-view prepare with %v", own)
			}
		}
	}
}

// TestSizeLimits_ExecutedAppHashInclusive: the application's app hash of
// exactly the limit is valid, one byte more is not.
func TestSizeLimits_ExecutedAppHashInclusive(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	for _, size := range []int{maxAppHashBytes, maxAppHashBytes + 1} {
		c := newCore(t, testConfig(), vals, 1)
		mustStep(t, c, consensus.Start{})
		for i := int32(0); i < 4; i++ {
			recv(t, c, commitVote(1, 0, blockID(1, 0), i))
		}
		in := consensus.Executed{Height: 1, AppHash: make([]byte, size), Next: vals}
		if size > maxAppHashBytes {
			wantInvalid(t, c, in)
			continue
		}
		if _, err := c.Step(in); err != nil {
			t.Fatalf("an app hash of exactly %d bytes: %v", size, err)
		}
	}
}

// TestViewChangeTimer_PreparesAloneExpectNoBlock: a PREPARE of a height
// whose pre-prepare has not arrived makes a backup expect no block; the
// pre-prepare does [§4.4].
func TestViewChangeTimer_PreparesAloneExpectNoBlock(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, rateConfig(false, 0), vals, 1)
	mustStep(t, c, consensus.Start{})
	wait := timersOf(decideHeight(t, c, vals, 1), consensus.TimeoutCommit)
	mustStep(t, c, consensus.Executed{Height: 1, Next: vals}) // same app hash: no proof block due
	acts := recv(t, c, prepareVote(2, 0, "a", 2))
	acts = append(acts, mustStep(t, c, consensus.TimeoutFired{Timeout: wait[0].Timeout})...) // re-evaluates the timers
	if armed := timersOf(acts, consensus.TimeoutViewChange); len(armed) != 0 {
		t.Fatalf("a prepare without its pre-prepare armed view-change timers %v", armed)
	}
	if armed := timersOf(recv(t, c, prePrepare(2, 0, "a", 0)), consensus.TimeoutViewChange); len(armed) != 1 || armed[0].Timeout.Height != 2 {
		t.Fatalf("pre-prepare for 2: view-change timers %v, want one for height 2", armed)
	}
}

// TestViewChangeTimer_NotReArmedForAnExecutedBlock: once the block a
// backup awaited is executed and nothing else is due, it expects no
// further block and arms no view-change timer.
func TestViewChangeTimer_NotReArmedForAnExecutedBlock(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, rateConfig(false, 0), vals, 1)
	mustStep(t, c, consensus.Start{})
	if armed := timersOf(recv(t, c, prePrepare(1, 0, blockID(1, 0), 0)), consensus.TimeoutViewChange); len(armed) != 1 {
		t.Fatalf("pre-prepare for 1: view-change timers %v, want one", armed)
	}
	wait := timersOf(decideHeight(t, c, vals, 1), consensus.TimeoutCommit)
	acts := mustStep(t, c, consensus.Executed{Height: 1, Next: vals}) // same app hash: no proof block due
	acts = append(acts, mustStep(t, c, consensus.TimeoutFired{Timeout: wait[0].Timeout})...)
	if armed := timersOf(acts, consensus.TimeoutViewChange); len(armed) != 0 {
		t.Fatalf("executed the awaited block, nothing due: view-change timers %v", armed)
	}
}

// TestRequestTimer_StaleOnceANewViewIsEntered: a replica that enters a
// later view by its NEW-VIEW (without a view change of its own) gives the
// new primary a fresh start: the request timer of the old view no longer
// changes the view when it fires.
func TestRequestTimer_StaleOnceANewViewIsEntered(t *testing.T) {
	nv := newViewFor(t, viewChangeMsg(2, 0), viewChangeMsg(2, 1))
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 3)
	mustStep(t, c, consensus.Start{})
	if armed := timersOf(executeLeavingOut(t, c, vals, 1, "tx"), consensus.TimeoutRequest); len(armed) != 1 {
		t.Fatalf("block 1 left tx out: request timers %v, want one", armed)
	}
	recv(t, c, nv)
	if st := c.Status(); st.Round != 2 || st.Step != "normal" {
		t.Fatalf("after the NEW-VIEW: view %d, step %q; want 2, normal", st.Round, st.Step)
	}
	if vcs := ownViewChanges(mustStep(t, c, requestTimeout(1, 0))); len(vcs) != 0 {
		t.Fatalf("the request timer of view 0 fired in view 2 and changed the view: %v", vcs)
	}
}

// TestEmptyBlockTimer_EarlyPreparesDoNotHoldThePrimaryBack: PREPAREs of
// the next height that the primary has not proposed (a faulty validator's)
// are no proposal: the primary still runs its empty-block interval.
func TestEmptyBlockTimer_EarlyPreparesDoNotHoldThePrimaryBack(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, rateConfig(false, time.Second), vals, 0)
	mustStep(t, c, consensus.Start{})
	wait := timersOf(decideHeight(t, c, vals, 1), consensus.TimeoutCommit)
	mustStep(t, c, consensus.Executed{Height: 1, Next: vals})
	recv(t, c, prepareVote(2, 0, "x", 2))
	armed := timersOf(mustStep(t, c, consensus.TimeoutFired{Timeout: wait[0].Timeout}), consensus.TimeoutEmptyBlock)
	if len(armed) != 1 || armed[0].Timeout.Height != 2 {
		t.Fatalf("after the commit wait, with an early prepare for 2: empty-block timers %v, want one for height 2", armed)
	}
}
