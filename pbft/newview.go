package pbft

import (
	"github.com/bftnode/bftnode/consensus"
)

// tryNewView is the new primary's step [§4.4]: with VIEW-CHANGEs for its
// view from more than 2/3 of the power, its own among them, it multicasts
// NEW-VIEW with those view changes (V) and the pre-prepares O derived from
// them.
func (c *Core) tryNewView() {
	if c.active || !c.isPrimary() || c.newViewSent {
		return
	}
	if own := c.viewChanges[c.self]; own == nil || own.View != c.view {
		return
	}
	vals := c.current()
	var vcs []consensus.ViewChange
	var power int64
	for i := int32(0); int(i) < vals.Size(); i++ {
		if vc := c.viewChanges[i]; vc != nil && vc.View == c.view {
			vcs = append(vcs, *vc)
			power += vals.Power(i)
		}
	}
	if !vals.IsQuorum(power) {
		return
	}
	_, o := c.computeO(c.view, vcs)
	c.newViewSent = true
	nv := &consensus.NewView{View: c.view, Validator: c.self, ViewChanges: vcs, PrePrepares: o}
	c.emit(consensus.Broadcast{Msg: nv})
}

// computeO derives a NEW-VIEW's O set from its view changes V [§4.4]:
// min-s is the highest stable checkpoint in V, max-s the highest sequence
// number of a prepared certificate in V; every n in (min-s, max-s] gets a
// pre-prepare for the value of the certificate of the highest view for n,
// or a null request if V holds none. It also returns min-s's checkpoint.
func (c *Core) computeO(view int32, vcs []consensus.ViewChange) (consensus.StableCheckpoint, []consensus.Proposal) {
	minS := vcs[0].Stable
	for i := range vcs {
		if vcs[i].Stable.Height > minS.Height {
			minS = vcs[i].Stable
		}
	}
	best := map[int64]*consensus.PreparedCert{}
	maxS := minS.Height
	for i := range vcs {
		if c.bug.ignorePSet {
			break // the unsafe variant under test: every P set counts as empty
		}
		for j := range vcs[i].Prepared {
			pc := &vcs[i].Prepared[j]
			n := pc.PrePrepare.Height
			if n <= minS.Height {
				continue
			}
			if b, ok := best[n]; !ok || pc.PrePrepare.Round > b.PrePrepare.Round {
				best[n] = pc
			}
			maxS = max(maxS, n)
		}
	}
	var o []consensus.Proposal
	for n := minS.Height + 1; n > minS.Height && n <= maxS; n++ {
		value := consensus.Nil
		if b, ok := best[n]; ok {
			value = b.PrePrepare.Value
		}
		// The primary signs each pre-prepare with its index in the set of
		// the pre-prepare's height, which is how peers check it.
		o = append(o, consensus.Proposal{Height: n, Round: view, POLRound: -1, Value: value, Proposer: c.primaryAt(view, n)})
	}
	return minS, o
}

// onNewView validates a NEW-VIEW and enters its view: every view change in V
// is checked, their power must exceed 2/3, and O is recomputed and must
// match [§4.4].
func (c *Core) onNewView(nv *consensus.NewView) error {
	if nv.View < 1 {
		return invalid("new view for view %d; views changed to start at 1", nv.View)
	}
	if vals := c.current(); !vals.Has(nv.Validator) {
		return invalid("new view signed by validator index %d; the set has %d validators", nv.Validator, vals.Size())
	}
	if c.tooFarAhead(nv.View) || nv.View < c.view {
		return nil
	}
	// Only the primary of a view sends its NEW-VIEW [§4.4]; checked first,
	// so that another validator's NEW-VIEW for this view is never paired
	// with the primary's as evidence against the primary.
	if primary := c.primaryOf(nv.View); nv.Validator != primary {
		return invalid("new view for view %d from validator %d; the primary is %d", nv.View, nv.Validator, primary)
	}
	if nv.View == c.view && c.active {
		if c.newView == nil || c.nvEvident || digestNewView(c.newView) == digestNewView(nv) {
			return nil
		}
		c.nvEvident = c.evidence(c.newView, nv)
		return nil
	}
	if err := c.checkNewView(nv); err != nil {
		return err
	}
	return c.enterView(nv)
}

func (c *Core) checkNewView(nv *consensus.NewView) error {
	vals := c.current()
	if len(nv.ViewChanges) == 0 || len(nv.ViewChanges) > vals.Size() {
		return invalid("new view holds %d view changes for %d validators", len(nv.ViewChanges), vals.Size())
	}
	if int64(len(nv.PrePrepares)) > c.cfg.WatermarkWindow {
		return invalid("new view holds %d pre-prepares; the window holds %d", len(nv.PrePrepares), c.cfg.WatermarkWindow)
	}
	seen := make(map[int32]bool, len(nv.ViewChanges))
	var power int64
	for i := range nv.ViewChanges {
		vc := &nv.ViewChanges[i]
		if vc.View != nv.View {
			return invalid("new view for view %d holds a view change for view %d", nv.View, vc.View)
		}
		if err := c.checkViewChange(vc); err != nil {
			return err
		}
		if seen[vc.Validator] {
			return invalid("new view holds two view changes of validator %d", vc.Validator)
		}
		seen[vc.Validator] = true
		power += vals.Power(vc.Validator)
	}
	if !vals.IsQuorum(power) {
		return invalid("new view's view changes have power %d of %d; they need more than 2/3", power, vals.TotalPower())
	}
	_, want := c.computeO(nv.View, nv.ViewChanges)
	if len(want) != len(nv.PrePrepares) {
		return invalid("new view for view %d has %d pre-prepares; its view changes call for %d", nv.View, len(nv.PrePrepares), len(want))
	}
	for i := range want {
		w, got := &want[i], &nv.PrePrepares[i]
		if got.Height != w.Height || got.Round != w.Round || got.POLRound != w.POLRound || got.Value != w.Value || got.Proposer != w.Proposer {
			return invalid("new view for view %d: pre-prepare for sequence %d is (%d, %X), its view changes call for (%d, %X)", nv.View, w.Height, got.Height, got.Value, w.Height, w.Value)
		}
	}
	return nil
}

// enterView installs a validated NEW-VIEW: the replica adopts min-s's
// checkpoint (fetching blocks if behind), logs the pre-prepares of O and
// prepares them under the normal rules [§4.4].
func (c *Core) enterView(nv *consensus.NewView) error {
	minS, _ := c.computeO(nv.View, nv.ViewChanges)
	c.view, c.active = nv.View, true
	c.newView, c.newViewSent, c.nvEvident = nv, false, false
	c.vcTimer, c.emptyTimer = timerMark{}, timerMark{}
	c.ownViewChange = nil
	for v, vc := range c.viewChanges {
		if vc.View <= nv.View {
			delete(c.viewChanges, v)
		}
	}
	if err := c.setStable(minS); err != nil {
		return err
	}
	var logged []int64
	for i := range nv.PrePrepares {
		pp := &nv.PrePrepares[i]
		if !c.inWindow(pp.Height) {
			continue
		}
		if vs := c.viewSlotFor(pp.Height, nv.View); vs != nil {
			vs.prePrepare, vs.fromNewView = pp, true
			logged = append(logged, pp.Height)
		}
	}
	for _, n := range logged {
		if err := c.afterPrePrepare(n); err != nil {
			return err
		}
	}
	c.progress()
	return nil
}
