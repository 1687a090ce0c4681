package sim

import (
	"github.com/bftnode/bftnode/consensus"
)

// repeatV is a Byzantine new primary's NEW-VIEW nv with V forged (PBFT
// [§4.4]): the view changes are the attackers' own that nv holds, each
// stripped of its P set and re-signed by its validator (a VIEW-CHANGE
// that claims nothing prepared is one a Byzantine validator can sign),
// repeated in turn until their power, counted once per copy, exceeds 2/3;
// O is what they call for: nothing, as they carry no certificate. A
// replica that counts each validator once refuses it (the attackers hold
// less than 1/3 of the power). One that counts repeats enters the view
// with no pre-prepare logged, so the attackers' fresh PRE-PREPARE for
// the height the honest validators are stuck at, sent after it, is the
// only one there, and the honest validators that did not commit that
// height prepare and commit a second value for it. It returns nil when
// repeats cannot make a quorum within one view change per validator, or
// the stuck height lies outside the window of V's stable checkpoint.
func (a *lockAttack) repeatV(n *node, nv *consensus.NewView) consensus.Message {
	s := a.stale
	if f, ok := s.forged[nv.View]; ok {
		return f.newView
	}
	w := n.w
	vals := w.genesis
	var own []consensus.ViewChange
	var stable int64
	for i := range nv.ViewChanges {
		vc := &nv.ViewChanges[i]
		if w.honestVal[vc.Validator] {
			continue
		}
		stripped := cloneViewChange(*vc)
		stripped.Prepared = nil
		signed, err := w.nodeOf(vc.Validator).signer.signUnprotected(&stripped)
		if err != nil {
			return nil
		}
		own = append(own, *signed.(*consensus.ViewChange))
		stable = max(stable, vc.Stable.Height)
	}
	var v []consensus.ViewChange
	var power int64
	for i := 0; len(own) > 0 && !vals.IsQuorum(power) && len(v) < vals.Size(); i++ {
		vc := own[i%len(own)]
		v = append(v, vc)
		power += vals.Power(vc.Validator)
	}
	stuck := w.lowestHonestHeight()
	if !vals.IsQuorum(power) || stuck <= stable {
		return nil
	}
	forged := cloneMessage(nv).(*consensus.NewView)
	forged.ViewChanges, forged.PrePrepares = v, nil
	signed := resign(n, nv, forged)
	value := w.newValue(n.val, stuck, true)
	follow, ok := freedSlotVotes(n, stuck, nv.View, value)
	if signed == consensus.Message(nv) || !ok {
		return nil
	}
	a.push[roundKey{stuck, nv.View}] = value
	s.forged[nv.View] = forgedNewView{newView: signed, follow: follow}
	w.tracef("n%d builds its new view %d from %d copies of the attackers' view changes and pre-prepares %s at height %d", n.slot, nv.View, len(v), valueName(value), stuck)
	return signed
}

// nodeOf is the node of validator val (the first, for twins).
func (w *world) nodeOf(val int32) *node {
	for _, o := range w.nodes {
		if o.val == val {
			return o
		}
	}
	return nil
}
