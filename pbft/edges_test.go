package pbft

import (
	"math"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// The edges of the configuration and of state transfer: the shortest
// positive timeouts still run, a zero one runs none, and a state transfer
// that reached its target asks for nothing more.

// TestBlockRate_ShortestTimeoutCommitStillWaits: rule 1 holds for any
// positive timeout_commit, 1 ns included: the decision arms the wait.
func TestBlockRate_ShortestTimeoutCommitStillWaits(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := rateConfig(false, 0)
	cfg.TimeoutCommit = time.Nanosecond
	c := newCore(t, cfg, vals, 0) // the primary of view 0
	mustStep(t, c, consensus.Start{})
	waits := timersOf(decideHeight(t, c, vals, 1), consensus.TimeoutCommit)
	if len(waits) != 1 || waits[0].After != time.Nanosecond || waits[0].Timeout.Height != 2 {
		t.Fatalf("decision: commit timers %v, want one of 1ns for height 2", waits)
	}
	acts := mustStep(t, c, consensus.TxsAvailable{})
	acts = append(acts, mustStep(t, c, consensus.Executed{Height: 1, AppHash: appHash(1, "x"), Next: vals})...)
	if rp := ofType[consensus.RequestProposal](acts); len(rp) != 0 {
		t.Fatalf("proposed height 2 before its 1ns commit wait fired: %v", rp)
	}
}

// TestBlockRate_ZeroTimeoutCommitArmsNoWait: with timeout_commit 0 there
// is no wait: the decision arms no commit timer, and the primary with
// transactions waiting proposes the next height as soon as it executed.
func TestBlockRate_ZeroTimeoutCommitArmsNoWait(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := rateConfig(false, 0)
	cfg.TimeoutCommit = 0
	c := newCore(t, cfg, vals, 0)
	mustStep(t, c, consensus.Start{})
	if waits := timersOf(decideHeight(t, c, vals, 1), consensus.TimeoutCommit); len(waits) != 0 {
		t.Fatalf("decision with timeout_commit 0: commit timers %v, want none", waits)
	}
	acts := mustStep(t, c, consensus.TxsAvailable{})
	acts = append(acts, mustStep(t, c, consensus.Executed{Height: 1, AppHash: appHash(1, "x"), Next: vals})...)
	if rp := ofType[consensus.RequestProposal](acts); len(rp) != 1 || rp[0].Height != 2 {
		t.Fatalf("executed height 1 with transactions waiting: %v, want the proposal of height 2 at once", acts)
	}
}

// TestRequestTimer_ShortestTimeoutStillArms: only 0 turns the request
// timer off; 1 ns is a (very short) timeout like any other.
func TestRequestTimer_ShortestTimeoutStillArms(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	cfg.RequestTimeout = time.Nanosecond
	c := newCore(t, cfg, vals, 1)
	mustStep(t, c, consensus.Start{})
	armed := timersOf(executeLeavingOut(t, c, vals, 1, "tx"), consensus.TimeoutRequest)
	if len(armed) != 1 || armed[0].After != time.Nanosecond || armed[0].Timeout.Height != 1 {
		t.Fatalf("block leaving tx out: request timers %v, want one of 1ns for height 1", armed)
	}
}

// TestViewChange_TimeoutDoublesExactlyUpToTheLargest: the timeout for
// view v+2 is exactly 2T [§4.5.2] even when 2T is the largest duration
// that does not overflow; only beyond it is the timeout capped.
func TestViewChange_TimeoutDoublesExactlyUpToTheLargest(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	cfg.CreateEmptyBlocks, cfg.EmptyBlockInterval = false, 0
	cfg.ViewChangeTimeout = time.Duration(math.MaxInt64 >> 1)
	c := newCore(t, cfg, vals, 1)
	mustStep(t, c, consensus.Start{})
	timer := viewChangeTimer(t, mustStep(t, c, consensus.TxsAvailable{}))
	for view := int32(1); view <= 2; view++ {
		sent := sentViewChanges(mustStep(t, c, consensus.TimeoutFired{Timeout: timer.Timeout}))
		if len(sent) != 1 || sent[0].View != view {
			t.Fatalf("timeout in view %d: sent %v", view-1, sent)
		}
		recv(t, c, sign(sent[0]))
		recv(t, c, viewChangeMsg(view, 2))
		timer = viewChangeTimer(t, recv(t, c, viewChangeMsg(view, 3)))
	}
	if want := 2 * cfg.ViewChangeTimeout; timer.After != want || timer.Timeout.Round != 2 {
		t.Fatalf("timer waiting for NEW-VIEW(2): %+v, want %v", timer, want)
	}
}

// reachTransferTarget makes backup c learn from a stable checkpoint at 10
// that heights up to 10 are decided, fetch them, and decide and execute
// all of them, so that its state transfer reached its target.
func reachTransferTarget(t *testing.T, c *Core, vals *consensus.ValidatorSet) {
	t.Helper()
	var proof []consensus.Checkpoint
	for i := int32(0); i < 3; i++ {
		proof = append(proof, *checkpointMsg(10, "h10", i))
	}
	vc := &consensus.ViewChange{View: 1, Validator: 0, Stable: consensus.StableCheckpoint{Height: 10, AppHash: []byte("h10"), Proof: proof}, Signature: []byte("signed")}
	if f := ofType[consensus.FetchBlocks](recv(t, c, vc)); len(f) != 1 || f[0] != (consensus.FetchBlocks{From: 1, To: 10}) {
		t.Fatalf("stable proof for 10: fetches %v, want 1..10", f)
	}
	for n := int64(1); n <= 10; n++ {
		value := blockID(n, 0)
		mustStep(t, c, consensus.Synced{Height: n, Value: value, Commit: commitOf(n, value, 0, 1, 2)})
		hash := appHash(n, value)
		if n == 10 {
			hash = []byte("h10")
		}
		mustStep(t, c, consensus.Executed{Height: n, AppHash: hash, Next: vals})
	}
	if c.lastDecided != 10 || c.fetchTo != 10 {
		t.Fatalf("after the transfer: last decided %d, fetching to %d; want 10 and 10", c.lastDecided, c.fetchTo)
	}
}

// TestStateTransfer_DoneAsksForNothingMore: once the blocks up to the
// proven height are decided, neither retransmission ticks nor a restart
// ask the driver for more blocks.
func TestStateTransfer_DoneAsksForNothingMore(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	c := newCore(t, cfg, vals, 3)
	mustStep(t, c, consensus.Start{})
	reachTransferTarget(t, c, vals)
	for tick := 1; tick <= 3; tick++ {
		if f := ofType[consensus.FetchBlocks](retransmitTick(t, c)); len(f) != 0 {
			t.Fatalf("tick %d after the transfer reached its target: fetches %v, want none", tick, f)
		}
	}
	r, acts := restartFrom(t, c, cfg, vals, 3)
	if f := ofType[consensus.FetchBlocks](acts); len(f) != 0 {
		t.Fatalf("restart after the transfer reached its target: fetches %v, want none", f)
	}
	if f := ofType[consensus.FetchBlocks](retransmitTick(t, r)); len(f) != 0 {
		t.Fatalf("tick after the restart: fetches %v, want none", f)
	}
}

// primaryConfig is a configuration in which the primary proposes only
// when something is due, so that a test controls when it asks.
func primaryConfig(window int64) Config {
	cfg := testConfig()
	cfg.CreateEmptyBlocks, cfg.EmptyBlockInterval = false, 0
	cfg.WatermarkWindow = window
	return cfg
}

// executeHeights decides heights from..to of view 0 at c from everyone's
// COMMITs and executes them, with an app hash that never changes (so no
// proof block is due).
func executeHeights(t *testing.T, c *Core, vals *consensus.ValidatorSet, from, to int64) {
	t.Helper()
	for n := from; n <= to; n++ {
		for i := int32(0); i < 4; i++ {
			recv(t, c, commitVote(n, 0, blockID(n, 0), i))
		}
		mustStep(t, c, consensus.Executed{Height: n, AppHash: []byte("h"), Next: vals})
	}
	if c.lastExecuted != to {
		t.Fatalf("executed through %d, want %d", c.lastExecuted, to)
	}
}

// checkpointsFrom delivers the CHECKPOINTs of height n, app hash "h", of
// the given validators.
func checkpointsFrom(t *testing.T, c *Core, n int64, from ...int32) []consensus.Action {
	t.Helper()
	var acts []consensus.Action
	for _, i := range from {
		acts = append(acts, recv(t, c, checkpointMsg(n, "h", i))...)
	}
	return acts
}

// wantFetch fails unless acts ask for exactly the blocks from..to.
func wantFetch(t *testing.T, acts []consensus.Action, from, to int64) {
	t.Helper()
	if f := ofType[consensus.FetchBlocks](acts); len(f) != 1 || f[0] != (consensus.FetchBlocks{From: from, To: to}) {
		t.Fatalf("fetches %v, want %d..%d", f, from, to)
	}
}

// TestPrimary_ProposesNoHeightProvenDecided: a height peers proved decided
// is fetched, not proposed [§4.3]. Half the power has checkpoints at 40,
// above the window (0, 20]; the stable checkpoint at 20 then moves the
// window over 40, and the primary that executed 39 with transactions
// waiting asks the application for no block of height 40.
func TestPrimary_ProposesNoHeightProvenDecided(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, primaryConfig(20), vals, 0)
	mustStep(t, c, consensus.Start{})
	executeHeights(t, c, vals, 1, 1)
	wantFetch(t, checkpointsFrom(t, c, 40, 1, 2), 2, 40)
	executeHeights(t, c, vals, 2, 20)
	checkpointsFrom(t, c, 20, 1, 2, 3)
	if c.low() != 20 || !c.inWindow(40) || c.fetchTo != 40 {
		t.Fatalf("window (%d, %d], fetching to %d: want (20, 40] and 40", c.low(), c.high(), c.fetchTo)
	}
	executeHeights(t, c, vals, 21, 39)
	if rp := ofType[consensus.RequestProposal](mustStep(t, c, consensus.TxsAvailable{})); len(rp) != 0 {
		t.Fatalf("proposal requests %v for a height peers proved decided", rp)
	}
}

