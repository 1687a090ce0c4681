package sim

import (
	"slices"

	"github.com/bftnode/bftnode/consensus"
)

// hiddenCertified is attacker n's VIEW-CHANGE vc in a primaryHidden run,
// with a certificate that raises the hidden value's view: the honest
// replicas never prepared it in view 0 (the network hid its PREPAREs), a
// later view committed a fresh value at the same sequence number at the
// favoured replica only, and the others carry that value's certificate.
// The attacker that leads the latest view below vc's, above the one the
// fresh value committed in, signs a pre-prepare of the hidden value in it,
// certified by the honest view-0 PREPAREs (see hiddenCert). A replica that
// checks every PREPARE's view against the pre-prepare's [§4.2: PREPAREs
// match the pre-prepare's view, sequence number and digest] refuses the
// view change; one that does not lets the hidden value win the sequence
// number in the new view's O [§4.4], where the attackers vote for it, so
// the replicas that did not commit the fresh value decide a second one.
// ok is false outside such runs, before the favoured replica committed at
// the height the honest replicas are stuck at, or when no attacker leads
// a view above that commit below vc's.
func (a *lockAttack) hiddenCertified(n *node, vc *consensus.ViewChange) (consensus.Message, consensus.PreparedCert, bool) {
	s, w := a.stale, n.w
	h := w.lowestHonestHeight()
	if s == nil || !s.primaryHidden || h <= vc.Stable.Height {
		return nil, consensus.PreparedCert{}, false
	}
	cert, ok := a.hiddenCert(w, h, vc.View)
	if !ok {
		return nil, consensus.PreparedCert{}, false
	}
	forged := cloneViewChange(*vc)
	forged.Prepared = withCert(forged.Prepared, cert)
	value := cert.PrePrepare.Value
	a.push[roundKey{h, vc.View}] = value // the attackers vote for it there
	w.tracef("n%d certifies hidden %s at (%d, %d) with the view-0 PREPAREs in its view change to view %d",
		n.slot, valueName(value), cert.PrePrepare.Round, h, vc.View)
	return resign(n, vc, &forged), cert, true
}

// hiddenCertNewView is a Byzantine new primary n's NEW-VIEW nv in a
// primaryHidden run with its own view change in V hidden-certified (see
// hiddenCertified) and O's pre-prepare for that sequence number carrying
// the hidden value, which the certificate's view makes O's choice there
// [§4.4]; re-signed. A replica that validates every view change of V
// refuses it. It returns nil when n's view change gets no such
// certificate, or V holds one of that view or above for the sequence
// number.
func (a *lockAttack) hiddenCertNewView(n *node, nv *consensus.NewView) consensus.Message {
	if !a.stale.primaryHidden {
		return nil
	}
	forged := cloneMessage(nv).(*consensus.NewView)
	own := slices.IndexFunc(forged.ViewChanges, func(vc consensus.ViewChange) bool { return vc.Validator == n.val })
	if own < 0 {
		return nil
	}
	m, cert, ok := a.hiddenCertified(n, &forged.ViewChanges[own])
	vc, isVC := m.(*consensus.ViewChange)
	if !ok || !isVC {
		return nil
	}
	h, view := cert.PrePrepare.Height, cert.PrePrepare.Round
	for i := range forged.ViewChanges {
		for _, pc := range forged.ViewChanges[i].Prepared {
			if i != own && pc.PrePrepare.Height == h && pc.PrePrepare.Round >= view {
				return nil
			}
		}
	}
	at := slices.IndexFunc(forged.PrePrepares, func(pp consensus.Proposal) bool { return pp.Height == h })
	if at < 0 {
		return nil
	}
	forged.ViewChanges[own] = *vc
	forged.PrePrepares[at].Value = cert.PrePrepare.Value
	n.w.tracef("n%d re-proposes hidden %s at %d in its new view %d", n.slot, valueName(cert.PrePrepare.Value), h, nv.View)
	return resign(n, nv, forged)
}

// hiddenCert is a certificate for a hidden value of height h: a
// pre-prepare of it by the attacker that leads the latest view w below
// before (view w's primary is validator w mod N [§4.1]), if w lies above
// the latest view the favoured validator committed another value in at h,
// and the honest view-0 PREPAREs for it, with the other attackers'
// PREPAREs of (w, h) if those fall short of the power. It depends on
// nothing but its arguments and the attack's state, so that every copy of
// an attacker's view change carries the same one.
func (a *lockAttack) hiddenCert(w *world, h int64, before int32) (consensus.PreparedCert, bool) {
	committed, ok := a.lastBacked(h, before)
	if !ok {
		return consensus.PreparedCert{}, false
	}
	primary := attackerLedBelow(w, before)
	if primary == nil || primary.view <= committed.round {
		return consensus.PreparedCert{}, false
	}
	for value, hp := range sortedPolkas(a.stale.polkas[h]) {
		if value == committed.value {
			continue
		}
		if cert, ok := certifyHidden(primary.node, h, primary.view, value, hp); ok {
			return cert, true
		}
	}
	return consensus.PreparedCert{}, false
}

