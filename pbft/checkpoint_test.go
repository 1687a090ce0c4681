package pbft

import (
	"errors"
	"fmt"
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

func TestCheckpoint_StableAtQuorumCollectsGarbage(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig() // K = 10, L = 20
	c := newCore(t, cfg, vals, 1)
	decideThrough(t, c, vals, 9)
	// Some log above the checkpoint must survive garbage collection.
	recv(t, c, commitVote(10, 0, blockID(10, 0), 0))
	recv(t, c, commitVote(10, 0, blockID(10, 0), 2))
	acts := recv(t, c, commitVote(10, 0, blockID(10, 0), 3))
	if d := ofType[consensus.Decide](acts); len(d) != 1 {
		t.Fatalf("height 10 not decided: %v", acts)
	}
	recv(t, c, prePrepare(11, 0, "b11", 0))
	acts = mustStep(t, c, consensus.Executed{Height: 10, AppHash: appHash(10, blockID(10, 0)), Next: vals})
	var own *consensus.Checkpoint
	for _, b := range ofType[consensus.Broadcast](acts) {
		if cp, ok := b.Msg.(*consensus.Checkpoint); ok {
			own = cp
		}
	}
	if own == nil || own.Height != 10 || string(own.AppHash) != string(appHash(10, blockID(10, 0))) || own.Validator != 1 {
		t.Fatalf("no checkpoint after executing 10: %v", acts)
	}
	hash := string(own.AppHash)
	recv(t, c, sign(own))
	recv(t, c, checkpointMsg(10, hash, 0))
	if c.low() != 0 {
		t.Fatal("stable with checkpoints of half the power")
	}
	acts = recv(t, c, checkpointMsg(10, hash, 3))
	if c.low() != 10 || c.high() != 30 {
		t.Fatalf("watermarks (%d, %d], want (10, 30]", c.low(), c.high())
	}
	if len(ofType[consensus.SaveSnapshot](acts)) != 1 {
		t.Fatalf("no snapshot saved when the checkpoint became stable: %v", acts)
	}
	if len(c.stable.Proof) != 3 {
		t.Fatalf("stable proof holds %d checkpoints, want 3", len(c.stable.Proof))
	}
	for n := range c.slots {
		if n <= 10 {
			t.Fatalf("log entry %d survived the stable checkpoint", n)
		}
	}
	if c.lookup(11, 0) == nil {
		t.Fatal("log entry 11 was discarded")
	}
	if len(c.checkpoints) != 0 || len(c.decided) != 0 {
		t.Fatalf("checkpoints %d, decided %d left below the watermark", len(c.checkpoints), len(c.decided))
	}
	// Messages at or below the new low watermark are ignored.
	if acts := recv(t, c, commitVote(10, 0, blockID(10, 0), 2)); len(acts) != 0 || c.slots[10] != nil {
		t.Fatalf("old commit was logged: %v", acts)
	}
}

func TestCheckpoint_DivergedApplicationHalts(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	decideThrough(t, c, vals, 10)
	recv(t, c, checkpointMsg(10, "other", 0))
	recv(t, c, checkpointMsg(10, "other", 2))
	_, err := c.Step(consensus.Receive{Msg: checkpointMsg(10, "other", 3)})
	if !errors.Is(err, ErrBrokenInvariant) {
		t.Fatalf("stable checkpoint with another app hash than ours: %v, want a broken invariant", err)
	}
}

func TestCheckpoint_Validation(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	wantInvalid(t, c, consensus.Receive{Msg: checkpointMsg(15, "h", 0)}) // not a multiple of K
	wantInvalid(t, c, consensus.Receive{Msg: checkpointMsg(0, "h", 0)})
	wantInvalid(t, c, consensus.Receive{Msg: checkpointMsg(10, "h", 7)})
	wantInvalid(t, c, consensus.Receive{Msg: checkpointMsg(10, string(make([]byte, maxAppHashBytes+1)), 0)})
}

func TestStateTransfer_FetchOnOneThirdCheckpointsAboveWatermark(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 3) // window (0, 20]
	if acts := recv(t, c, checkpointMsg(50, "h50", 0)); len(ofType[consensus.FetchBlocks](acts)) != 0 {
		t.Fatalf("fetched on a quarter of the power: %v", acts)
	}
	acts := recv(t, c, checkpointMsg(40, "h40", 1))
	f := ofType[consensus.FetchBlocks](acts)
	if len(f) != 1 || f[0] != (consensus.FetchBlocks{From: 1, To: 40}) {
		t.Fatalf("fetch %v, want 1..40: half the power is at 40 or above", acts)
	}
	if acts := recv(t, c, checkpointMsg(40, "h40", 2)); len(ofType[consensus.FetchBlocks](acts)) != 0 {
		t.Fatalf("asked again for the same blocks: %v", acts)
	}
	// A fetched block is checked and decided in order.
	commit := func(h int64, value consensus.ID, voters ...int32) []consensus.Vote {
		var out []consensus.Vote
		for _, i := range voters {
			out = append(out, *commitVote(h, 3, value, i))
		}
		return out
	}
	wantInvalid(t, c, consensus.Synced{Height: 1, Value: "b1", Commit: commit(1, "b1", 0, 1)})
	wantInvalid(t, c, consensus.Synced{Height: 1, Value: "b1", Commit: commit(1, "b1", 0, 1, 1)})
	wantInvalid(t, c, consensus.Synced{Height: 1, Value: "b1", Commit: commit(1, "other", 0, 1, 2)})
	if acts := mustStep(t, c, consensus.Synced{Height: 2, Value: "b2", Commit: commit(2, "b2", 0, 1, 2)}); len(acts) != 0 {
		t.Fatalf("decided 2 before 1: %v", acts)
	}
	acts = mustStep(t, c, consensus.Synced{Height: 1, Value: "b1", Commit: commit(1, "b1", 0, 1, 2)})
	if d := ofType[consensus.Decide](acts); len(d) != 1 || d[0].Height != 1 {
		t.Fatalf("fetched height 1 not decided: %v", acts)
	}
	acts = mustStep(t, c, consensus.Executed{Height: 1, AppHash: []byte("h1"), Next: vals})
	if d := ofType[consensus.Decide](acts); len(d) != 1 || d[0].Height != 2 {
		t.Fatalf("fetched height 2 not decided after 1 executed: %v", acts)
	}
}

