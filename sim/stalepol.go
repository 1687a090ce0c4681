package sim

import (
	"cmp"
	"maps"
	"slices"

	"github.com/bftnode/bftnode/consensus"
)

// StalePOLScenario is the lock family with Byzantine proposers that
// re-propose with a stale or forged POL round (Tendermint, Algorithm 1
// line 28: a proposal that names a POL round vr). The network first hides
// a polka: in round (view) 0 of a height every honest validator hears too
// few of the others' prevotes (PBFT: PREPAREs) for a value to see a
// quorum, while the attackers collect all of them. The lock family's
// adversary then makes the honest validators lock on another value in a
// later round and one of them decide it. In a round one of them proposes,
// the attackers re-propose either the hidden value with POL round 0,
// relaying the honest prevotes that justify it (stale: a locked node must
// refuse, line 29, since its lock is from a later round), or a fresh
// value with the previous round as POL round, where it had no polka
// (forged: a node must wait for 2f+1 prevotes of that round, line 28).
// A core that honours both rules stays safe; one that skips either
// decides a second value at the height. In PBFT, a Byzantine new primary
// also forges its NEW-VIEW (O's values or sequence numbers, or V; see
// forgeNewView), and every attacker forges a certificate in the P set of
// its VIEW-CHANGEs (see forgePrepared). In even seeds (primaryHidden) the
// PBFT attack differs: no honest replica prepares the hidden value in
// view 0, so a later view commits a fresh one at the favoured replica
// only, and the attackers certify the hidden value in a view above that
// with the honest view-0 PREPAREs (see hiddenCertified).
const StalePOLScenario = "stalepol"

// hiddenPolka is what the network learned of the honest prevotes for a
// value in round 0 of a height.
type hiddenPolka struct {
	votes map[int32]*consensus.Vote // by validator
	power int64
}

// stalePOL is the part of the lock attack the stalepol family adds.
type stalePOL struct {
	// heard is, per height and receiver slot, the power of the round-0
	// prevotes for values the receiver was let hear (its own included).
	heard map[int64][]int64
	// polkas are the honest round-0 prevotes per height and value.
	polkas map[int64]map[consensus.ID]*hiddenPolka
	// relay holds, per round the attackers propose in, the prevotes that
	// justify their stale proposal's POL round.
	relay map[roundKey][]*consensus.Vote
	// forged is, per view, a NEW-VIEW the attackers forged to free a
	// sequence number (see forgedNewView).
	forged map[int32]forgedNewView
	// primaryHidden: in PBFT, the hiding counts the view-0 primary's
	// pre-prepare too, so that no honest replica prepares the hidden value,
	// and the attackers' view changes and NEW-VIEWs certify it later in
	// place of the other forgeries (see hiddenCertified).
	primaryHidden bool
}

func newStalePOL(primaryHidden bool) *stalePOL {
	return &stalePOL{
		primaryHidden: primaryHidden,
		heard:         map[int64][]int64{},
		polkas:        map[int64]map[consensus.ID]*hiddenPolka{},
		relay:         map[roundKey][]*consensus.Vote{},
		forged:        map[int32]forgedNewView{},
	}
}

// hidesPrevote reports whether the network keeps m, sent by node from, away
// from node to: an honest validator's own round-0 prevote for a value,
// which would give the receiver a quorum for that value. Every such
// prevote is recorded for the attackers. A PBFT replica counts the
// primary's pre-prepare with the PREPAREs [§4.2]; only in primaryHidden
// runs does the hiding count it, so that elsewhere every honest replica
// still prepares in view 0 and the favoured one decides there.
func (a *lockAttack) hidesPrevote(w *world, from, to int, m consensus.Message) bool {
	s := a.stale
	v, ok := m.(*consensus.Vote)
	sender := w.nodes[from]
	if s == nil || !ok || v.Type != consensus.Prevote || v.Round != 0 || v.Value == consensus.Nil || !sender.honest || v.Validator != sender.val {
		return false
	}
	vals := w.genesis
	s.record(v, vals.Power(v.Validator))
	receiver := w.nodes[to]
	if !receiver.honest {
		return false
	}
	heard := s.heard[v.Height]
	if heard == nil {
		heard = make([]int64, len(w.nodes))
		primary := s.viewZeroPrimary(sender)
		for i, n := range w.nodes {
			heard[i] = vals.Power(n.val) // its own prevote
			if primary >= 0 && n.val != primary {
				heard[i] += vals.Power(primary) // and the pre-prepare
			}
		}
		s.heard[v.Height] = heard
	}
	p := vals.Power(v.Validator)
	if vals.IsQuorum(heard[to] + p) {
		return true
	}
	heard[to] += p
	return false
}

