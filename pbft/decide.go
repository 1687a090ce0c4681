package pbft

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/bftnode/bftnode/consensus"
)

// checkCommittedConsistent halts on a second decision for sequence n: COMMITs
// of more than 2/3 of the power for two values, or for a value other than
// the one decided. With at most 1/3 Byzantine power neither can happen
// [§4.5.1]. A committed null request would leave a hole in the chain; the
// prepare-after-executing-n-1 rule rules it out, so it halts too.
func (c *Core) checkCommittedConsistent(n int64, view int32, value consensus.ID) error {
	if value == consensus.Nil {
		return broken("a null request was committed at sequence %d in view %d, leaving a hole in the chain", n, view)
	}
	if d, ok := c.decided[n]; ok && d != value {
		return broken("sequence %d was decided as %X but view %d committed %X", n, d, view, value)
	}
	views := c.slots[n].views
	for _, w := range sortedKeys(views) {
		if vs := views[w]; vs.committed && vs.commitValue != value {
			return broken("sequence %d committed as %X in view %d and as %X in view %d", n, vs.commitValue, w, value, view)
		}
	}
	return nil
}

// tryDecide hands the next block to the driver: strictly in order, and only
// once the previous one was executed [§4.2]. It comes either from a commit
// certificate in the log or from a block fetched from peers.
func (c *Core) tryDecide() error {
	if c.lastDecided != c.lastExecuted {
		return nil
	}
	n := c.lastDecided + 1
	var value consensus.ID
	var commit []consensus.Vote
	if s, ok := c.synced[n]; ok {
		value, commit = s.Value, s.Commit
	} else if s := c.slots[n]; s != nil {
		for _, w := range sortedKeys(s.views) {
			if vs := s.views[w]; vs.committed {
				value, commit = vs.commitValue, derefVotes(vs.commits.Messages(vs.commitValue))
				break
			}
		}
	}
	if commit == nil {
		return nil
	}
	if value == consensus.Nil {
		return broken("a null request would be decided at height %d, leaving a hole in the chain", n)
	}
	if s := c.slots[n]; s != nil {
		for _, w := range sortedKeys(s.views) {
			if vs := s.views[w]; vs.committed && vs.commitValue != value {
				return broken("height %d fetched as %X but view %d committed %X", n, value, w, vs.commitValue)
			}
		}
	}
	c.lastDecided = n
	delete(c.synced, n)
	// Decided values above the stable checkpoint answer NEW-VIEW
	// re-proposals; a replica that runs far ahead of its stable checkpoint
	// (fetching blocks) keeps only the latest 2L of them.
	if n > c.low() {
		c.decided[n] = value
		delete(c.decided, n-2*c.cfg.WatermarkWindow)
	}
	d := consensus.Decide{Height: n, Value: value, Commit: commit}
	c.pendingDecide = &d
	c.emit(d)
	c.armCommitWait(n + 1)
	// A backup holding the pre-prepare of a value it just decided prepares
	// it at once.
	c.tryPrepare(n)
	return nil
}

// onExecuted records that the block at Height was executed: the replica
// may now decide Height+1, prepare it, propose it, and checkpoints when
// Height is a multiple of K [§4.3].
func (c *Core) onExecuted(e consensus.Executed) error {
	if e.Height <= c.lastExecuted {
		return nil // a repeated answer
	}
	if e.Height != c.lastDecided || c.lastDecided != c.lastExecuted+1 {
		return invalid("executed height %d, but the block awaiting execution is %d (last executed %d)", e.Height, c.lastDecided, c.lastExecuted)
	}
	if len(e.AppHash) > maxAppHashBytes {
		return invalid("app hash of %d bytes; the limit is %d", len(e.AppHash), maxAppHashBytes)
	}
	next, err := copySet(e.Next)
	if err != nil {
		return invalid("validator set after height %d: %v", e.Height, err)
	}
	n := e.Height
	if n == c.stable.Height && !bytes.Equal(e.AppHash, c.stable.AppHash) {
		return broken("the application's hash after height %d is %X but the stable checkpoint says %X: the application is not deterministic or its state is corrupt; restore it from a snapshot of a correct node", n, e.AppHash, c.stable.AppHash)
	}
	c.lastExecuted = n
	c.proofDue = !bytes.Equal(e.AppHash, c.lastAppHash)
	c.lastAppHash = bytes.Clone(e.AppHash)
	c.pendingDecide = nil
	if c.sets.record(n+1, next) {
		c.retally(n + 1)
	}
	c.self = indexOf(c.current(), c.selfAddr)
	c.txsSeen, c.emptyDue = false, false
	c.watchLeftOut(n, e.LeftOut)
	if c.active {
		c.doublings = 0 // the view made progress [§4.5.2]
		c.vcTimer = timerMark{}
	}
	if n%c.cfg.CheckpointInterval == 0 {
		c.executedHashes[n] = c.lastAppHash
		// A replica that joined the set after n (a member of the current
		// set only) has no index to sign n's checkpoint with.
		if self := c.selfAt(n); self >= 0 && n > c.low() {
			c.emit(consensus.Broadcast{Msg: &consensus.Checkpoint{Height: n, AppHash: c.lastAppHash, Validator: self}})
		}
	}
	// The set of n+1 is known now: a checkpoint quorum at n+1 may count.
	if err := c.advanceStable(); err != nil {
		return err
	}
	if err := c.tryDecide(); err != nil {
		return err
	}
	c.askVerdict(n + 1)
	c.tryPrepare(n + 1)
	c.checkPrepared(n + 1) // the set of n+1 is known now
	c.progress()
	return nil
}

// onSynced takes a block fetched from peers with its commit. The driver
// verified the signatures; the core checks their power and then decides the
// block in order like a committed one.
func (c *Core) onSynced(s consensus.Synced) error {
	if err := c.checkHeight("fetched block", s.Height); err != nil {
		return err
	}
	if s.Value == consensus.Nil {
		return invalid("fetched block at height %d has an empty block ID", s.Height)
	}
	if err := checkID("fetched block", s.Value); err != nil {
		return err
	}
	if err := c.checkCommit(s.Height, s.Value, s.Commit); err != nil {
		return err
	}
	if s.Height <= c.lastDecided {
		if d, ok := c.decided[s.Height]; ok && d != s.Value {
			return broken("height %d was decided as %X but a fetched commit certifies %X", s.Height, d, s.Value)
		}
		return nil
	}
	// The window bounds what a replica keeps of blocks still in flight. The
	// next block in order, certified by a commit, is decided at once and
	// costs nothing to keep; refusing it would strand a replica whose log
	// lost its snapshot with its own stored blocks beyond the window.
	if s.Height > max(c.fetchTo, c.high()) && s.Height != c.lastDecided+1 {
		return nil // not asked for and beyond the window: do not store it
	}
	if _, ok := c.synced[s.Height]; ok {
		return nil
	}
	s.Commit = slices.Clone(s.Commit)
	c.synced[s.Height] = s
	return c.tryDecide()
}

// fetch asks the driver for the decided blocks up to to, which peers have
// proven to exist (a stable checkpoint, or checkpoints from more than 1/3 of
// the power) [§4.3].
func (c *Core) fetch(to int64) {
	if to <= c.fetchTo || to <= c.lastDecided {
		return
	}
	c.fetchTo = to
	c.fetchMark = c.lastDecided
	c.emit(consensus.FetchBlocks{From: c.lastDecided + 1, To: to})
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
