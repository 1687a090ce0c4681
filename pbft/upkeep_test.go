package pbft

import (
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// retransmitTick fires the live retransmission timer of c (its chain was
// started by Start).
func retransmitTick(t *testing.T, c *Core) []consensus.Action {
	t.Helper()
	return mustStep(t, c, consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutRetransmit, Height: c.retransmit}})
}

func commitOf(n int64, value consensus.ID, from ...int32) []consensus.Vote {
	var out []consensus.Vote
	for _, i := range from {
		out = append(out, *commitVote(n, 0, value, i))
	}
	return out
}

// TestStateTransfer_RepeatsAFetchThatMadeNoProgress: a state transfer that
// made no progress since the last retransmission tick is requested again;
// one that did is left to run.
func TestStateTransfer_RepeatsAFetchThatMadeNoProgress(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 3)
	mustStep(t, c, consensus.Start{})
	decideThrough(t, c, vals, 3)
	var proof []consensus.Checkpoint
	for i := int32(0); i < 3; i++ {
		proof = append(proof, *checkpointMsg(20, "h20", i))
	}
	vc := &consensus.ViewChange{View: 1, Validator: 0, Stable: consensus.StableCheckpoint{Height: 20, AppHash: []byte("h20"), Proof: proof}}
	if f := ofType[consensus.FetchBlocks](recv(t, c, vc)); len(f) != 1 || f[0] != (consensus.FetchBlocks{From: 4, To: 20}) {
		t.Fatalf("stable proof for 20: fetches %v, want 4..20", f)
	}
	if f := ofType[consensus.FetchBlocks](retransmitTick(t, c)); len(f) != 1 || f[0] != (consensus.FetchBlocks{From: 4, To: 20}) {
		t.Fatalf("tick without progress: fetches %v, want 4..20 again", f)
	}
	mustStep(t, c, consensus.Synced{Height: 4, Value: blockID(4, 0), Commit: commitOf(4, blockID(4, 0), 0, 1, 2)})
	if c.lastDecided != 4 {
		t.Fatalf("fetched block 4 not decided (last decided %d)", c.lastDecided)
	}
	if f := ofType[consensus.FetchBlocks](retransmitTick(t, c)); len(f) != 0 {
		t.Fatalf("tick after progress: fetches %v, want none", f)
	}
	if f := ofType[consensus.FetchBlocks](retransmitTick(t, c)); len(f) != 1 || f[0] != (consensus.FetchBlocks{From: 5, To: 20}) {
		t.Fatalf("tick without progress since the last: fetches %v, want 5..20", f)
	}
}

// TestRetransmit_PrimaryRepeatsOnlyItsOwnPrePrepare: every tick the primary
// resends its pre-prepare of an undecided height; a backup does not resend
// the primary's.
func TestRetransmit_PrimaryRepeatsOnlyItsOwnPrePrepare(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	resent := func(acts []consensus.Action) []*consensus.Proposal {
		var out []*consensus.Proposal
		for _, s := range ofType[consensus.Send](acts) {
			if p, ok := s.Msg.(*consensus.Proposal); ok {
				out = append(out, p)
			}
		}
		return out
	}
	primary := newCore(t, testConfig(), vals, 0)
	mustStep(t, primary, consensus.Start{})
	for _, b := range ofType[consensus.Broadcast](mustStep(t, primary, consensus.ProposalReady{Height: 1, Round: 0, Value: "a"})) {
		recv(t, primary, sign(b.Msg)) // a broadcast reaches its sender too
	}
	if pp := resent(retransmitTick(t, primary)); len(pp) != 1 || pp[0].Height != 1 || pp[0].Value != "a" {
		t.Fatalf("primary's tick resent pre-prepares %v, want its own for height 1", pp)
	}
	backup := newCore(t, testConfig(), vals, 1)
	mustStep(t, backup, consensus.Start{})
	recv(t, backup, prePrepare(1, 0, "a", 0))
	if pp := resent(retransmitTick(t, backup)); len(pp) != 0 {
		t.Fatalf("backup's tick resent pre-prepares %v, want none", pp)
	}
}

// TestRequestTimer_NotOnFollowersButOnTheLastFetchedBlock: the request
// timer judges the primary, which only validators do; and a replica judges
// again from the last block it fetched on, which its mempool has caught up
// with.
func TestRequestTimer_NotOnFollowersButOnTheLastFetchedBlock(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	follower := newCore(t, testConfig(), vals, 9)
	mustStep(t, follower, consensus.Start{})
	if armed := timersOf(executeLeavingOut(t, follower, vals, 1, "tx"), consensus.TimeoutRequest); len(armed) != 0 {
		t.Fatalf("a follower armed the request timer: %v", armed)
	}
	c := newCore(t, testConfig(), vals, 1)
	mustStep(t, c, consensus.Start{})
	c.fetch(2)
	if armed := timersOf(executeLeavingOut(t, c, vals, 1, "tx"), consensus.TimeoutRequest); len(armed) != 0 {
		t.Fatalf("request timer armed at height 1 while fetching up to 2: %v", armed)
	}
	if armed := timersOf(executeLeavingOut(t, c, vals, 2, "tx"), consensus.TimeoutRequest); len(armed) != 1 || armed[0].Timeout.Height != 2 {
		t.Fatalf("last fetched block 2 left tx out: request timers %v, want one for height 2", armed)
	}
}

