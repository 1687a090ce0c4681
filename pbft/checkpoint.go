package pbft

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/bftnode/bftnode/consensus"
)

// checkpointSlot counts the CHECKPOINTs of one height; the tally's value is
// the application hash.
type checkpointSlot struct {
	tally  *consensus.Tally[*consensus.Checkpoint]
	hashes []consensus.ID // distinct digests seen, in arrival order
}

func newCheckpointSlot(vals *consensus.ValidatorSet) *checkpointSlot {
	return &checkpointSlot{tally: consensus.NewTally[*consensus.Checkpoint](vals)}
}

func (cs *checkpointSlot) add(cp *consensus.Checkpoint) (counted bool, prior *consensus.Checkpoint, conflict bool) {
	d := consensus.ID(cp.AppHash)
	counted, prior, conflict = cs.tally.Add(cp.Validator, d, cp)
	if counted && !slices.Contains(cs.hashes, d) {
		cs.hashes = append(cs.hashes, d)
	}
	return counted, prior, conflict
}

// quorum returns the digest with more than 2/3 of the power, if any.
func (cs *checkpointSlot) quorum() (consensus.ID, bool) {
	for _, d := range cs.hashes {
		if cs.tally.HasQuorum(d) {
			return d, true
		}
	}
	return "", false
}

func (cs *checkpointSlot) recount(vals *consensus.ValidatorSet) *checkpointSlot {
	fresh := newCheckpointSlot(vals)
	for _, cp := range cs.tally.All() {
		fresh.add(cp)
	}
	return fresh
}

// onCheckpoint counts a CHECKPOINT [§4.3]. Within the watermarks it joins
// the tally of its height; above the high watermark only each validator's
// latest one is kept, which is enough to learn that more than 1/3 of the
// power is ahead.
func (c *Core) onCheckpoint(cp *consensus.Checkpoint) error {
	if err := c.checkCheckpointFields(cp); err != nil {
		return err
	}
	if cp.Height <= c.low() {
		return nil
	}
	if cp.Validator == c.selfAt(cp.Height) && (c.ownCheckpoint == nil || c.ownCheckpoint.Height < cp.Height) {
		c.ownCheckpoint = cp
	}
	if cp.Height <= c.high() {
		cs := c.checkpoints[cp.Height]
		if cs == nil {
			cs = newCheckpointSlot(c.sets.at(cp.Height))
			c.checkpoints[cp.Height] = cs
		}
		if _, prior, conflict := cs.add(cp); conflict {
			c.evidence(prior, cp)
			return nil
		}
		return c.advanceStable()
	}
	if old := c.ahead[cp.Validator]; old != nil {
		if old.Height > cp.Height {
			return nil
		}
		if old.Height == cp.Height {
			if bytes.Equal(old.AppHash, cp.AppHash) || c.aheadEvident[cp.Validator] == cp.Height {
				return nil
			}
			c.aheadEvident[cp.Validator] = cp.Height
			c.evidence(old, cp)
			return nil
		}
	}
	c.ahead[cp.Validator] = cp
	if err := c.advanceStable(); err != nil {
		return err
	}
	c.fetchAhead()
	return nil
}

// advanceStable makes the highest checkpoint with more than 2/3 of the power
// of its height's set stable. A quorum at a height whose set the replica
// does not know yet only starts fetching the blocks up to it: adopted, its
// proof might be a quorum of an earlier set's powers only, which every
// replica that knows the height's set refuses in this replica's
// VIEW-CHANGEs. onExecuted tries again once the set is known.
func (c *Core) advanceStable() error {
	for {
		sc, ok, unknownSet := c.findStable()
		if unknownSet > 0 {
			c.fetch(unknownSet)
		}
		if !ok {
			return nil
		}
		if err := c.adoptStable(sc); err != nil {
			return err
		}
	}
}

// knowsSetOf reports whether the replica knows the validator set of height
// h: Executed{n} reports the set of n+1, and for later heights c.sets.at
// only assumes that the latest set still applies.
func (c *Core) knowsSetOf(h int64) bool { return h <= c.lastExecuted+1 }

