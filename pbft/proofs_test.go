package pbft

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// A VIEW-CHANGE's stable checkpoint is the genesis checkpoint (height
// InitialHeight-1, no app hash, no proof) or a multiple of the checkpoint
// interval at or above genesis with a proof; its prepared certificates hold
// PREPAREs of the certificate's view, sequence number and value only
// [§4.3, §4.4].
func TestViewChange_StableCheckpointAndCertificateShapes(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	withStable := func(sc consensus.StableCheckpoint) *consensus.ViewChange {
		vc := viewChangeMsg(1, 0)
		vc.Stable = sc
		return vc
	}
	commitInstead := cert(1, 0, "a")
	commitInstead.Prepares[1] = *commitVote(1, 0, "a", commitInstead.Prepares[1].Validator)
	otherHeight := cert(1, 0, "a")
	otherHeight.Prepares[1].Height = 2
	cases := map[string]*consensus.ViewChange{
		"genesis with an app hash":      withStable(consensus.StableCheckpoint{Height: 0, AppHash: []byte("made-up")}),
		"genesis with a proof":          withStable(consensus.StableCheckpoint{Height: 0, Proof: []consensus.Checkpoint{*checkpointMsg(cfg.CheckpointInterval, "h", 1)}}),
		"a multiple below genesis":      withStable(consensus.StableCheckpoint{Height: -cfg.CheckpointInterval}),
		"not a multiple of K":           withStable(stableProof(cfg.CheckpointInterval+1, "h")),
		"a COMMIT in place of PREPARE":  viewChangeMsg(1, 0, commitInstead),
		"a PREPARE of another sequence": viewChangeMsg(1, 0, otherHeight),
	}
	for name, vc := range cases {
		t.Run(name, func(t *testing.T) {
			wantInvalid(t, newCore(t, cfg, vals, 2), consensus.Receive{Msg: vc})
		})
	}
	if _, err := newCore(t, cfg, vals, 2).Step(consensus.Receive{Msg: viewChangeMsg(1, 0, cert(1, 0, "a"))}); err != nil {
		t.Fatalf("a well-formed view change: %v", err)
	}
}
