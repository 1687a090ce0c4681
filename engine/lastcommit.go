package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/types"
)

// The commit a block carries for its parent (its LastCommit) is the one
// Cosmos chains read to tell who was live: x/slashing counts a validator
// missing from it as having missed the block, and x/distribution rewards
// by it. A core decides on the first quorum of precommits (PBFT: COMMITs),
// so the engine keeps collecting the rest of that round's precommits after
// the decision, as CometBFT's LastCommit vote set does, and the proposer of
// the next block gives the last ones a short chance to arrive.

const (
	// lateVoteWaitCap bounds how long a proposer holds its proposal for
	// precommits still missing from the commit it will carry: CometBFT's
	// default timeout_commit, which its proposers always wait. The wait
	// itself follows the measured spread, so the cap matters only for
	// links slower than any seen on a real chain.
	lateVoteWaitCap = time.Second
	// lateVoteWaitFirst is the wait before any spread was measured.
	lateVoteWaitFirst = 20 * time.Millisecond
	// spreadSamples is how many recent heights the wait is derived from.
	spreadSamples = 64
	// liveWindow: a validator whose signature is in none of the commits of
	// this many recent heights is taken to be down and not waited for.
	liveWindow = 8
	// earlyRoundsKept bounds the precommits kept per validator for a height
	// not decided yet.
	earlyRoundsKept = 4
	// maxEarlyKeys bounds the (height, validator) pairs kept before their
	// decision: two heights of the largest validator set.
	maxEarlyKeys = 2 * types.MaxVotesCount
)

// commitVotes is the commit of the latest decided height as it grows.
type commitVotes struct {
	height  int64
	round   int32
	id      consensus.ID
	blockID types.BlockID
	sigs    []types.ExtendedCommitSig // by validator index
	// decidedAt is when the decision reached the engine; zero for a
	// commit read back from the store, which is never waited on.
	decidedAt time.Time
	// measured tells that the spread of this height was recorded.
	measured bool
	// unsaved tells that sigs changed since the store last saw them.
	unsaved bool
}

// earlyKey names the precommits of one validator at a height not yet
// decided.
type earlyKey struct {
	height    int64
	validator int32
}

// lateVotes collects precommits that arrive after (or beside) a decision
// and measures how late the last of them comes.
type lateVotes struct {
	cur   *commitVotes
	early map[earlyKey][]consensus.Vote
	// spreads are recent times from a decision to the last precommit of
	// its round, for heights where every validator signed.
	spreads []time.Duration
	// lastSigned is the latest height whose commit a validator (by
	// address) is in.
	lastSigned map[string]int64
	// firstHeight is the first height decided since the engine started.
	firstHeight int64
}

func newLateVotes() *lateVotes {
	return &lateVotes{early: map[earlyKey][]consensus.Vote{}, lastSigned: map[string]int64{}}
}

// decided starts the commit of a decision from the core's quorum and the
// precommits of the same round that arrived before it.
func (l *lateVotes) decided(d consensus.Decide, vals *types.ValidatorSet, now time.Time) (*commitVotes, error) {
	commit, err := wire.CommitFromVotes(d.Commit, vals)
	if err != nil {
		return nil, err
	}
	c := &commitVotes{height: d.Height, round: commit.Round, id: d.Value, blockID: commit.BlockID,
		sigs: make([]types.ExtendedCommitSig, len(commit.Signatures)), decidedAt: now, unsaved: true}
	for i, s := range commit.Signatures {
		c.sigs[i] = types.ExtendedCommitSig{CommitSig: s}
	}
	for i := range d.Commit {
		v := &d.Commit[i]
		c.sigs[v.Validator].Extension = v.Extension
		c.sigs[v.Validator].ExtensionSignature = v.ExtensionSignature
	}
	if l.firstHeight == 0 {
		l.firstHeight = d.Height
	}
	for k, votes := range l.early {
		if k.height > d.Height {
			continue
		}
		delete(l.early, k)
		if k.height == d.Height {
			for i := range votes {
				c.add(&votes[i], vals)
			}
		}
	}
	l.cur = c
	l.noteSigners(vals)
	return c, nil
}

// observe takes a verified precommit: one for the latest decided height
// joins its commit; one for the next heights waits for their decision.
// It reports whether the commit changed.
func (l *lateVotes) observe(v *consensus.Vote, lastHeight int64, vals *types.ValidatorSet, now time.Time, measure bool) bool {
	if v.Type != consensus.Precommit {
		return false
	}
	if c := l.cur; c != nil && v.Height == c.height {
		if !c.add(v, vals) {
			return false
		}
		l.noteSigners(vals)
		if measure && !c.measured && !c.decidedAt.IsZero() && c.complete() {
			c.measured = true
			l.recordSpread(now.Sub(c.decidedAt))
		}
		return true
	}
	if v.Height <= lastHeight || v.Height > lastHeight+2 {
		return false
	}
	if len(l.early) >= maxEarlyKeys {
		// Heights decided without passing through decided (replayed or
		// already executed) leave their entries behind.
		for k := range l.early {
			if k.height <= lastHeight {
				delete(l.early, k)
			}
		}
		if len(l.early) >= maxEarlyKeys {
			return false
		}
	}
	k := earlyKey{v.Height, v.Validator}
	kept := l.early[k]
	for _, old := range kept {
		if old.Round == v.Round {
			return false
		}
	}
	kept = append(kept, *v)
	if len(kept) > earlyRoundsKept {
		kept = kept[len(kept)-earlyRoundsKept:]
	}
	l.early[k] = kept
	return false
}

