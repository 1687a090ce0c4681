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
// another value), sometimes all of one view but claiming another.
// Sometimes the block is the real one with an empty commit, with the
// honest prevotes (PBFT: PREPAREs) that prepared it padded to a quorum as
// its commit (see prevotesAsCommit), or with a commit that mixes rounds
// (views):
// the real precommits of the round that decided it, with the forgers' own
// for the same block in the next round (see mixedRounds). Honest nodes
// fall behind through crashes and isolation, and fetch from a Byzantine
// peer when one is reachable. A core that checks a synced block's commit
// (2f+1 distinct precommits of one round or view for that value) never
// decides a forged block, nor one whose commit is no certificate (the
// checker verifies every decision's commit); one that skips any part does. In
// PBFT the forgers also forge the stable checkpoint of their VIEW-CHANGEs
// (see stableForgery) and send CHECKPOINTs far above every window (see
// aheadCheckpoint) or, in every fifth seed, at a lower height with a later digest
// (see lowerTwin).
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
	// At odd heights the real block with prevotes for a commit replaces
	// the empty and the mixed-round commits below (the height, not the
	// random source, picks, so the family's other draws stay as they
	// were); the prevotes are gathered only when served.
	prevotesServed := func() ([]consensus.Synced, bool) {
		if real.Height%2 == 0 {
			return nil, false
		}
		prevotes, ok := w.prevotesAsCommit(real, round)
		if !ok {
			return nil, false
		}
		w.tracef("n%d serves block %d with %d prevotes of round %d as its commit", p.slot, real.Height, len(prevotes), round)
		return append([]consensus.Synced{{Height: real.Height, Value: real.Value, Commit: prevotes}}, blocks[1:]...), true
	}
	if w.rng.IntN(8) == 0 { // the real block with no commit at all
		if served, ok := prevotesServed(); ok {
			return served
		}
		w.tracef("n%d serves block %d with an empty commit", p.slot, real.Height)
		return append([]consensus.Synced{{Height: real.Height, Value: real.Value}}, blocks[1:]...)
	}
	if w.rng.IntN(4) == 0 {
		if served, ok := prevotesServed(); ok {
			return served
		}
		if mixed, ok := w.mixedRounds(real, round+1); ok {
			w.tracef("n%d serves block %d with a commit of rounds %d and %d", p.slot, real.Height, round+1, round)
			return append([]consensus.Synced{mixed}, blocks[1:]...)
		}
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

// prevotesAsCommit is a commit for the real block that is no certificate:
// the honest prevotes (PBFT: PREPAREs) for it in the round that decided
// it, padded with the Byzantine validators' own, each validator once, so
// that their power is a quorum. The rule is precommits [§4.3: a commit
// certificate is 2f+1 COMMITs; Algorithm 1 line 49: 2f+1 precommits]; a
// core that checks only the height, the round, the value and the power
// accepts it, and the checker refuses a decision justified by it. ok is
// false when the forgers saw no such prevotes or cannot make a quorum.
func (w *world) prevotesAsCommit(real consensus.Synced, round int32) ([]consensus.Vote, bool) {
	if w.forgery == nil {
		return nil, false
	}
	byVal := w.forgery.prevotes[slotKey{real.Height, round, real.Value}]
	if len(byVal) == 0 {
		return nil, false
	}
	var votes []consensus.Vote
	var power int64
	for _, val := range sortedKeys(byVal) {
		votes = append(votes, cloneVote(byVal[val]))
		power += w.genesis.Power(val)
	}
	for _, b := range w.nodes {
		if b.honest || containsVoter(votes, b.val) {
			continue
		}
		v := consensus.Vote{Type: consensus.Prevote, Height: real.Height, Round: round, Value: real.Value, Validator: b.val}
		if signed, err := b.signer.signUnprotected(&v); err == nil {
			votes = append(votes, *signed.(*consensus.Vote))
			power += w.genesis.Power(b.val)
		}
	}
	return votes, w.genesis.IsQuorum(power)
}

// mixedRounds is the real block with a commit that is no certificate: the
// Byzantine validators' precommits for it in round other first, then the
// real commit's precommits of the others. Its power is the real commit's
// (each validator once), so a core that checks only the validators, the
// height and the power accepts it; the rule is one round [§4.3: COMMITs of
// one view], and the checker refuses a decision justified by it. ok is
// false when no Byzantine validator signed the real commit.
func (w *world) mixedRounds(real consensus.Synced, other int32) (consensus.Synced, bool) {
	mixed := consensus.Synced{Height: real.Height, Value: real.Value}
	for _, b := range w.nodes {
		if b.honest || !containsVoter(real.Commit, b.val) || containsVoter(mixed.Commit, b.val) {
			continue
		}
		v := consensus.Vote{Type: consensus.Precommit, Height: real.Height, Round: other, Value: real.Value, Validator: b.val}
		signed, err := b.signer.signUnprotected(&v)
		if err != nil {
			continue
		}
		mixed.Commit = append(mixed.Commit, *signed.(*consensus.Vote))
	}
	if len(mixed.Commit) == 0 {
		return real, false
	}
	for _, v := range real.Commit {
		if !containsVoter(mixed.Commit, v.Validator) {
			mixed.Commit = append(mixed.Commit, v)
		}
	}
	mixed.Commit = cloneVotes(mixed.Commit)
	return mixed, true
}

func containsVoter(commit []consensus.Vote, val int32) bool {
	for _, v := range commit {
		if v.Validator == val {
			return true
		}
	}
	return false
}
