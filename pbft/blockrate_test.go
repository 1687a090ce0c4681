package pbft

import (
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// rateConfig is a configuration with a block time: TimeoutCommit 5s.
func rateConfig(createEmpty bool, interval time.Duration) Config {
	cfg := testConfig()
	cfg.TimeoutCommit = 5 * time.Second
	cfg.CreateEmptyBlocks, cfg.EmptyBlockInterval = createEmpty, interval
	return cfg
}

// decideHeight makes c decide height n of view 0 from everyone's COMMITs and
// returns the actions of the decision.
func decideHeight(t *testing.T, c *Core, vals *consensus.ValidatorSet, n int64) []consensus.Action {
	t.Helper()
	var acts []consensus.Action
	for i := int32(0); int(i) < vals.Size(); i++ {
		acts = append(acts, recv(t, c, commitVote(n, 0, blockID(n, 0), i))...)
	}
	if c.lastDecided != n {
		t.Fatalf("height %d not decided", n)
	}
	return acts
}

func timersOf(acts []consensus.Action, kind consensus.TimeoutKind) []consensus.SetTimeout {
	var out []consensus.SetTimeout
	for _, st := range ofType[consensus.SetTimeout](acts) {
		if st.Timeout.Kind == kind {
			out = append(out, st)
		}
	}
	return out
}

// TestBlockRate_TimeoutCommitDelaysTheNextProposal: rule 1. The wait starts
// at the decision (not after execution) and holds the primary back even
// with transactions waiting; its firing releases the proposal.
func TestBlockRate_TimeoutCommitDelaysTheNextProposal(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := rateConfig(false, 0)
	c := newCore(t, cfg, vals, 0) // the primary of view 0
	mustStep(t, c, consensus.Start{})
	acts := decideHeight(t, c, vals, 1)
	waits := timersOf(acts, consensus.TimeoutCommit)
	if len(waits) != 1 || waits[0].After != cfg.TimeoutCommit || waits[0].Timeout.Height != 2 {
		t.Fatalf("decision: commit timers %v, want one of %v for height 2", waits, cfg.TimeoutCommit)
	}
	acts = mustStep(t, c, consensus.TxsAvailable{})
	acts = append(acts, mustStep(t, c, consensus.Executed{Height: 1, AppHash: appHash(1, "x"), Next: vals})...)
	if rp := ofType[consensus.RequestProposal](acts); len(rp) != 0 {
		t.Fatalf("proposed height 2 during the commit wait: %v", rp)
	}
	stale := consensus.Timeout{Kind: consensus.TimeoutCommit, Height: 1}
	if acts := mustStep(t, c, consensus.TimeoutFired{Timeout: stale}); len(ofType[consensus.RequestProposal](acts)) != 0 {
		t.Fatalf("a stale commit timeout released the proposal: %v", acts)
	}
	acts = mustStep(t, c, consensus.TimeoutFired{Timeout: waits[0].Timeout})
	if rp := ofType[consensus.RequestProposal](acts); len(rp) != 1 || rp[0].Height != 2 {
		t.Fatalf("commit timeout: %v, want the proposal of height 2", acts)
	}
}

// TestBlockRate_WhatMakesABlockDue: rules 2 and 3, after the commit wait
// of height 2. The app hash of height 1 either changed (a proof block is
// due) or not.
func TestBlockRate_WhatMakesABlockDue(t *testing.T) {
	cases := []struct {
		name        string
		createEmpty bool
		interval    time.Duration
		hashChanged bool
		txs         bool
		wantAtOnce  bool
		wantEmpty   time.Duration // 0: no empty-block timer
	}{
		{name: "transactions", txs: true, wantAtOnce: true},
		{name: "proof block: the app hash changed", hashChanged: true, wantAtOnce: true},
		{name: "nothing to do, empty blocks off", wantAtOnce: false},
		{name: "empty blocks on an interval", createEmpty: true, interval: 3 * time.Second, wantEmpty: 3 * time.Second},
		{name: "an interval alone makes empty blocks, as in CometBFT", interval: 3 * time.Second, wantEmpty: 3 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vals := testVals(t, 1, 1, 1, 1)
			cfg := rateConfig(tc.createEmpty, tc.interval)
			c := newCore(t, cfg, vals, 0)
			mustStep(t, c, consensus.Start{})
			wait := timersOf(decideHeight(t, c, vals, 1), consensus.TimeoutCommit)[0]
			hash := []byte(nil) // the hash before height 1 is unknown to the core: nil stands for "unchanged"
			if tc.hashChanged {
				hash = []byte("changed")
			}
			mustStep(t, c, consensus.Executed{Height: 1, AppHash: hash, Next: vals})
			if tc.txs {
				mustStep(t, c, consensus.TxsAvailable{})
			}
			acts := mustStep(t, c, consensus.TimeoutFired{Timeout: wait.Timeout})
			if got := len(ofType[consensus.RequestProposal](acts)) == 1; got != tc.wantAtOnce {
				t.Fatalf("proposed at once: %v, want %v (%v)", got, tc.wantAtOnce, acts)
			}
			empty := timersOf(acts, consensus.TimeoutEmptyBlock)
			if tc.wantEmpty == 0 {
				if len(empty) != 0 {
					t.Fatalf("empty-block timer %v, want none", empty)
				}
				return
			}
			if len(empty) != 1 || empty[0].After != tc.wantEmpty || empty[0].Timeout.Height != 2 {
				t.Fatalf("empty-block timers %v, want one of %v for height 2", empty, tc.wantEmpty)
			}
			acts = mustStep(t, c, consensus.TimeoutFired{Timeout: empty[0].Timeout})
			if rp := ofType[consensus.RequestProposal](acts); len(rp) != 1 || rp[0].Height != 2 {
				t.Fatalf("empty-block timeout: %v, want the proposal of height 2", acts)
			}
		})
	}
}