// viewZeroPrimary is the validator whose PBFT pre-prepare counts with the
// view-0 PREPAREs that sender's height gathers (the primary of view 0 is
// validator 0 [§4.1]), or -1 where the hiding leaves it out: outside
// primaryHidden runs, and at heights Tendermint decides, which has no
// such message.
func (s *stalePOL) viewZeroPrimary(sender *node) int32 {
	if !s.primaryHidden || !sender.runningProtocol().StableViews {
		return -1
	}
	return 0
}

// record keeps an honest round-0 prevote, once per validator.
func (s *stalePOL) record(v *consensus.Vote, power int64) {
	byValue := s.polkas[v.Height]
	if byValue == nil {
		byValue = map[consensus.ID]*hiddenPolka{}
		s.polkas[v.Height] = byValue
	}
	hp := byValue[v.Value]
	if hp == nil {
		hp = &hiddenPolka{votes: map[int32]*consensus.Vote{}}
		byValue[v.Value] = hp
	}
	if _, dup := hp.votes[v.Validator]; !dup {
		c := cloneVote(*v)
		hp.votes[v.Validator] = &c
		hp.power += power
	}
}

// reproposal is the attackers' proposal for a round they propose in, once
// the favoured validator precommitted a value at the height: the hidden
// value with POL round 0 (stale) or a fresh value with the previous round
// as POL round (forged). ok is false when neither applies yet.
func (a *lockAttack) reproposal(w *world, n *node, p *consensus.Proposal) (value consensus.ID, polRound int32, ok bool) {
	s := a.stale
	if s == nil || p.Round < 2 {
		return "", 0, false
	}
	var locked consensus.ID
	for r := int32(0); r < p.Round; r++ {
		if v, ok := a.backed[roundKey{p.Height, r}]; ok {
			locked = v
		}
	}
	if locked == "" {
		return "", 0, false
	}
	key := roundKey{p.Height, p.Round}
	if w.chance(0.5) {
		for value, hp := range sortedPolkas(s.polkas[p.Height]) {
			if value != locked && w.genesis.IsQuorum(hp.power) {
				s.relay[key] = hp.sorted()
				return value, 0, true
			}
		}
	}
	return w.newValue(n.val, p.Height, true), p.Round - 1, true
}

// sortedPolkas iterates a height's hidden polkas in value order, so that a
// run does not depend on map order.
func sortedPolkas(m map[consensus.ID]*hiddenPolka) func(func(consensus.ID, *hiddenPolka) bool) {
	return func(yield func(consensus.ID, *hiddenPolka) bool) {
		for _, v := range sortedKeys(m) {
			if !yield(v, m[v]) {
				return
			}
		}
	}
}

func (hp *hiddenPolka) sorted() []*consensus.Vote {
	out := make([]*consensus.Vote, 0, len(hp.votes))
	for _, val := range sortedKeys(hp.votes) {
		out = append(out, hp.votes[val])
	}
	return out
}

// sortedKeys is m's keys in order.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}

// forgeNewView is a Byzantine new primary's NEW-VIEW with a forged O set
// (PBFT [§4.4]): in primaryHidden runs, where it can, one whose V carries
// the hidden value's certificate (hiddenCertNewView); otherwise, by the
// view (seed plus view, modulo three): O's sequence numbers (renumberO),
// V made of the attackers' view changes repeated (repeatV), or O's values
// (forgeOValues), which is also the fallback when the other two find
// nothing to forge. The view, not the random
// source, picks the forgery, so that the family's other schedules do not
// depend on it.
func (a *lockAttack) forgeNewView(n *node, nv *consensus.NewView) consensus.Message {
	if forged := a.hiddenCertNewView(n, nv); forged != nil {
		return forged
	}
	var forged consensus.Message
	switch (n.w.opts.Seed + uint64(nv.View)) % 3 {
	case 1:
		forged = a.renumberO(n, nv)
	case 2:
		forged = a.repeatV(n, nv)
	}
	if forged != nil {
		return forged
	}
	return a.forgeOValues(n, nv)
}

// forgeOValues is a Byzantine new primary's NEW-VIEW nv with O's values
// forged: every pre-prepare that carries a value prepared in an earlier
// view carries a fresh one instead, re-signed. The view changes are the
// real ones, so a replica that recomputes O from them and compares every
// field refuses it; one that skips a field re-proposes another value at a
// sequence that may have committed.
func (a *lockAttack) forgeOValues(n *node, nv *consensus.NewView) consensus.Message {
	forged := cloneMessage(nv).(*consensus.NewView)
	changed := false
	for i := range forged.PrePrepares {
		pp := &forged.PrePrepares[i]
		if pp.Value != consensus.Nil {
			pp.Value = n.w.newValue(n.val, pp.Height, true)
			changed = true
		}
	}
	if !changed {
		return nv
	}
	n.w.tracef("n%d forges the O set of its new view %d", n.slot, nv.View)
	return resign(n, nv, forged)
}
