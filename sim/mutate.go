package sim

import "github.com/bftnode/bftnode/consensus"

// mutate sends m, and for half of the node's own messages also (or, for
// some peers, instead) a re-signed copy with its round or view moved by
// one. Now and then it tries a forgery: a copy claiming another signer,
// which receivers must drop.
func (b *byzantine) mutate(n *node, to []int, m consensus.Message) {
	w := n.w
	if len(to) > 0 && w.chance(0.05) {
		forged := cloneMessage(m)
		setSigner(forged, int32(w.rng.IntN(len(w.byVal))))
		w.send(n.slot, to[w.rng.IntN(len(to))], forged)
	}
	if m.Signer() != n.val || !w.chance(0.5) {
		for _, s := range to {
			w.send(n.slot, s, m)
		}
		return
	}
	mut := cloneMessage(m)
	shift := int32(1)
	if w.chance(0.5) {
		shift = -1
	}
	shiftRound(mut, shift)
	signed, err := n.signer.signUnprotected(mut)
	if err != nil {
		signed = nil
	}
	replace := w.chance(0.5)
	for _, s := range to {
		if signed != nil && w.chance(0.5) {
			w.send(n.slot, s, signed)
			if replace {
				continue
			}
		}
		w.send(n.slot, s, m)
	}
}

// shiftRound moves a message's round (Tendermint), view (PBFT) or, for a
// checkpoint, height by delta, never below zero.
func shiftRound(m consensus.Message, delta int32) {
	switch m := m.(type) {
	case *consensus.Proposal:
		m.Round = max(0, m.Round+delta)
		if m.POLRound >= m.Round {
			m.POLRound = -1
		}
	case *consensus.Vote:
		m.Round = max(0, m.Round+delta)
	case *consensus.Checkpoint:
		m.Height = max(0, m.Height+int64(delta))
	case *consensus.ViewChange:
		m.View = max(0, m.View+delta)
	case *consensus.NewView:
		m.View = max(0, m.View+delta)
	}
}

// setSigner changes who a message claims to be from, without re-signing.
func setSigner(m consensus.Message, v int32) {
	switch m := m.(type) {
	case *consensus.Proposal:
		m.Proposer = v
	case *consensus.Vote:
		m.Validator = v
	case *consensus.Checkpoint:
		m.Validator = v
	case *consensus.ViewChange:
		m.Validator = v
	case *consensus.NewView:
		m.Validator = v
	}
}
