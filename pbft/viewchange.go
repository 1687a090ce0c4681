package pbft

import (
	"math"
	"slices"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// maxDoublings caps the exponent of the view-change timeout.
const maxDoublings = 16

// viewChangeTimeout is the base timeout doubled once per consecutive view
// change beyond the first [§4.5.2]: T while waiting for NEW-VIEW(v+1), 2T
// for v+2, and so on, until a block is executed again.
func (c *Core) viewChangeTimeout() time.Duration {
	shift := min(max(c.doublings-1, 0), maxDoublings)
	base := c.cfg.ViewChangeTimeout
	if base > time.Duration(math.MaxInt64>>shift) {
		return time.Duration(math.MaxInt64)
	}
	return base << shift
}

func (c *Core) onViewChangeTimeout(t consensus.Timeout) {
	m := c.vcTimer
	if !m.Armed || m.Height != t.Height || m.View != t.Round {
		return // stale
	}
	c.vcTimer = timerMark{}
	if c.active && !c.expectingProgress() {
		return
	}
	if c.view == math.MaxInt32 {
		return
	}
	c.startViewChange(c.view + 1)
}

// startViewChange moves the replica to view target: it stops accepting
// normal-case messages of lower views and multicasts VIEW-CHANGE(target)
// with its stable checkpoint and its P set: for every sequence number above
// the checkpoint that it prepared in some view, the certificate of the
// highest such view [§4.4]. Certificates are never dropped on the way.
func (c *Core) startViewChange(target int32) {
	if !c.isValidator() || target <= c.view {
		return
	}
	c.view, c.active = target, false
	c.newView, c.newViewSent, c.nvEvident = nil, false, false
	c.doublings = min(c.doublings+1, maxDoublings+1)
	c.vcTimer, c.emptyTimer = timerMark{}, timerMark{}
	c.stopRequestTimer() // the new primary gets a whole request timeout
	c.ownViewChange = nil
	for v, vc := range c.viewChanges {
		if vc.View < target {
			delete(c.viewChanges, v)
		}
	}
	for v, w := range c.voteViews {
		if w <= target {
			delete(c.voteViews, v)
		}
	}
	vc := &consensus.ViewChange{
		View:      target,
		Validator: c.self,
		Stable:    consensus.StableCheckpoint{Height: c.stable.Height, AppHash: c.stable.AppHash, Proof: slices.Clone(c.stable.Proof)},
		Prepared:  c.pSet(),
	}
	c.emit(consensus.Broadcast{Msg: vc})
	c.afterViewChanges()
}

// pSet is the replica's prepared certificates above its stable checkpoint,
// in sequence order.
func (c *Core) pSet() []consensus.PreparedCert {
	var p []consensus.PreparedCert
	for _, n := range sortedKeys(c.prepared) {
		if n > c.low() {
			p = append(p, c.prepared[n])
		}
	}
	return p
}

// onViewChange counts a VIEW-CHANGE after validating it in full: its stable
// checkpoint proof and every prepared certificate [§4.4]. Only each
// validator's latest view change is kept.
func (c *Core) onViewChange(vc *consensus.ViewChange) error {
	if vc.View < 1 {
		return invalid("view change to view %d; views changed to start at 1", vc.View)
	}
	if vals := c.current(); !vals.Has(vc.Validator) {
		return invalid("view change signed by validator index %d; the set has %d validators", vc.Validator, vals.Size())
	}
	if c.tooFarAhead(vc.View) {
		return nil
	}
	if vc.View < c.view || (vc.View == c.view && c.active) {
		c.replyToLaggard(vc.Validator)
		return nil
	}
	old := c.viewChanges[vc.Validator]
	if old != nil && (old.View > vc.View || old.View == vc.View && digestViewChange(old) == digestViewChange(vc)) {
		return nil // stale or a retransmission: nothing to validate
	}
	if err := c.checkViewChange(vc); err != nil {
		return err
	}
	if old != nil && old.View == vc.View {
		if c.vcEvident[vc.Validator] == vc.View {
			return nil
		}
		c.vcEvident[vc.Validator] = vc.View
		c.evidence(old, vc)
		return nil
	}
	c.viewChanges[vc.Validator] = vc
	if vc.Validator == c.self {
		c.ownViewChange = vc
	}
	if err := c.adoptVCStable(vc.Stable); err != nil {
		return err
	}
	c.afterViewChanges()
	return nil
}

// afterViewChanges applies the rules that fire on counted view changes:
// joining a higher view backed by more than 1/3 of the power, starting the
// NEW-VIEW timer once more than 2/3 of the power left the old views, and the
// new primary's NEW-VIEW [§4.4, §4.5.2].
func (c *Core) afterViewChanges() {
	if !c.isValidator() {
		return
	}
	if target, ok := c.joinTarget(); ok {
		c.startViewChange(target)
		return
	}
	if c.active {
		return
	}
	// [§4.5.2] rule 1: wait for view changes of more than 2/3 of the power
	// before starting the timer, so that a replica that timed out alone
	// does not race through views the others never reach.
	if !c.vcTimer.Armed && c.current().IsQuorum(c.viewChangePower(c.view)) {
		d := c.viewChangeTimeout()
		c.vcTimer = timerMark{Armed: true, Height: 0, View: c.view, After: d}
		c.emit(consensus.SetTimeout{Timeout: consensus.Timeout{Kind: consensus.TimeoutViewChange, Round: c.view}, After: d})
	}
	c.tryNewView()
}

// joinTarget applies [§4.5.2] rule 2: view changes for views above the
// replica's own from other validators with more than 1/3 of the power (so at
// least one correct one) make it join the smallest of those views, even if
// its own timer has not expired.
//
// A validator's PREPAREs and COMMITs of a higher view count as its view
// change too: it votes in a view only once a NEW-VIEW brought it there. A
// replica that missed a whole view change (no VIEW-CHANGE, no NEW-VIEW, and
// blocks kept coming by state transfer, so its own timer never fired) would
// otherwise stay active in the old view for good, sending nothing that shows
// its view, so nobody would answer it with the NEW-VIEW; its VIEW-CHANGE
// gets that answer (replyToLaggard).
func (c *Core) joinTarget() (int32, bool) {
	vals := c.current()
	var power int64
	target := int32(math.MaxInt32)
	for i := range vals.Validators {
		v := int32(i)
		w := c.knownView(v)
		if v != c.self && w > c.view {
			power += vals.Power(v)
			target = min(target, w)
		}
	}
	return target, vals.IsOneThird(power)
}

// knownView is the highest view validator v is known to have moved to,
// by its VIEW-CHANGE or its votes; -1 if none above ours is known.
func (c *Core) knownView(v int32) int32 {
	w := int32(-1)
	if vc := c.viewChanges[v]; vc != nil {
		w = vc.View
	}
	if vw, ok := c.voteViews[v]; ok {
		w = max(w, vw)
	}
	return w
}

// noteVoteView records that a validator voted in a view above the
// replica's own, and applies the join rule when that is news.
func (c *Core) noteVoteView(v *consensus.Vote) {
	who := c.currentIndex(v.Height, v.Validator) // voteViews counts with the current set
	if who < 0 || who == c.self || v.Round <= c.view || c.voteViews[who] >= v.Round {
		return
	}
	c.voteViews[who] = v.Round
	c.afterViewChanges()
}

// viewChangePower is the power of validators whose latest view change is
// for view w or higher.
func (c *Core) viewChangePower(w int32) int64 {
	vals := c.current()
	var power int64
	for v, vc := range c.viewChanges {
		if vc.View >= w {
			power += vals.Power(v)
		}
	}
	return power
}

// adoptVCStable adopts the stable checkpoint a valid VIEW-CHANGE carries,
// once the replica knows the set of its height; before that checkStable
// could weigh its proof with an assumed set only, so the replica just
// fetches the blocks up to it (advanceStable explains why).
func (c *Core) adoptVCStable(sc consensus.StableCheckpoint) error {
	if !c.knowsSetOf(sc.Height) {
		c.fetch(sc.Height)
		return nil
	}
	return c.adoptStable(sc)
}
