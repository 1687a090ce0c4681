package pbft

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// TestCheckpoint_EarlyCheckpointsCountOnceTheWindowCoversThem [§4.3]:
// checkpoints above the high watermark wait aside; once a stable checkpoint
// moves the window over their height, up to the new high watermark itself,
// they count towards that height's stability with the ones that come later.
// The stable checkpoint carries the quorum's checkpoints as its proof.
func TestCheckpoint_EarlyCheckpointsCountOnceTheWindowCoversThem(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 3) // checkpoints every 10, window 20
	mustStep(t, c, consensus.Start{})
	decideThrough(t, c, vals, 10)
	for _, i := range []int32{0, 1} {
		recv(t, c, checkpointMsg(30, "h30", i)) // above the high watermark 20
	}
	for _, i := range []int32{0, 1, 2} {
		recv(t, c, checkpointMsg(10, string(appHash(10, blockID(10, 0))), i))
	}
	if c.low() != 10 || c.high() != 30 {
		t.Fatalf("watermarks %d, %d; want 10, 30", c.low(), c.high())
	}
	if p := c.stable.Proof; len(p) != 3 || p[0].Height != 10 || p[0].Validator != 0 || p[2].Validator != 2 {
		t.Fatalf("stable checkpoint 10 proof %v, want the checkpoints of 0, 1 and 2", p)
	}
	decideThrough(t, c, vals, 29) // the set of height 30 is known now
	recv(t, c, checkpointMsg(30, "h30", 2))
	if c.low() != 30 {
		t.Fatalf("low watermark %d after checkpoints of 0, 1 (early) and 2 for 30; want 30", c.low())
	}
}

// TestCheckpoint_NoneSignedForTheStableHeightItself: a replica that fetched
// and executed the block of a checkpoint already stable signs no
// checkpoint for it: it is proven, and the replica signs nothing at or
// below its low watermark.
func TestCheckpoint_NoneSignedForTheStableHeightItself(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 3)
	mustStep(t, c, consensus.Start{})
	decideThrough(t, c, vals, 9) // the set of height 10 is known
	hash := string(appHash(10, blockID(10, 0)))
	var proof []consensus.Checkpoint
	for i := int32(0); i < 3; i++ {
		proof = append(proof, *checkpointMsg(10, hash, i))
	}
	recv(t, c, &consensus.ViewChange{View: 1, Validator: 0, Stable: consensus.StableCheckpoint{Height: 10, AppHash: []byte(hash), Proof: proof}})
	if c.low() != 10 {
		t.Fatalf("low watermark %d, want the proven checkpoint 10", c.low())
	}
	{
		n := int64(10)
		mustStep(t, c, consensus.Synced{Height: n, Value: blockID(n, 0), Commit: commitOf(n, blockID(n, 0), 0, 1, 2)})
		acts := mustStep(t, c, consensus.Executed{Height: n, AppHash: appHash(n, blockID(n, 0)), Next: vals})
		for _, b := range ofType[consensus.Broadcast](acts) {
			if cp, ok := b.Msg.(*consensus.Checkpoint); ok {
				t.Fatalf("executing fetched height %d signed checkpoint %d at or below the stable one", n, cp.Height)
			}
		}
	}
}

// TestViewChange_AcceptsViewsUpToMaxViewsAhead: VIEW-CHANGEs up to
// MaxViewsAhead views above the replica's own count; from more than 1/3 of
// the power they make it join [§4.5.2]. Beyond that they are dropped.
func TestViewChange_AcceptsViewsUpToMaxViewsAhead(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	far := int32(cfg.MaxViewsAhead)
	beyond := newCore(t, cfg, vals, 3)
	mustStep(t, beyond, consensus.Start{})
	for _, i := range []int32{0, 1} {
		if vcs := sentViewChanges(recv(t, beyond, viewChangeMsg(far+1, i))); len(vcs) != 0 {
			t.Fatalf("joined view %d beyond MaxViewsAhead: %v", far+1, vcs)
		}
	}
	c := newCore(t, cfg, vals, 3)
	mustStep(t, c, consensus.Start{})
	var sent []*consensus.ViewChange
	for _, i := range []int32{0, 1} {
		sent = append(sent, sentViewChanges(recv(t, c, viewChangeMsg(far, i)))...)
	}
	if len(sent) != 1 || sent[0].View != far {
		t.Fatalf("view changes to %d (MaxViewsAhead) from 1/3: sent %v, want one for %d", far, sent, far)
	}
}

// TestStateTransfer_NothingToFetchUpToTheLastDecision: a stable checkpoint
// at the height the replica decided last (not executed yet) leaves nothing
// to fetch.
func TestStateTransfer_NothingToFetchUpToTheLastDecision(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 3)
	mustStep(t, c, consensus.Start{})
	decideThrough(t, c, vals, 9)
	decideHeight(t, c, vals, 10)
	var acts []consensus.Action
	for i := int32(0); i < 3; i++ {
		acts = append(acts, recv(t, c, checkpointMsg(10, string(appHash(10, blockID(10, 0))), i))...)
	}
	if c.low() != 10 {
		t.Fatalf("low watermark %d, want 10", c.low())
	}
	if f := ofType[consensus.FetchBlocks](acts); len(f) != 0 {
		t.Fatalf("stable checkpoint at the last decided height: fetches %v, want none", f)
	}
}