func TestStateTransfer_StableProofInViewChangeBeyondExecution(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 3)
	var proof []consensus.Checkpoint
	for i := int32(0); i < 3; i++ {
		proof = append(proof, *checkpointMsg(20, "h20", i))
	}
	vc := &consensus.ViewChange{View: 1, Validator: 0, Stable: consensus.StableCheckpoint{Height: 20, AppHash: []byte("h20"), Proof: proof}}
	acts := recv(t, c, vc)
	if f := ofType[consensus.FetchBlocks](acts); len(f) != 1 || f[0] != (consensus.FetchBlocks{From: 1, To: 20}) {
		t.Fatalf("stable proof for 20 in a view change: %v, want fetch 1..20", acts)
	}
	// The set of height 20 is unknown before Executed{19}, so the proof was
	// weighed with an assumed set: the replica fetches, and adopts a
	// checkpoint at 20 once it knows the set (advanceStable).
	if c.low() != 0 {
		t.Fatalf("low watermark %d before the set of height 20 is known, want 0", c.low())
	}
}

// A replica rebuilt without its snapshot (a torn log) replays its own
// stored blocks: each next block in order is decided even beyond the high
// watermark, which no checkpoint of its peers will move for it again.
func TestSyncedNextBlockBeyondTheWindowIsDecided(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 3)
	mustStep(t, c, consensus.Start{})
	top := c.high() + 5
	for h := int64(1); h <= top; h++ {
		value := consensus.ID(fmt.Sprintf("b%d", h))
		var commit []consensus.Vote
		for i := int32(0); i < 3; i++ {
			commit = append(commit, *commitVote(h, 0, value, i))
		}
		acts := mustStep(t, c, consensus.Synced{Height: h, Value: value, Commit: commit})
		if d := ofType[consensus.Decide](acts); len(d) != 1 || d[0].Height != h {
			t.Fatalf("stored block %d (high watermark %d) not decided: %v", h, c.high(), acts)
		}
		mustStep(t, c, consensus.Executed{Height: h, AppHash: []byte(fmt.Sprintf("h%d", h)), Next: vals})
	}
	far := top + 2
	var commit []consensus.Vote
	for i := int32(0); i < 3; i++ {
		commit = append(commit, *commitVote(far, 0, "far", i))
	}
	if acts := mustStep(t, c, consensus.Synced{Height: far, Value: "far", Commit: commit}); len(acts) != 0 {
		t.Fatalf("a block out of order beyond the window was taken: %v", acts)
	}
}
