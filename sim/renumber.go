package sim

import (
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// forgedNewView is a Byzantine new primary's NEW-VIEW that leaves a
// sequence number free in its view (renumberO, repeatV), and what the
// attackers send with it for that sequence number.
type forgedNewView struct {
	newView consensus.Message
	// follow: a PRE-PREPARE of a fresh value for the freed sequence number
	// in the new view, the other attackers' PREPAREs and every attacker's
	// COMMIT for it.
	follow []consensus.Message
}

// renumberO is a Byzantine new primary's NEW-VIEW nv with O's sequence
// numbers forged (PBFT [§4.4]): the pre-prepare O carries for the highest
// sequence number n with a prepared value (the one in flight, which the
// favoured validator may have committed) is moved to n+1, re-signed, and
// nothing else changes: the view changes, the values in O's order, the
// view and the primary are the real ones. A replica that compares every
// field of O with the one it recomputes refuses it. One that skips the
// sequence numbers logs nothing for n in the new view (a value moved to
// n+1 is no valid block there, as a block carries its height), so the
// attackers' fresh PRE-PREPARE for n, sent after it, is the only one for
// n: with the honest validators that did not commit n it gathers a
// prepare quorum, and with the attackers' COMMITs a commit quorum, for a
// second value at n. A plain swap of two sequence numbers would not do:
// each value would land at a height where it is no valid block. The
// forgery is made once per view and sent as is every time, so that every
// replica gets the same one. It returns nil if O has no prepared value.
func (a *lockAttack) renumberO(n *node, nv *consensus.NewView) consensus.Message {
	s := a.stale
	if r, ok := s.forged[nv.View]; ok {
		return r.newView
	}
	last := -1
	for i := range nv.PrePrepares {
		if nv.PrePrepares[i].Value != consensus.Nil {
			last = i
		}
	}
	if last < 0 {
		return nil
	}
	w := n.w
	forged := cloneMessage(nv).(*consensus.NewView)
	freed := forged.PrePrepares[last].Height
	forged.PrePrepares[last].Height = freed + 1
	signed := resign(n, nv, forged)
	if signed == consensus.Message(nv) {
		return nil
	}
	value := w.newValue(n.val, freed, true)
	follow, ok := freedSlotVotes(n, freed, nv.View, value)
	if !ok {
		return nil
	}
	a.push[roundKey{freed, nv.View}] = value // the attackers' own votes follow it
	s.forged[nv.View] = forgedNewView{newView: signed, follow: follow}
	w.tracef("n%d moves sequence %d of its new view %d's O to %d and pre-prepares %s for it", n.slot, freed, nv.View, freed+1, valueName(value))
	return signed
}

// freedSlotVotes is primary n's PRE-PREPARE of value at (view, height),
// the PREPAREs of the other Byzantine validators and every Byzantine
// validator's COMMIT for it, signed.
func freedSlotVotes(n *node, height int64, view int32, value consensus.ID) ([]consensus.Message, bool) {
	pp, err := n.signer.signUnprotected(&consensus.Proposal{Height: height, Round: view, POLRound: -1, Value: value, Proposer: n.val})
	if err != nil {
		return nil, false
	}
	out := []consensus.Message{pp}
	others := n.w.byzantineExcept(n)
	for _, b := range others {
		v, err := b.signer.signUnprotected(&consensus.Vote{Type: consensus.Prevote, Height: height, Round: view, Value: value, Validator: b.val})
		if err != nil {
			return nil, false
		}
		out = append(out, v)
	}
	for _, b := range append([]*node{n}, others...) {
		v, err := b.signer.signUnprotected(&consensus.Vote{Type: consensus.Precommit, Height: height, Round: view, Value: value, Validator: b.val})
		if err != nil {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

// sendFreedSlot sends the messages that follow a forged NEW-VIEW nv
// to the nodes in to, twice: once the NEW-VIEW has had time to arrive
// (a replica takes a PRE-PREPARE only in a view it entered), and again a
// little later in case that was not enough.
func (a *lockAttack) sendFreedSlot(n *node, to []int, nv *consensus.NewView) {
	r, ok := a.stale.forged[nv.View]
	if !ok || r.newView != consensus.Message(nv) {
		return
	}
	w := n.w
	for _, d := range []time.Duration{w.plan.faultMaxDelay + time.Millisecond, 10 * w.plan.faultMaxDelay} {
		w.after(d, func() {
			for _, m := range r.follow {
				for _, s := range to {
					w.send(n.slot, s, m)
				}
			}
		})
	}
}
