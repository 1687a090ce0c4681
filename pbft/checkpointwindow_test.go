package pbft

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// Checkpoints and fetched blocks against the watermarks h < n <= h+L
// [§4.3]: a CHECKPOINT at the stable height h is not logged again (the log
// up to h was discarded), one at h+L is in the window (only those above it
// prove the replica fell behind), and a fetched block at h+L is kept.

// smallWindow is K = 2, L = 4.
func smallWindow() Config {
	cfg := testConfig()
	cfg.CheckpointInterval, cfg.WatermarkWindow = 2, 4
	return cfg
}

func TestCheckpoint_AtTheStableHeightIsNotLoggedAgain(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, smallWindow(), vals, 0)
	mustStep(t, c, consensus.Start{})
	decideThrough(t, c, vals, 2)
	hash := string(appHash(2, blockID(2, 0)))
	for i := int32(1); i <= 2; i++ {
		recv(t, c, checkpointMsg(2, hash, i))
	}
	recv(t, c, checkpointMsg(2, hash, 0))
	if c.low() != 2 {
		t.Fatalf("stable checkpoint %d, want 2", c.low())
	}
	recv(t, c, checkpointMsg(2, hash, 3)) // a late one, at the low watermark
	if _, ok := c.checkpoints[2]; ok {
		t.Fatal("a CHECKPOINT at the stable height was logged again after garbage collection")
	}
}

func TestCheckpoint_AtTheHighWatermarkIsNoSignOfFallingBehind(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := smallWindow()
	c := newCore(t, cfg, vals, 0)
	mustStep(t, c, consensus.Start{})
	var acts []consensus.Action
	for i := int32(2); i <= 3; i++ { // power 2 of 4: more than 1/3
		acts = append(acts, recv(t, c, checkpointMsg(cfg.WatermarkWindow, "h", i))...)
	}
	if f := ofType[consensus.FetchBlocks](acts); len(f) != 0 {
		t.Fatalf("CHECKPOINTs at exactly h+L made the replica fetch %v", f)
	}
	acts = nil
	for i := int32(2); i <= 3; i++ {
		acts = append(acts, recv(t, c, checkpointMsg(cfg.WatermarkWindow+cfg.CheckpointInterval, "h", i))...)
	}
	if f := ofType[consensus.FetchBlocks](acts); len(f) != 1 || f[0].To != cfg.WatermarkWindow+cfg.CheckpointInterval {
		t.Fatalf("CHECKPOINTs of 2 of 4 above h+L: fetches %v, want up to %d", f, cfg.WatermarkWindow+cfg.CheckpointInterval)
	}
}

func TestSynced_BlockAtTheHighWatermarkIsKept(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := smallWindow()
	c := newCore(t, cfg, vals, 0)
	mustStep(t, c, consensus.Start{})
	synced := func(n int64) consensus.Synced {
		value := blockID(n, 0)
		var commit []consensus.Vote
		for i := int32(1); i <= 3; i++ {
			commit = append(commit, *commitVote(n, 0, value, i))
		}
		return consensus.Synced{Height: n, Value: value, Commit: commit}
	}
	mustStep(t, c, synced(cfg.WatermarkWindow)) // ahead of order, at exactly h+L
	for n := int64(1); n < cfg.WatermarkWindow; n++ {
		mustStep(t, c, synced(n))
		mustStep(t, c, consensus.Executed{Height: n, AppHash: appHash(n, blockID(n, 0)), Next: vals})
	}
	if c.lastDecided != cfg.WatermarkWindow {
		t.Fatalf("decided through %d, want %d: the block fetched at h+L was dropped", c.lastDecided, cfg.WatermarkWindow)
	}
}

// CHECKPOINTs of the first height of a new validator set that arrived
// before the replica knew that set are counted again with it: a stable
// checkpoint needs more than 2/3 of the power of its own height's set.
func TestCheckpoint_RecountedWithTheSetOfItsHeight(t *testing.T) {
	equal := testVals(t, 1, 1, 1, 1)
	heavy := testVals(t, 5, 1, 1, 1) // the same validators; validator 0 now holds 5 of 8
	c := newCore(t, smallWindow(), equal, 0)
	mustStep(t, c, consensus.Start{})
	for i := int32(1); i <= 3; i++ { // 3 of 4 under the set assumed for height 2
		recv(t, c, checkpointMsg(2, "h", i))
	}
	value := blockID(1, 0)
	for i := int32(1); i <= 3; i++ {
		recv(t, c, commitVote(1, 0, value, i))
	}
	if c.lastDecided != 1 {
		t.Fatalf("height 1 not decided")
	}
	mustStep(t, c, consensus.Executed{Height: 1, AppHash: appHash(1, value), Next: heavy})
	if c.low() != 0 {
		t.Fatalf("stable checkpoint %d from CHECKPOINTs of 3 of height 2's 8", c.low())
	}
}

// A replica whose stable checkpoint ran ahead of its decisions still
// decides the block at the checkpoint's height, but keeps decided values
// above the checkpoint only: everything about sequence numbers up to it is
// discarded [§4.3], in memory and in the snapshot the step saves.
func TestDecide_AtTheStableHeightKeepsNoDecidedValue(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, smallWindow(), vals, 0)
	mustStep(t, c, consensus.Start{})
	v1, v2 := blockID(1, 0), blockID(2, 0)
	for i := int32(1); i <= 3; i++ {
		recv(t, c, commitVote(1, 0, v1, i))
	}
	var commit []consensus.Vote
	for i := int32(1); i <= 3; i++ {
		commit = append(commit, *commitVote(2, 0, v2, i))
	}
	mustStep(t, c, consensus.Synced{Height: 2, Value: v2, Commit: commit}) // kept until 1 is executed
	for i := int32(1); i <= 3; i++ {
		recv(t, c, checkpointMsg(2, string(appHash(2, v2)), i))
	}
	acts := mustStep(t, c, consensus.Executed{Height: 1, AppHash: appHash(1, v1), Next: vals})
	if c.low() != 2 || c.lastDecided != 2 {
		t.Fatalf("stable %d, decided through %d; want the checkpoint at 2 stable and height 2 decided", c.low(), c.lastDecided)
	}
	if d, ok := c.decided[2]; ok {
		t.Fatalf("decided value %q kept at the stable height", d)
	}
	saves := ofType[consensus.SaveSnapshot](acts)
	if len(saves) != 1 {
		t.Fatalf("%d snapshots saved with the new stable checkpoint, want 1", len(saves))
	}
	restored, err := New(smallWindow(), addr(0), nil, saves[0].State)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := restored.decided[2]; ok {
		t.Fatalf("the snapshot keeps decided value %q at the stable height", d)
	}
}