// TestPrimary_DropsAProposalOvertakenByACheckpoint: the primary asked for
// a block of height 30, and while the application prepared it half the
// power proved 30 decided: the answer becomes no PRE-PREPARE (the replica
// signs nothing at or below a height proven decided; it fetches it). The
// window must leave 30 out when the proof comes and take it in when the
// answer does: the operator restarts the node with a smaller window, and a
// stable checkpoint at 20 then moves it.
func TestPrimary_DropsAProposalOvertakenByACheckpoint(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, primaryConfig(40), vals, 0)
	mustStep(t, c, consensus.Start{})
	executeHeights(t, c, vals, 1, 29)
	if rp := ofType[consensus.RequestProposal](mustStep(t, c, consensus.TxsAvailable{})); len(rp) != 1 || rp[0].Height != 30 {
		t.Fatalf("transactions waiting: proposal requests %v, want height 30", rp)
	}
	r, acts := restartFrom(t, c, primaryConfig(20), vals, 0)
	if rp := ofType[consensus.RequestProposal](acts); len(rp) != 1 || rp[0].Height != 30 {
		t.Fatalf("restart: proposal requests %v, want height 30 again", rp)
	}
	wantFetch(t, checkpointsFrom(t, r, 30, 1, 2), 30, 30)
	checkpointsFrom(t, r, 20, 1, 2, 3)
	if r.low() != 20 || !r.inWindow(30) || r.fetchTo != 30 {
		t.Fatalf("window (%d, %d], fetching to %d: want (20, 40] and 30", r.low(), r.high(), r.fetchTo)
	}
	acts = mustStep(t, r, consensus.ProposalReady{Height: 30, Round: 0, Value: blockID(30, 0)})
	for _, b := range ofType[consensus.Broadcast](acts) {
		if pp, ok := b.Msg.(*consensus.Proposal); ok {
			t.Fatalf("pre-prepare %+v for a height peers proved decided", pp)
		}
	}
}