// add places a precommit of the commit's round: for the decided block as a
// commit signature, for nil as a nil signature (which CometBFT's commits
// carry too and VerifyCommit checks). Votes of other rounds or blocks, and
// from validators already in, are left out.
func (c *commitVotes) add(v *consensus.Vote, vals *types.ValidatorSet) bool {
	if v.Height != c.height || v.Round != c.round || int(v.Validator) >= len(c.sigs) || vals == nil {
		return false
	}
	if have := c.sigs[v.Validator]; have.BlockIDFlag != types.BlockIDFlagAbsent &&
		(have.BlockIDFlag != types.BlockIDFlagCommit || len(have.ExtensionSignature) > 0 || len(v.ExtensionSignature) == 0) {
		// Taken once; a signature from a fetched block's commit, which
		// has no extension, gives way to the same validator's extended
		// precommit.
		return false
	}
	_, val := vals.GetByIndex(v.Validator)
	if val == nil {
		return false
	}
	flag := types.BlockIDFlagCommit
	switch v.Value {
	case c.id:
	case consensus.Nil:
		flag = types.BlockIDFlagNil
	default:
		return false
	}
	s := types.ExtendedCommitSig{CommitSig: types.CommitSig{BlockIDFlag: flag, ValidatorAddress: val.Address,
		Timestamp: v.Timestamp, Signature: v.Signature}}
	if flag == types.BlockIDFlagCommit {
		s.Extension, s.ExtensionSignature = v.Extension, v.ExtensionSignature
	}
	c.sigs[v.Validator] = s
	c.unsaved = true
	return true
}

func (c *commitVotes) complete() bool {
	for _, s := range c.sigs {
		if s.BlockIDFlag == types.BlockIDFlagAbsent {
			return false
		}
	}
	return true
}

// extended is the commit with the vote extensions it holds.
func (c *commitVotes) extended() *types.ExtendedCommit {
	return &types.ExtendedCommit{Height: c.height, Round: c.round, BlockID: c.blockID,
		ExtendedSignatures: slices.Clone(c.sigs)}
}

func commitVotesFrom(ec *types.ExtendedCommit) (*commitVotes, error) {
	if ec == nil || !ec.BlockID.IsComplete() {
		return nil, fmt.Errorf("the stored commit of the latest block is missing or names no complete block")
	}
	return &commitVotes{height: ec.Height, round: ec.Round, id: wire.EncodeID(ec.BlockID), blockID: ec.BlockID,
		sigs: slices.Clone(ec.ExtendedSignatures)}, nil
}

func (l *lateVotes) noteSigners(vals *types.ValidatorSet) {
	for _, s := range l.cur.sigs {
		if s.BlockIDFlag != types.BlockIDFlagAbsent {
			l.lastSigned[string(s.ValidatorAddress)] = l.cur.height
		}
	}
	if len(l.lastSigned) > 4*vals.Size()+16 {
		for a, h := range l.lastSigned {
			if h < l.cur.height-liveWindow {
				delete(l.lastSigned, a)
			}
		}
	}
}

func (l *lateVotes) recordSpread(d time.Duration) {
	l.spreads = append(l.spreads, d)
	if len(l.spreads) > spreadSamples {
		l.spreads = l.spreads[len(l.spreads)-spreadSamples:]
	}
}

// wait is how long after a decision a proposer waits for missing
// precommits: twice the 90th percentile of the recent spreads between the
// decision and the last precommit, plus a millisecond for scheduling,
// capped. The wait ends as soon as the precommits are in, so a generous
// bound costs time only when a vote never comes (a validator that just
// went down, for the liveWindow heights it is still taken to be live); a
// tight one leaves out every vote in the spread's tail. The percentile
// rather than the longest keeps one stall of a busy machine from
// stretching the wait for the next spreadSamples heights. On an idle
// loopback network the spread is about a millisecond, usually covered by
// executing the block; across a WAN it is the one-way delay to the
// farthest validator, 110 ms between regions 220 ms apart.
func (l *lateVotes) wait() time.Duration {
	if len(l.spreads) == 0 {
		return lateVoteWaitFirst
	}
	sorted := slices.Sorted(slices.Values(l.spreads))
	p90 := sorted[len(sorted)*9/10]
	return min(lateVoteWaitCap, 2*p90+time.Millisecond)
}

// deadline is when the proposer of the next block stops waiting for
// precommits of the current commit; zero when it need not wait: every
// validator that is live signed, the commit was read back from the store,
// or the wait is over.
func (l *lateVotes) deadline(vals *types.ValidatorSet, now time.Time) time.Time {
	if !l.missingLive(vals) {
		return time.Time{}
	}
	until := l.cur.decidedAt.Add(l.wait())
	if !now.Before(until) {
		return time.Time{}
	}
	return until
}

// missingLive tells whether the commit of a decision made here lacks a
// validator that is live.
func (l *lateVotes) missingLive(vals *types.ValidatorSet) bool {
	c := l.cur
	if c == nil || c.decidedAt.IsZero() || vals == nil {
		return false
	}
	for i, s := range c.sigs {
		if s.BlockIDFlag == types.BlockIDFlagAbsent && i < vals.Size() && l.live(vals.Validators[i].Address, c.height) {
			return true
		}
	}
	return false
}

// live tells whether a validator signed one of the recent commits; for the
// first heights after a start every validator is taken to be live.
func (l *lateVotes) live(addr []byte, height int64) bool {
	if height-l.firstHeight < liveWindow {
		return true
	}
	last, ok := l.lastSigned[string(addr)]
	return ok && last >= height-liveWindow
}
