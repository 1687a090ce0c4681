package pbft

import (
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// restartFrom rebuilds c from its snapshot, as a restarted driver does, and
// returns the new instance and the actions of its Start.
func restartFrom(t *testing.T, c *Core, cfg Config, vals *consensus.ValidatorSet, self int) (*Core, []consensus.Action) {
	t.Helper()
	snap, err := c.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(cfg, addr(self), vals, snap)
	if err != nil {
		t.Fatal(err)
	}
	return r, mustStep(t, r, consensus.Start{})
}

// TestRestart_RepeatsOnlyTheCurrentProposalRequest: a restarted driver lost
// the primary's outstanding RequestProposal, so Start repeats it; an
// answered request, or one for a height executed since, is not repeated.
func TestRestart_RepeatsOnlyTheCurrentProposalRequest(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	c := newCore(t, cfg, vals, 0) // the primary of view 0
	if rp := ofType[consensus.RequestProposal](mustStep(t, c, consensus.Start{})); len(rp) != 1 || rp[0].Height != 1 {
		t.Fatalf("start: proposal requests %v, want height 1", rp)
	}
	_, acts := restartFrom(t, c, cfg, vals, 0)
	if rp := ofType[consensus.RequestProposal](acts); len(rp) != 1 || rp[0].Height != 1 || rp[0].Round != 0 {
		t.Fatalf("restart with the request outstanding: %v, want (1, 0) again", rp)
	}

	answered := newCore(t, cfg, vals, 0)
	mustStep(t, answered, consensus.Start{})
	mustStep(t, answered, consensus.ProposalReady{Height: 1, Round: 0, Value: blockID(1, 0)})
	if _, acts := restartFrom(t, answered, cfg, vals, 0); len(ofType[consensus.RequestProposal](acts)) != 0 {
		t.Fatalf("restart after the answer repeated the request: %v", acts)
	}

	// The others decided height 1 while the application prepared it: the
	// request is stale once height 1 is executed (same app hash, no
	// transactions: nothing else is due).
	stale := newCore(t, cfg, vals, 0)
	mustStep(t, stale, consensus.Start{})
	decideHeight(t, stale, vals, 1)
	mustStep(t, stale, consensus.Executed{Height: 1, Next: vals})
	if _, acts := restartFrom(t, stale, cfg, vals, 0); len(ofType[consensus.RequestProposal](acts)) != 0 {
		t.Fatalf("restart repeated the request of an executed height: %v", ofType[consensus.RequestProposal](acts))
	}
}

// TestRestart_RepeatsTheUnansweredVerdictRequests: Start repeats the
// RequestVerdicts the application has not answered, and only those.
func TestRestart_RepeatsTheUnansweredVerdictRequests(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	c := newCore(t, cfg, vals, 1)
	mustStep(t, c, consensus.Start{})
	if rv := ofType[consensus.RequestVerdict](recv(t, c, prePrepare(1, 0, "a", 0))); len(rv) != 1 {
		t.Fatalf("pre-prepare: verdict requests %v, want one", rv)
	}
	_, acts := restartFrom(t, c, cfg, vals, 1)
	if rv := ofType[consensus.RequestVerdict](acts); len(rv) != 1 || rv[0].Height != 1 || rv[0].Value != "a" {
		t.Fatalf("restart with the verdict outstanding: %v, want (1, a) again", rv)
	}
	mustStep(t, c, consensus.Verdict{Height: 1, Value: "a", Valid: true})
	if _, acts := restartFrom(t, c, cfg, vals, 1); len(ofType[consensus.RequestVerdict](acts)) != 0 {
		t.Fatalf("restart repeated an answered verdict request: %v", ofType[consensus.RequestVerdict](acts))
	}
}

// TestBlockRate_AnyIntervalMeansEmptyBlocks: as in CometBFT, setting an
// empty-block interval, however short, makes the primary propose empty
// blocks even with create_empty_blocks off.
func TestBlockRate_AnyIntervalMeansEmptyBlocks(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := rateConfig(false, time.Nanosecond)
	c := newCore(t, cfg, vals, 0)
	mustStep(t, c, consensus.Start{})
	acts := decideHeight(t, c, vals, 1)
	acts = append(acts, mustStep(t, c, consensus.Executed{Height: 1, Next: vals})...)
	wait := timersOf(acts, consensus.TimeoutCommit)
	if len(wait) != 1 {
		t.Fatalf("decision: commit timers %v, want one", wait)
	}
	empty := timersOf(mustStep(t, c, consensus.TimeoutFired{Timeout: wait[0].Timeout}), consensus.TimeoutEmptyBlock)
	if len(empty) != 1 || empty[0].Timeout.Height != 2 || empty[0].After != time.Nanosecond {
		t.Fatalf("after the commit wait: empty-block timers %v, want one of 1ns for height 2", empty)
	}
}

// TestBlockRate_TransactionsCountForTheNextHeightOnly: TxsAvailable makes
// the next block due; once that block is executed, a further block needs
// new transactions (or a proof or an empty-block interval), as the mempool
// signals transactions once per height.
func TestBlockRate_TransactionsCountForTheNextHeightOnly(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := rateConfig(false, 0)
	c := newCore(t, cfg, vals, 0)
	mustStep(t, c, consensus.Start{})
	wait := timersOf(decideHeight(t, c, vals, 1), consensus.TimeoutCommit)
	mustStep(t, c, consensus.Executed{Height: 1, Next: vals})
	mustStep(t, c, consensus.TxsAvailable{})
	if rp := ofType[consensus.RequestProposal](mustStep(t, c, consensus.TimeoutFired{Timeout: wait[0].Timeout})); len(rp) != 1 || rp[0].Height != 2 {
		t.Fatalf("transactions after the commit wait: %v, want the proposal of height 2", rp)
	}
	wait = timersOf(decideHeight(t, c, vals, 2), consensus.TimeoutCommit)
	mustStep(t, c, consensus.Executed{Height: 2, Next: vals})
	if rp := ofType[consensus.RequestProposal](mustStep(t, c, consensus.TimeoutFired{Timeout: wait[0].Timeout})); len(rp) != 0 {
		t.Fatalf("height 3 proposed without new transactions: %v", rp)
	}
}

// TestPrimary_ProposesOnlyWhenItIsThePrimaryAndExecutedThePreviousHeight:
// [§4.2] a backup never asks for a block, and the primary asks for n only
// once it executed n-1, not when n is decided (by others' COMMITs) and
// still awaits execution.
func TestPrimary_ProposesOnlyWhenItIsThePrimaryAndExecutedThePreviousHeight(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	backup := newCore(t, testConfig(), vals, 1)
	acts := mustStep(t, backup, consensus.Start{})
	acts = append(acts, mustStep(t, backup, consensus.TxsAvailable{})...)
	if rp := ofType[consensus.RequestProposal](acts); len(rp) != 0 {
		t.Fatalf("a backup asked for a block: %v", rp)
	}

	cfg := rateConfig(false, 0)
	c := newCore(t, cfg, vals, 0)
	mustStep(t, c, consensus.Start{})
	decideHeight(t, c, vals, 1)
	mustStep(t, c, consensus.Executed{Height: 1, Next: vals})
	mustStep(t, c, consensus.TxsAvailable{}) // held back by the commit wait of height 2
	if rp := ofType[consensus.RequestProposal](decideHeight(t, c, vals, 2)); len(rp) != 0 {
		t.Fatalf("primary asked for a block with height 2 decided but not executed: %v", rp)
	}
}

// TestNew_FirstWindowStartsBelowTheInitialHeight: a chain whose genesis
// initial_height is high starts with its low watermark just below it, so
// the primary proposes the first height at once.
func TestNew_FirstWindowStartsBelowTheInitialHeight(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	cfg.InitialHeight = 1000
	c := newCore(t, cfg, vals, 0)
	if rp := ofType[consensus.RequestProposal](mustStep(t, c, consensus.Start{})); len(rp) != 1 || rp[0].Height != 1000 {
		t.Fatalf("start at initial height 1000: proposal requests %v, want height 1000", rp)
	}
}