// backedValue is a value the favoured validator committed in a round.
type backedValue struct {
	round int32
	value consensus.ID
}

// lastBacked is the latest round below before in which the favoured
// validator of height h committed a value (the attackers backed it).
func (a *lockAttack) lastBacked(h int64, before int32) (backedValue, bool) {
	for r := before - 1; r >= 0; r-- {
		if v, ok := a.backed[roundKey{h, r}]; ok {
			return backedValue{round: r, value: v}, true
		}
	}
	return backedValue{}, false
}

// ledView is a view and the node of its primary.
type ledView struct {
	view int32
	node *node
}

// attackerLedBelow is the latest view below view whose primary (validator
// v mod N [§4.1]) is an attacker, nil if none.
func attackerLedBelow(w *world, view int32) *ledView {
	size := int32(len(w.genesis.Validators))
	for v := view - 1; v >= 0 && size > 0; v-- {
		if p := v % size; !w.honestVal[p] {
			if o := w.nodeOf(p); o != nil {
				return &ledView{view: v, node: o}
			}
		}
	}
	return nil
}

// certifyHidden is a certificate for value at (view, h): primary n's
// pre-prepare and the honest view-0 PREPAREs hp, with the other attackers'
// PREPAREs of (view, h) if those fall short of the power.
func certifyHidden(n *node, h int64, view int32, value consensus.ID, hp *hiddenPolka) (consensus.PreparedCert, bool) {
	w := n.w
	vals := w.genesis
	power := vals.Power(n.val)
	var prepares []consensus.Vote
	for _, v := range hp.sorted() {
		if v.Validator != n.val {
			prepares = append(prepares, cloneVote(*v))
			power += vals.Power(v.Validator)
		}
	}
	for _, b := range w.byzantineExcept(n) {
		if vals.IsQuorum(power) {
			break
		}
		signed, err := b.signer.signUnprotected(&consensus.Vote{Type: consensus.Prevote, Height: h, Round: view, Value: value, Validator: b.val})
		if err != nil {
			return consensus.PreparedCert{}, false
		}
		prepares = append(prepares, *signed.(*consensus.Vote))
		power += vals.Power(b.val)
	}
	if !vals.IsQuorum(power) {
		return consensus.PreparedCert{}, false
	}
	pp, err := n.signer.signUnprotected(&consensus.Proposal{Height: h, Round: view, POLRound: -1, Value: value, Proposer: n.val})
	if err != nil {
		return consensus.PreparedCert{}, false
	}
	return consensus.PreparedCert{PrePrepare: *pp.(*consensus.Proposal), Prepares: prepares}, true
}

// withCert is the P set p with cert in place of its certificate for the
// same sequence number, or added in sequence order.
func withCert(p []consensus.PreparedCert, cert consensus.PreparedCert) []consensus.PreparedCert {
	h := cert.PrePrepare.Height
	i, found := slices.BinarySearchFunc(p, h, func(pc consensus.PreparedCert, h int64) int {
		return int(pc.PrePrepare.Height - h)
	})
	if found {
		p[i] = cert
		return p
	}
	return slices.Insert(p, i, cert)
}

// hiddenViewChange is attacker n's VIEW-CHANGE vc in a primaryHidden run:
// without its certificates of view 0 (withoutHidden), and with the hidden
// value certified where that can raise its view (hiddenCertified). It
// forges nothing else, so that the attackers' view changes count and the
// honest replicas keep changing views until one of them can.
func (a *lockAttack) hiddenViewChange(n *node, vc *consensus.ViewChange) consensus.Message {
	stripped := a.withoutHidden(n, vc)
	if forged, _, ok := a.hiddenCertified(n, stripped); ok {
		return forged
	}
	return stripped
}

// withoutHidden is attacker n's VIEW-CHANGE vc without its certificates of
// view 0 in a primaryHidden run, re-signed: the attackers prepared the
// hidden value there (they hear every PREPARE), and a NEW-VIEW built with
// their view change would re-propose it, so the favoured replica would
// decide it in the next view. A Byzantine validator may claim to have
// prepared nothing.
func (a *lockAttack) withoutHidden(n *node, vc *consensus.ViewChange) *consensus.ViewChange {
	if a.stale == nil || !a.stale.primaryHidden {
		return vc
	}
	stripped := cloneViewChange(*vc)
	stripped.Prepared = slices.DeleteFunc(stripped.Prepared, func(pc consensus.PreparedCert) bool {
		return pc.PrePrepare.Round == 0
	})
	signed, ok := resign(n, vc, &stripped).(*consensus.ViewChange)
	if !ok {
		return vc
	}
	return signed
}
