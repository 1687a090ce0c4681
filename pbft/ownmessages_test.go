package pbft

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// A replica keeps the signed copies of its own PREPARE, COMMIT and
// CHECKPOINT, and only those, to send them again: on every retransmission
// tick (its votes of undecided sequence numbers, its latest CHECKPOINT) and
// as the COMMIT it answers a replica still preparing a sequence number it
// decided (replyWithCommit).

// fireRetransmit steps the live retransmission timer and returns what the
// replica sent again.
func fireRetransmit(t *testing.T, c *Core) []consensus.Message {
	t.Helper()
	var out []consensus.Message
	acts := mustStep(t, c, consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutRetransmit, Height: c.retransmit}})
	for _, s := range ofType[consensus.Send](acts) {
		out = append(out, s.Msg)
	}
	return out
}

func TestRetransmit_ResendsOwnPrepareAndCommitOnly(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	mustStep(t, c, consensus.Start{})
	value := blockID(1, 0)
	recv(t, c, prePrepare(1, 0, value, 0))
	acts := mustStep(t, c, consensus.Verdict{Height: 1, Value: value, Valid: true})
	if len(broadcastVotes(acts, consensus.Prevote)) != 1 {
		t.Fatalf("no PREPARE after a valid verdict: %v", acts)
	}
	recv(t, c, prepareVote(1, 0, value, 1))        // its own PREPARE, back from the driver
	acts = recv(t, c, prepareVote(1, 0, value, 2)) // with the primary's pre-prepare: power 3 of 4
	acts = append(acts, recv(t, c, prepareVote(1, 0, value, 3))...)
	if len(broadcastVotes(acts, consensus.Precommit)) != 1 {
		t.Fatalf("no COMMIT once prepared: %v", acts)
	}
	recv(t, c, commitVote(1, 0, value, 1)) // its own COMMIT
	recv(t, c, commitVote(1, 0, value, 2)) // not yet a commit quorum
	var prepares, commits int
	for _, m := range fireRetransmit(t, c) {
		v, ok := m.(*consensus.Vote)
		if !ok {
			continue
		}
		if v.Validator != c.self {
			t.Fatalf("retransmission resends validator %d's %s; the replica is %d", v.Validator, v.Type, c.self)
		}
		switch v.Type {
		case consensus.Prevote:
			prepares++
		case consensus.Precommit:
			commits++
		}
	}
	if prepares != 1 || commits != 1 {
		t.Fatalf("retransmission resent %d own PREPAREs and %d own COMMITs, want 1 and 1", prepares, commits)
	}
}

func TestReplyWithCommit_AnswersALaggardWithOwnCommit(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	mustStep(t, c, consensus.Start{})
	decideThrough(t, c, vals, 2)
	acts := recv(t, c, prepareVote(1, 0, blockID(1, 0), 3)) // validator 3 still prepares height 1
	sends := ofType[consensus.Send](acts)
	if len(sends) != 1 || sends[0].To != 3 {
		t.Fatalf("answer to a PREPARE for a decided height: %v, want one message to validator 3", acts)
	}
	v, ok := sends[0].Msg.(*consensus.Vote)
	if !ok || v.Type != consensus.Precommit || v.Validator != c.self || v.Height != 1 || v.Value != blockID(1, 0) {
		t.Fatalf("answer %v, want the replica's own COMMIT for height 1", sends[0].Msg)
	}
}

func TestRetransmit_ResendsOwnLatestCheckpointOnly(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	cfg.CheckpointInterval, cfg.WatermarkWindow = 2, 4
	c := newCore(t, cfg, vals, 1)
	mustStep(t, c, consensus.Start{})
	decideThrough(t, c, vals, 2)
	own := checkpointMsg(2, string(appHash(2, blockID(2, 0))), 1)
	recv(t, c, own)
	recv(t, c, checkpointMsg(2, string(own.AppHash), 2)) // power 2 of 4: not stable
	recv(t, c, checkpointMsg(4, "ahead", 3))             // another validator's later one
	var cps []consensus.Checkpoint
	for _, m := range fireRetransmit(t, c) {
		if cp, ok := m.(*consensus.Checkpoint); ok {
			cps = append(cps, *cp)
		}
	}
	if len(cps) != 1 || cps[0].Validator != c.self || cps[0].Height != 2 {
		t.Fatalf("retransmission resent checkpoints %+v, want the replica's own of height 2", cps)
	}
	if c.low() != 0 {
		t.Fatalf("stable checkpoint %d, want none yet", c.low())
	}
}
