package pbft

import (
	"github.com/bftnode/bftnode/consensus"
)

// maxViewsPerSlot bounds how many views' messages a replica keeps for one
// sequence number, so that a Byzantine validator voting in many views
// cannot grow the log without limit. The current view is always kept.
const maxViewsPerSlot = 4

// slot is the log of one sequence number.
type slot struct {
	views    map[int32]*viewSlot
	verdicts map[consensus.ID]bool // the application's verdicts on values proposed here
	asked    map[consensus.ID]bool // verdicts requested
}

// viewSlot is the log of one sequence number in one view.
type viewSlot struct {
	prePrepare  *consensus.Proposal
	fromNewView bool // the pre-prepare came in the NEW-VIEW's O set
	ppEvident   bool
	prepares    *consensus.Tally[*consensus.Vote]
	commits     *consensus.Tally[*consensus.Vote]
	sentPrepare bool
	sentCommit  bool
	ownPrepare  *consensus.Vote
	ownCommit   *consensus.Vote
	certified   bool // prepared(m, v, n) held and was recorded
	committed   bool // COMMITs of more than 2/3 of the power for one value
	commitValue consensus.ID
}

func newViewSlot(vals *consensus.ValidatorSet) *viewSlot {
	return &viewSlot{
		prepares: consensus.NewTally[*consensus.Vote](vals),
		commits:  consensus.NewTally[*consensus.Vote](vals),
	}
}

// lookup returns the log of (n, v) if it exists.
func (c *Core) lookup(n int64, v int32) *viewSlot {
	if s := c.slots[n]; s != nil {
		return s.views[v]
	}
	return nil
}

// slotFor returns the log of n, creating it.
func (c *Core) slotFor(n int64) *slot {
	s := c.slots[n]
	if s == nil {
		s = &slot{views: map[int32]*viewSlot{}, verdicts: map[consensus.ID]bool{}, asked: map[consensus.ID]bool{}}
		c.slots[n] = s
	}
	return s
}

// viewSlotFor returns the log of (n, v), creating it. When n already holds
// maxViewsPerSlot views it evicts the view farthest from the current one,
// or returns nil if that is v itself.
func (c *Core) viewSlotFor(n int64, v int32) *viewSlot {
	s := c.slotFor(n)
	if vs := s.views[v]; vs != nil {
		return vs
	}
	if len(s.views) >= maxViewsPerSlot {
		evict := v
		for w := range s.views {
			if w != c.view && farther(w, evict, c.view) {
				evict = w
			}
		}
		if evict == v {
			return nil
		}
		delete(s.views, evict)
	}
	vs := newViewSlot(c.sets.at(n))
	s.views[v] = vs
	return vs
}

// farther reports whether view a is farther from cur than view b; ties
// evict the higher view, deterministically.
func farther(a, b, cur int32) bool {
	da, db := dist(a, cur), dist(b, cur)
	if da != db {
		return da > db
	}
	return a > b
}

func dist(a, b int32) int64 {
	d := int64(a) - int64(b)
	if d < 0 {
		return -d
	}
	return d
}

// collectGarbage discards everything about sequence numbers <= h once the
// checkpoint at h is stable [§4.3].
func (c *Core) collectGarbage(h int64) {
	for n := range c.slots {
		if n <= h {
			delete(c.slots, n)
		}
	}
	for n := range c.prepared {
		if n <= h {
			delete(c.prepared, n)
		}
	}
	for n := range c.decided {
		if n <= h {
			delete(c.decided, n)
		}
	}
	for n := range c.checkpoints {
		if n <= h {
			delete(c.checkpoints, n)
		}
	}
	for n := range c.executedHashes {
		if n < h {
			delete(c.executedHashes, n)
		}
	}
	// The set of h itself stays: the stable checkpoint's proof, and those
	// of other replicas' VIEW-CHANGEs at h, are weighed with it (checkStable).
	c.sets.prune(min(h, c.lastExecuted+1))
}

// retally counts the messages of heights >= from again after the validator
// set of those heights changed.
func (c *Core) retally(from int64) {
	for n, s := range c.slots {
		if n < from {
			continue
		}
		vals := c.sets.at(n)
		for _, vs := range s.views {
			prepares, commits := vs.prepares.All(), vs.commits.All()
			vs.prepares = consensus.NewTally[*consensus.Vote](vals)
			vs.commits = consensus.NewTally[*consensus.Vote](vals)
			vs.committed = false
			for _, m := range prepares {
				vs.prepares.Add(m.Validator, m.Value, m)
			}
			for _, m := range commits {
				vs.commits.Add(m.Validator, m.Value, m)
				if !vs.committed && vs.commits.HasQuorum(m.Value) {
					vs.committed, vs.commitValue = true, m.Value
				}
			}
		}
	}
	for h, cs := range c.checkpoints {
		if h >= from {
			c.checkpoints[h] = cs.recount(c.sets.at(h))
		}
	}
}
