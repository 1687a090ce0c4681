package pbft

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// executeLeavingOut decides and executes height n of view 0 at backup c,
// telling it that the block left out tx.
func executeLeavingOut(t *testing.T, c *Core, vals *consensus.ValidatorSet, n int64, tx consensus.ID) []consensus.Action {
	t.Helper()
	acts := decideHeight(t, c, vals, n)
	return append(acts, mustStep(t, c, consensus.Executed{Height: n, AppHash: appHash(n, blockID(n, 0)), Next: vals, LeftOut: tx})...)
}

func requestTimeout(h int64, v int32) consensus.TimeoutFired {
	return consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutRequest, Height: h, Round: v}}
}

func ownViewChanges(acts []consensus.Action) []*consensus.ViewChange {
	var out []*consensus.ViewChange
	for _, b := range ofType[consensus.Broadcast](acts) {
		if vc, ok := b.Msg.(*consensus.ViewChange); ok {
			out = append(out, vc)
		}
	}
	return out
}

// TestRequestTimer_SameTransactionLeftOutChangesView [§4.4]: the timer is
// armed by the first block that leaves a transaction out, keeps running
// while later blocks leave the same one out, and its firing makes the
// backup ask for view 1.
func TestRequestTimer_SameTransactionLeftOutChangesView(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	c := newCore(t, cfg, vals, 1)
	mustStep(t, c, consensus.Start{})
	armed := timersOf(executeLeavingOut(t, c, vals, 1, "tx"), consensus.TimeoutRequest)
	if len(armed) != 1 || armed[0].After != cfg.RequestTimeout || armed[0].Timeout.Height != 1 || armed[0].Timeout.Round != 0 {
		t.Fatalf("first block leaving tx out: request timers %v, want one of %v for height 1 view 0", armed, cfg.RequestTimeout)
	}
	if again := timersOf(executeLeavingOut(t, c, vals, 2, "tx"), consensus.TimeoutRequest); len(again) != 0 {
		t.Fatalf("second block leaving the same tx out re-armed the timer: %v", again)
	}
	acts := mustStep(t, c, requestTimeout(1, 0))
	vcs := ownViewChanges(acts)
	if len(vcs) != 1 || vcs[0].View != 1 || c.view != 1 {
		t.Fatalf("request timeout: view changes %v, view %d; want a VIEW-CHANGE for view 1", vcs, c.view)
	}
}

// TestRequestTimer_InclusionOrNoRoomStopsIt: a block that includes the
// transaction, or has no room for it (LeftOut empty: honest saturation),
// stops the timer, so its firing is stale; another transaction left out
// starts a fresh one.
func TestRequestTimer_InclusionOrNoRoomStopsIt(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 2)
	mustStep(t, c, consensus.Start{})
	executeLeavingOut(t, c, vals, 1, "a")
	executeLeavingOut(t, c, vals, 2, "")
	if acts := mustStep(t, c, requestTimeout(1, 0)); len(ownViewChanges(acts)) != 0 || c.view != 0 {
		t.Fatalf("the timer of a transaction no longer left out fired: %v", acts)
	}
	executeLeavingOut(t, c, vals, 3, "a")
	fresh := timersOf(executeLeavingOut(t, c, vals, 4, "b"), consensus.TimeoutRequest)
	if len(fresh) != 1 || fresh[0].Timeout.Height != 4 {
		t.Fatalf("another transaction left out: request timers %v, want a fresh one for height 4", fresh)
	}
	if acts := mustStep(t, c, requestTimeout(3, 0)); len(ownViewChanges(acts)) != 0 {
		t.Fatalf("the timer of transaction a fired after b replaced it: %v", acts)
	}
}

// TestRequestTimer_OffWhenZero: RequestTimeout 0 disables the timer.
func TestRequestTimer_OffWhenZero(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	cfg.RequestTimeout = 0
	c := newCore(t, cfg, vals, 1)
	mustStep(t, c, consensus.Start{})
	if armed := timersOf(executeLeavingOut(t, c, vals, 1, "tx"), consensus.TimeoutRequest); len(armed) != 0 {
		t.Fatalf("request timer armed while disabled: %v", armed)
	}
}

// TestRequestTimer_SurvivesRestart: the running timer is in the snapshot
// and a restarted replica schedules it again.
func TestRequestTimer_SurvivesRestart(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	c := newCore(t, cfg, vals, 1)
	mustStep(t, c, consensus.Start{})
	executeLeavingOut(t, c, vals, 1, "tx")
	snap, err := c.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(cfg, addr(1), vals, snap)
	if err != nil {
		t.Fatal(err)
	}
	again := timersOf(mustStep(t, r, consensus.Start{}), consensus.TimeoutRequest)
	if len(again) != 1 || again[0].Timeout.Height != 1 || r.reqTx != "tx" {
		t.Fatalf("restart: request timers %v, transaction %q; want the one for height 1 and tx", again, r.reqTx)
	}
}

// TestRequestTimer_NotWhileCatchingUp: a replica executing blocks it is
// still fetching does not start the timer: the transaction it holds may be
// in a block it has not executed yet.
func TestRequestTimer_NotWhileCatchingUp(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	mustStep(t, c, consensus.Start{})
	c.fetch(5)
	if armed := timersOf(executeLeavingOut(t, c, vals, 1, "tx"), consensus.TimeoutRequest); len(armed) != 0 {
		t.Fatalf("request timer armed at height 1 while fetching up to 5: %v", armed)
	}
}