// TestBlockRate_EmptyIntervalStartsAfterTheCommitWait: CometBFT starts the
// interval with the height's first round, after timeout_commit, so an idle
// chain's block time is their sum.
func TestBlockRate_EmptyIntervalStartsAfterTheCommitWait(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, rateConfig(true, 2*time.Second), vals, 0)
	mustStep(t, c, consensus.Start{})
	wait := timersOf(decideHeight(t, c, vals, 1), consensus.TimeoutCommit)[0]
	acts := mustStep(t, c, consensus.Executed{Height: 1, Next: vals})
	if empty := timersOf(acts, consensus.TimeoutEmptyBlock); len(empty) != 0 {
		t.Fatalf("empty-block timer during the commit wait: %v", empty)
	}
	acts = mustStep(t, c, consensus.TimeoutFired{Timeout: wait.Timeout})
	if empty := timersOf(acts, consensus.TimeoutEmptyBlock); len(empty) != 1 {
		t.Fatalf("commit timeout: %v, want the empty-block timer", acts)
	}
}

// TestBlockRate_FirstHeightProposedAtOnce: the chain's first block carries
// the genesis app hash, so it is due at once even with empty blocks off.
func TestBlockRate_FirstHeightProposedAtOnce(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := rateConfig(false, 0)
	cfg.InitialHeight = 7
	c, err := New(cfg, addr(0), vals, nil)
	if err != nil {
		t.Fatal(err)
	}
	acts := mustStep(t, c, consensus.Start{})
	if rp := ofType[consensus.RequestProposal](acts); len(rp) != 1 || rp[0].Height != 7 {
		t.Fatalf("start: %v, want the proposal of height 7", acts)
	}
}

// TestBlockRate_BackupsAllowForTheBlockTime: a backup's view-change timer
// covers the commit wait and the empty-block interval, so a primary that
// keeps the block time is not replaced for it; a backup with nothing to
// expect (no transactions, no changed hash, no empty blocks) arms none.
func TestBlockRate_BackupsAllowForTheBlockTime(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := rateConfig(true, 2*time.Second)
	c := newCore(t, cfg, vals, 1)
	mustStep(t, c, consensus.Start{})
	decideHeight(t, c, vals, 1)
	timer := viewChangeTimer(t, mustStep(t, c, consensus.Executed{Height: 1, Next: vals}))
	if want := cfg.ViewChangeTimeout + cfg.TimeoutCommit + cfg.EmptyBlockInterval; timer.After != want {
		t.Fatalf("view-change timer %v, want %v", timer.After, want)
	}

	idle := newCore(t, rateConfig(false, 0), vals, 1)
	mustStep(t, idle, consensus.Start{})
	decideHeight(t, idle, vals, 1)
	if vc := timersOf(mustStep(t, idle, consensus.Executed{Height: 1, Next: vals}), consensus.TimeoutViewChange); len(vc) != 0 {
		t.Fatalf("an idle backup armed %v", vc)
	}
}

// TestBlockRate_RestartRepeatsTheCommitWait: a restarted driver lost its
// timers; Start repeats the commit wait the snapshot records.
func TestBlockRate_RestartRepeatsTheCommitWait(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := rateConfig(false, 0)
	c := newCore(t, cfg, vals, 0)
	mustStep(t, c, consensus.Start{})
	wait := timersOf(decideHeight(t, c, vals, 1), consensus.TimeoutCommit)[0]
	snap, err := c.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(cfg, addr(0), vals, snap)
	if err != nil {
		t.Fatal(err)
	}
	if got := timersOf(mustStep(t, r, consensus.Start{}), consensus.TimeoutCommit); len(got) != 1 || got[0] != wait {
		t.Fatalf("restart: commit timers %v, want %v", got, wait)
	}
}
