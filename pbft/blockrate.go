package pbft

import "github.com/bftnode/bftnode/consensus"

// The chain's block time follows CometBFT's [consensus] rules, so that an
// operator sets it the same way under either protocol:
//
//  1. timeout_commit: the primary proposes height n+1 no sooner than
//     TimeoutCommit after height n was decided. Like CometBFT, which counts
//     from the moment +2/3 precommits were seen, the wait starts at the
//     decision, so executing the block overlaps it.
//  2. Once the wait is over, a block is due when transactions wait, at the
//     chain's first height, or when executing the last block changed the
//     app hash (a "proof block": the new hash reaches a signed header only
//     in the next block, and light clients and proofs need it there).
//  3. Otherwise the primary waits create_empty_blocks_interval and then
//     proposes an empty block; with create_empty_blocks on and no interval
//     it proposes at once; with both off it waits for transactions.

// armCommitWait starts TimeoutCommit for height n, the one after a block
// just decided.
func (c *Core) armCommitWait(n int64) {
	if c.cfg.TimeoutCommit <= 0 {
		return
	}
	c.commitWait = timerMark{Armed: true, Height: n, After: c.cfg.TimeoutCommit}
	c.emit(consensus.SetTimeout{
		Timeout: consensus.Timeout{Kind: consensus.TimeoutCommit, Height: n},
		After:   c.cfg.TimeoutCommit,
	})
}

// commitWaiting reports that height n may not be proposed yet.
func (c *Core) commitWaiting(n int64) bool {
	return c.commitWait.Armed && c.commitWait.Height == n
}

func (c *Core) onCommitTimeout(t consensus.Timeout) {
	if !c.commitWaiting(t.Height) {
		return // stale: a later decision re-armed it
	}
	c.commitWait = timerMark{}
	c.progress()
}

// proposalDue reports whether the primary should propose height n now
// (rules 1 and 2 above; rule 3 sets emptyDue).
func (c *Core) proposalDue(n int64) bool {
	if c.commitWaiting(n) {
		return false
	}
	return c.txsSeen || c.emptyDue || c.proofDue || n == c.cfg.InitialHeight
}

// emptyBlocks reports whether the primary ever proposes without
// transactions: with create_empty_blocks, or, as in CometBFT, whenever an
// interval is set.
func (c *Core) emptyBlocks() bool {
	return c.cfg.CreateEmptyBlocks || c.cfg.EmptyBlockInterval > 0
}