// findStable returns the highest checkpoint above the low watermark that
// validators with more than 2/3 of the power of its height's set signed,
// with its proof, among the heights whose set the replica knows; unknownSet
// is the highest height above it with such a quorum under the set assumed
// for it (0 if none).
func (c *Core) findStable() (best consensus.StableCheckpoint, ok bool, unknownSet int64) {
	best = consensus.StableCheckpoint{Height: c.low()}
	consider := func(sc consensus.StableCheckpoint) {
		switch {
		case !c.knowsSetOf(sc.Height):
			unknownSet = max(unknownSet, sc.Height)
		case sc.Height > best.Height:
			best = sc
		}
	}
	for _, h := range sortedKeys(c.checkpoints) {
		cs := c.checkpoints[h]
		if d, ok := cs.quorum(); ok && h > best.Height {
			consider(consensus.StableCheckpoint{Height: h, AppHash: []byte(d), Proof: derefCheckpoints(cs.tally.Messages(d))})
		}
	}
	for _, v := range sortedKeys(c.ahead) {
		cp := c.ahead[v]
		if cp.Height <= best.Height {
			continue
		}
		vals := c.sets.at(cp.Height)
		var proof []consensus.Checkpoint
		var power int64
		for _, w := range sortedKeys(c.ahead) {
			if o := c.ahead[w]; o.Height == cp.Height && bytes.Equal(o.AppHash, cp.AppHash) {
				proof = append(proof, *o)
				power += vals.Power(w)
			}
		}
		if vals.IsQuorum(power) {
			consider(consensus.StableCheckpoint{Height: cp.Height, AppHash: bytes.Clone(cp.AppHash), Proof: proof})
		}
	}
	if unknownSet <= best.Height {
		unknownSet = 0
	}
	return best, best.Height > c.low(), unknownSet
}

// adoptStable makes sc, whose proof is valid, the stable checkpoint and lets
// the primary use the window that opened.
func (c *Core) adoptStable(sc consensus.StableCheckpoint) error {
	if sc.Height <= c.low() {
		return nil
	}
	if err := c.setStable(sc); err != nil {
		return err
	}
	c.progress()
	return nil
}

// setStable makes sc, whose proof is valid, the stable checkpoint: the log
// up to it is discarded, the watermarks advance [§4.3], and a replica that
// has not executed up to it fetches the blocks it lacks.
func (c *Core) setStable(sc consensus.StableCheckpoint) error {
	if sc.Height <= c.low() {
		return nil
	}
	if own, ok := c.executedHashes[sc.Height]; ok && sc.Height <= c.lastExecuted && !bytes.Equal(own, sc.AppHash) {
		return broken("this replica's application hash after height %d is %X but more than 2/3 of the power signed %X: the application is not deterministic or its state is corrupt; restore it from a snapshot of a correct node", sc.Height, own, sc.AppHash)
	}
	c.stable = consensus.StableCheckpoint{Height: sc.Height, AppHash: bytes.Clone(sc.AppHash), Proof: slices.Clone(sc.Proof)}
	c.collectGarbage(sc.Height)
	c.migrateAhead()
	c.snapshotDue = true
	c.fetch(sc.Height)
	return nil
}

// migrateAhead moves checkpoints that the advanced window now covers from
// the per-validator store into the tallies.
func (c *Core) migrateAhead() {
	for _, v := range sortedKeys(c.ahead) {
		cp := c.ahead[v]
		if cp.Height > c.high() {
			continue
		}
		delete(c.ahead, v)
		if cp.Height <= c.low() {
			continue
		}
		cs := c.checkpoints[cp.Height]
		if cs == nil {
			cs = newCheckpointSlot(c.sets.at(cp.Height))
			c.checkpoints[cp.Height] = cs
		}
		cs.add(cp)
	}
}

// fetchAhead starts state transfer when validators with more than 1/3 of
// the power, so at least one correct one, have checkpoints above the high
// watermark: the replica has fallen behind [§4.3].
func (c *Core) fetchAhead() {
	type claim struct {
		height int64
		power  int64
	}
	vals := c.current()
	var claims []claim
	for _, v := range sortedKeys(c.ahead) {
		claims = append(claims, claim{c.ahead[v].Height, vals.Power(v)})
	}
	slices.SortStableFunc(claims, func(a, b claim) int { return cmp.Compare(b.height, a.height) })
	var power int64
	for _, cl := range claims {
		power += cl.power
		if vals.IsOneThird(power) {
			c.fetch(cl.height)
			return
		}
	}
}

func derefCheckpoints(cs []*consensus.Checkpoint) []consensus.Checkpoint {
	out := make([]consensus.Checkpoint, len(cs))
	for i, cp := range cs {
		out[i] = *cp
	}
	return out
}