// TestViewChangeTimer_ArmedOnceByValidatorsAwaitingABlock [§4.4]: a backup
// that accepted a pre-prepare expects its block and arms the timer once;
// a follower, which cannot vote for a new view, never arms it.
func TestViewChangeTimer_ArmedOnceByValidatorsAwaitingABlock(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := rateConfig(false, 0) // no empty blocks: only a block in flight or transactions make progress due
	c := newCore(t, cfg, vals, 1)
	if armed := timersOf(mustStep(t, c, consensus.Start{}), consensus.TimeoutViewChange); len(armed) != 0 {
		t.Fatalf("armed with nothing expected: %v", armed)
	}
	if armed := timersOf(recv(t, c, prePrepare(1, 0, "a", 0)), consensus.TimeoutViewChange); len(armed) != 1 || armed[0].Timeout.Height != 1 {
		t.Fatalf("pre-prepare accepted: view-change timers %v, want one for height 1", armed)
	}
	if armed := timersOf(mustStep(t, c, consensus.TxsAvailable{}), consensus.TimeoutViewChange); len(armed) != 0 {
		t.Fatalf("armed again while running: %v", armed)
	}
	follower := newCore(t, cfg, vals, 9)
	acts := mustStep(t, follower, consensus.Start{})
	acts = append(acts, mustStep(t, follower, consensus.TxsAvailable{})...)
	acts = append(acts, recv(t, follower, prePrepare(1, 0, "a", 0))...)
	if armed := timersOf(acts, consensus.TimeoutViewChange); len(armed) != 0 {
		t.Fatalf("a follower armed the view-change timer: %v", armed)
	}
}

// TestEmptyBlockTimer_OnePerHeightOnThePrimary: only the primary runs the
// empty-block interval, for the height after the one it executed, once per
// height and view, also across a restart; a firing is consumed.
func TestEmptyBlockTimer_OnePerHeightOnThePrimary(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := rateConfig(false, time.Second)
	afterCommitWait := func(c *Core, n int64) []consensus.Action {
		t.Helper()
		wait := timersOf(decideHeight(t, c, vals, n), consensus.TimeoutCommit)
		mustStep(t, c, consensus.Executed{Height: n, Next: vals})
		return mustStep(t, c, consensus.TimeoutFired{Timeout: wait[0].Timeout})
	}

	backup := newCore(t, cfg, vals, 1)
	mustStep(t, backup, consensus.Start{})
	if armed := timersOf(afterCommitWait(backup, 1), consensus.TimeoutEmptyBlock); len(armed) != 0 {
		t.Fatalf("a backup armed the empty-block timer: %v", armed)
	}

	c := newCore(t, cfg, vals, 0)
	mustStep(t, c, consensus.Start{})
	if armed := timersOf(afterCommitWait(c, 1), consensus.TimeoutEmptyBlock); len(armed) != 1 || armed[0].Timeout.Height != 2 {
		t.Fatalf("primary after the commit wait: empty-block timers %v, want one for height 2", armed)
	}
	if _, acts := restartFrom(t, c, cfg, vals, 0); len(timersOf(acts, consensus.TimeoutEmptyBlock)) != 1 {
		t.Fatalf("restart: empty-block timers %v, want the running one once", timersOf(acts, consensus.TimeoutEmptyBlock))
	}
	// The others decide height 2 while the timer runs: the next height gets
	// its own interval.
	if armed := timersOf(afterCommitWait(c, 2), consensus.TimeoutEmptyBlock); len(armed) != 1 || armed[0].Timeout.Height != 3 {
		t.Fatalf("height 2 decided by the others: empty-block timers %v, want one for height 3", armed)
	}
	stale := consensus.Timeout{Kind: consensus.TimeoutEmptyBlock, Height: 2}
	if rp := ofType[consensus.RequestProposal](mustStep(t, c, consensus.TimeoutFired{Timeout: stale})); len(rp) != 0 {
		t.Fatalf("the stale empty-block timer of height 2 proposed %v", rp)
	}
	// Height 3 too, and during the commit wait of height 4 the others
	// decide it: no interval for a height already decided, also once its
	// commit wait is over.
	decideHeight(t, c, vals, 3)
	mustStep(t, c, consensus.Executed{Height: 3, Next: vals})
	acts := decideHeight(t, c, vals, 4)
	if armed := timersOf(acts, consensus.TimeoutEmptyBlock); len(armed) != 0 {
		t.Fatalf("empty-block timers %v for decided, unexecuted height 4", armed)
	}
	wait := timersOf(acts, consensus.TimeoutCommit)
	if armed := timersOf(mustStep(t, c, consensus.TimeoutFired{Timeout: wait[0].Timeout}), consensus.TimeoutEmptyBlock); len(armed) != 0 {
		t.Fatalf("empty-block timers %v for decided, unexecuted height 4", armed)
	}
	acts = mustStep(t, c, consensus.Executed{Height: 4, Next: vals})
	armed := timersOf(acts, consensus.TimeoutEmptyBlock)
	if len(armed) != 1 || armed[0].Timeout.Height != 5 {
		t.Fatalf("height 4 executed after its commit wait: empty-block timers %v, want one for height 5", armed)
	}
	if rp := ofType[consensus.RequestProposal](mustStep(t, c, consensus.TimeoutFired{Timeout: armed[0].Timeout})); len(rp) != 1 || rp[0].Height != 5 {
		t.Fatalf("empty-block interval over: proposal requests %v, want height 5", rp)
	}
	if _, acts := restartFrom(t, c, cfg, vals, 0); len(timersOf(acts, consensus.TimeoutEmptyBlock)) != 0 {
		t.Fatalf("restart re-armed the fired empty-block timer: %v", timersOf(acts, consensus.TimeoutEmptyBlock))
	}
}
