package sim

import (
	"math"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// LockScenario is the family that attacks the rules which carry a value
// from one round (view) to the next: Tendermint's locks and PBFT's P sets
// in a NEW-VIEW. A core that keeps them is safe under it; one that drops
// them decides two values at one height.
const LockScenario = "lock"

// lockAttack is the adversary of the lock family, an adaptive network plus
// Byzantine validators (behaveLock) that collude:
//
//   - At every height, the first honest validator whose precommit (PBFT:
//     COMMIT) for a value goes on the wire is the favoured one: its
//     precommits for values are lost. It still hears everyone else's, so
//     it can decide while the others, locked on (or having prepared) the
//     same value, stay one vote short.
//   - When a favoured validator decides its height, the network isolates
//     it, so the others learn nothing of its decision, until the heal or
//     until every honest validator decided that height anyway (then the
//     attack failed there and the next height gets another try).
//   - The Byzantine validators never vote for an honest value (they vote
//     nil, which lets the others leave the round) except to back the
//     favoured validator's precommit, and in a round (view) one of them
//     proposes they all vote for that proposal, replacing a re-proposal of
//     a locked value by a fresh one. They send nothing for a height above
//     the lowest one an honest node is deciding and serve no block sync
//     while the attack lasts, so that their own progress is no hint.
//
// The remaining honest validators then need a Byzantine vote for any
// quorum: the only value they can decide before the heal is the attackers'
// fresh one, and only if they give up their lock or the prepared
// certificate of the favoured validator's value.
type lockAttack struct {
	favoured map[int64]int32           // height -> favoured honest validator
	isolated []int64                   // by node: the height it was isolated for, 0 if not
	push     map[roundKey]consensus.ID // the attackers' value in rounds they propose
	polRound map[roundKey]int32        // and the POL round they give it
	// backed is the value the favoured validator precommitted in a
	// round: the attackers precommit it too, to the favoured one only.
	backed map[roundKey]consensus.ID
	// stale is the stalepol family's addition, nil in the lock family.
	stale *stalePOL
}

// roundKey is one round (Tendermint) or view (PBFT) of one height.
type roundKey struct {
	height int64
	round  int32
}

func newLockAttack(nodes int) *lockAttack {
	return &lockAttack{
		favoured: map[int64]int32{},
		isolated: make([]int64, nodes),
		push:     map[roundKey]consensus.ID{},
		polRound: map[roundKey]int32{},
		backed:   map[roundKey]consensus.ID{},
	}
}

// lockPlan is the fault window of the lock family: long enough for several
// rounds (views) after the first decision, with little delay noise so that
// timeouts, not the network, pace the rounds.
func (w *world) lockPlan(p *plan, family string) {
	p.healAt = w.between(4*time.Second, 8*time.Second)
	p.faultMaxDelay = 20 * time.Millisecond
	w.lock = newLockAttack(len(w.nodes))
	if family == StalePOLScenario {
		// The seed, not the random source, picks the variant, so that
		// the family's other draws stay.
		hidden := w.opts.Seed%2 == 0
		w.lock.stale = newStalePOL(hidden)
		if hidden && w.proto.StableViews {
			// PBFT's view-change timeout doubles per view: twice the
			// window reaches the one or two views more in which an
			// attacker leads a view above the commit and a later primary
			// takes its certificate (see hiddenCertified).
			p.healAt *= 2
		}
	}
}

// dropsPrecommit reports whether the network loses m, sent by node from:
// a precommit for a value from the favoured validator of its height.
func (a *lockAttack) dropsPrecommit(w *world, from int, m consensus.Message) bool {
	v, ok := m.(*consensus.Vote)
	sender := w.nodes[from]
	if !ok || v.Type != consensus.Precommit || v.Value == consensus.Nil || !sender.honest || v.Validator != sender.val {
		return false
	}
	f, chosen := a.favoured[v.Height]
	if !chosen {
		f = v.Validator
		a.favoured[v.Height] = f
		w.tracef("lock attack: validator %d is favoured at height %d", f, v.Height)
	}
	if f != v.Validator {
		return false
	}
	a.backed[roundKey{v.Height, v.Round}] = v.Value
	return true
}

// onDecide isolates the favoured validator of a height once it decided it,
// and lets it back once every honest node decided that height too: the
// attack on that height failed, and the next height gets another try.
func (a *lockAttack) onDecide(w *world, n *node, height int64) {
	if !w.net.faulty || !n.honest {
		return
	}
	if f, ok := a.favoured[height]; ok && f == n.val && a.isolated[n.slot] == 0 {
		a.isolated[n.slot] = height
		w.net.reach = isolationReach(a.isolated)
		w.tracef("lock attack: n%d decided height %d and is isolated: %s", n.slot, height, reachString(w.net.reach))
	}
	for _, o := range w.nodes {
		if _, ok := o.decided[height]; o.honest && !ok {
			return
		}
	}
	for slot, h := range a.isolated {
		if h == height {
			a.isolated[slot] = 0
			w.net.reach = isolationReach(a.isolated)
			w.tracef("lock attack: every honest node decided height %d; n%d is back: %s", height, slot, reachString(w.net.reach))
		}
	}
}

// isolationReach cuts every isolated node off from every other node.
func isolationReach(isolated []int64) [][]bool {
	reach := newReach(len(isolated))
	for a := range reach {
		for b := range reach[a] {
			reach[a][b] = a == b || isolated[a] == 0 && isolated[b] == 0
		}
	}
	return reach
}

// lockEmit is behaveLock: it sends n's own proposals and votes as the
// attack needs them, everything else unchanged.
func (b *byzantine) lockEmit(n *node, to []int, m consensus.Message) {
	w := n.w
	if m.Signer() != n.val {
		for _, s := range to {
			w.send(n.slot, s, m)
		}
		return
	}
	if heightOf(m) > w.lowestHonestHeight() {
		// A message for a later height would tell the honest validators
		// still at this one that it was decided, and make them fetch it.
		return
	}
	public, favoured := w.lock.distort(n, m)
	f, hasFavoured := w.lock.favoured[heightOf(m)]
	for _, s := range to {
		if favoured != nil && hasFavoured && w.nodes[s].val == f {
			w.send(n.slot, s, favoured)
		} else {
			w.send(n.slot, s, public)
		}
	}
	if nv, ok := public.(*consensus.NewView); ok && w.lock.stale != nil {
		w.lock.sendFreedSlot(n, to, nv)
	}
	if p, ok := public.(*consensus.Proposal); ok && w.lock.stale != nil {
		// A stale POL round comes with the prevotes that justify it.
		for _, v := range w.lock.stale.relay[roundKey{p.Height, p.Round}] {
			for _, s := range to {
				w.send(n.slot, s, v)
			}
		}
	}
}

// ignores reports whether a Byzantine node keeps m from its own core: the
// lock family's attackers ignore precommits for values while the attack
// lasts, so that their cores never decide and move on, but keep taking
// part in the rounds (views) of the height the honest validators are stuck
// at.
func (b *byzantine) ignores(w *world, m consensus.Message) bool {
	if b.kind != behaveLock && b.kind != behaveStalePOL || !w.net.faulty {
		return false
	}
	v, ok := m.(*consensus.Vote)
	return ok && v.Type == consensus.Precommit && v.Value != consensus.Nil
}

// distort returns the attackers' version of one of n's own messages for
// everyone, and the one for the favoured validator of its height (nil: the
// same). Only proposals and votes change.
func (a *lockAttack) distort(n *node, m consensus.Message) (public, favoured consensus.Message) {
	w := n.w
	switch msg := m.(type) {
	case *consensus.Proposal:
		key := roundKey{msg.Height, msg.Round}
		value, ok := a.push[key]
		polRound, hasPOL := a.polRound[key]
		if !hasPOL {
			polRound = -1
		}
		if !ok {
			if v, pol, stale := a.reproposal(w, n, msg); stale {
				value, polRound, ok = v, pol, true
				a.push[key], a.polRound[key] = value, pol
			}
		}
		if !ok {
			value = msg.Value
			if msg.POLRound >= 0 {
				// A re-proposal of a locked or valid value: propose a
				// fresh one instead, as if nothing had been prepared.
				value = w.newValue(n.val, msg.Height, true)
			}
			a.push[key] = value
		}
		c := cloneProposal(*msg)
		c.Value, c.POLRound = value, polRound
		return resign(n, m, &c), nil
	case *consensus.NewView:
		if a.stale != nil && w.net.faulty {
			return a.forgeNewView(n, msg), nil
		}
	case *consensus.ViewChange:
		if a.stale != nil && w.net.faulty {
			if a.stale.primaryHidden {
				return a.hiddenViewChange(n, msg), nil
			}
			return forgePrepared(n, msg), nil
		}
	case *consensus.Vote:
		key := roundKey{msg.Height, msg.Round}
		if a.stale != nil && msg.Round == 0 {
			// The round whose polka stays hidden: no help from here.
			return voteFor(n, msg, consensus.Nil), nil
		}
		if value, ok := a.push[key]; ok {
			return voteFor(n, msg, value), nil
		}
		// Never help an honest value, except the favoured validator's
		// precommit: it should decide while the others cannot.
		public = voteFor(n, msg, consensus.Nil)
		if value, ok := a.backed[key]; ok && msg.Type == consensus.Precommit {
			favoured = voteFor(n, msg, value)
		}
		return public, favoured
	}
	return m, nil
}

// voteFor is n's vote m changed to value, re-signed.
func voteFor(n *node, m *consensus.Vote, value consensus.ID) consensus.Message {
	c := cloneVote(*m)
	c.Value = value
	return resign(n, m, &c)
}

// resign signs changed, a changed copy of n's message orig, or returns orig
// if nothing changed or signing fails.
func resign(n *node, orig, changed consensus.Message) consensus.Message {
	if signBytesEqual(orig, changed) {
		return orig
	}
	signed, err := n.signer.signUnprotected(changed)
	if err != nil {
		return orig
	}
	return signed
}

// lowestHonestHeight is the lowest height an honest node is deciding.
func (w *world) lowestHonestHeight() int64 {
	low := int64(math.MaxInt64)
	for _, o := range w.nodes {
		if o.honest {
			low = min(low, o.led.executed+1)
		}
	}
	return low
}

// servesBlocks reports whether node p answers block sync: the lock
// family's attackers do not while the attack lasts, since a block they
// serve would tell the honest validators what the favoured one decided.
func (w *world) servesBlocks(p *node) bool {
	return p.honest || w.lock == nil || !w.net.faulty
}

// heightOf is the height of a proposal or vote, 0 for other messages.
func heightOf(m consensus.Message) int64 {
	switch m := m.(type) {
	case *consensus.Proposal:
		return m.Height
	case *consensus.Vote:
		return m.Height
	}
	return 0
}

// signBytesEqual reports whether a and b say the same thing.
func signBytesEqual(a, b consensus.Message) bool {
	x, errA := signBytes(nil, a)
	y, errB := signBytes(nil, b)
	return errA == nil && errB == nil && string(x) == string(y)
}
