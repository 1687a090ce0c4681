package sim

import (
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// ForgedSyncScenario is the family whose Byzantine validators vote as
// honest ones but answer block sync with forged blocks: a value nobody
// decided, carried by a commit that is not one. Its precommits are the
// Byzantine validators' own (less than 1/3 of the power), sometimes one of
// them twice, sometimes padded with the real commit's precommits (for
// another value), sometimes all of one view but claiming another. Honest
// nodes fall behind through crashes and isolation, and fetch from a
// Byzantine peer when one is reachable. A core that checks a synced
// block's commit (2f+1 distinct precommits of one round or view for that
// value) never decides a forged block; one that skips any part does. In
// PBFT the forgers also forge the stable checkpoint of their VIEW-CHANGEs
// (see stableForgery) and send CHECKPOINTs far above every window (see
// aheadCheckpoint).
const ForgedSyncScenario = "forgedsync"

// forgedSyncPlan crashes and isolates honest nodes so that they need block
// sync.
func (w *world) forgedSyncPlan(p *plan) {
	w.forgery = newStableForgery()
	p.healAt = w.between(2*time.Second, 5*time.Second)
	p.faultMaxDelay = 30 * time.Millisecond
	w.addPartitions(p, []string{"isolate"}, 1+w.rng.IntN(2))
	w.addCrashes(p, 1+w.rng.IntN(3))
}

// forges reports whether p answers block sync with forged blocks.
func (p *node) forges() bool {
	return p.byz != nil && p.byz.kind == behaveForgeSync
}

// forgedBlocks is what the forger p serves instead of blocks: the first
// block asked for is forged, the rest real.
func (w *world) forgedBlocks(p *node, blocks []consensus.Synced) []consensus.Synced {
	if len(blocks) == 0 {
		return blocks
	}
	real := blocks[0]
	round := int32(0)
	if len(real.Commit) > 0 {
		round = real.Commit[0].Round
	}
	forged := consensus.Synced{Height: real.Height, Value: w.newValue(p.val, real.Height, true)}
	for _, b := range w.nodes {
		if b.honest || containsVoter(forged.Commit, b.val) {
			continue
		}
		v := consensus.Vote{Type: consensus.Precommit, Height: real.Height, Round: round, Value: forged.Value, Validator: b.val}
		signed, err := b.signer.signUnprotected(&v)
		if err != nil {
			continue
		}
		forged.Commit = append(forged.Commit, *signed.(*consensus.Vote))
	}
	if len(forged.Commit) == 0 {
		return blocks
	}
	switch w.rng.IntN(3) {
	case 0: // one attacker counted twice
		for range len(real.Commit) {
			forged.Commit = append(forged.Commit, forged.Commit[0])
		}
	case 1: // padded with the real commit: precommits for another value
		forged.Commit = append(forged.Commit, cloneVotes(real.Commit)...)
	}
	w.tracef("n%d forges block %d: %s with %d precommits", p.slot, forged.Height, forged.Value, len(forged.Commit))
	return append([]consensus.Synced{forged}, blocks[1:]...)
}

func containsVoter(commit []consensus.Vote, val int32) bool {
	for _, v := range commit {
		if v.Validator == val {
			return true
		}
	}
	return false
}
