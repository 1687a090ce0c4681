package sim

import (
	"github.com/bftnode/bftnode/consensus"
)

// stress forces view changes: whenever a checkpoint becomes stable it
// silences the primary (the validator that signed the latest pre-prepare)
// until a pre-prepare of a later view comes from someone else.
type stress struct {
	target     int
	signers    map[checkpointKey]map[int32]bool
	power      map[checkpointKey]int64
	stableTop  int64
	silenced   int32 // -1: nobody
	silencedAt int32 // the view the silenced primary led
	lastRound  int32 // view of the latest pre-prepare
	lastHeight int64
	changes    int
}

type checkpointKey struct {
	height  int64
	appHash string
}

func (w *world) startStress() {
	target := w.opts.ViewChanges
	if target == 0 {
		target = 1000
	}
	w.stress = &stress{target: target, signers: map[checkpointKey]map[int32]bool{}, power: map[checkpointKey]int64{}, silenced: -1}
}

// observeSigned watches what honest drivers sign: pre-prepares (who leads)
// and checkpoints (when one becomes stable).
func (w *world) observeSigned(n *node, m consensus.Message) {
	if w.laggard != nil {
		w.laggard.observe(w, n, m)
	}
	switch m := m.(type) {
	case *consensus.Proposal:
		w.onProposalSigned(m)
	case *consensus.NewView:
		for i := range m.PrePrepares {
			w.onProposalSigned(&m.PrePrepares[i])
		}
	case *consensus.Checkpoint:
		if w.stress != nil && n.honest {
			w.stress.onCheckpoint(w, m)
		}
	}
}

func (w *world) onProposalSigned(p *consensus.Proposal) {
	w.lastProposer = p.Proposer
	s := w.stress
	if s == nil {
		return
	}
	s.lastRound, s.lastHeight = p.Round, p.Height
	if s.silenced >= 0 && p.Proposer != s.silenced && p.Round > s.silencedAt {
		s.changes++
		w.res.ViewChanges = s.changes
		w.tracef("stress: view change %d done, view %d led by %d; unsilencing %d", s.changes, p.Round, p.Proposer, s.silenced)
		delete(w.net.silenced, s.silenced)
		s.silenced = -1
		w.live.deadline = w.now + w.proto.livenessBound()
		if s.changes >= s.target {
			w.live.done = true
		}
	}
}

func (s *stress) onCheckpoint(w *world, c *consensus.Checkpoint) {
	key := checkpointKey{c.Height, string(c.AppHash)}
	if s.signers[key] == nil {
		s.signers[key] = map[int32]bool{}
	}
	if s.signers[key][c.Validator] {
		return
	}
	s.signers[key][c.Validator] = true
	s.power[key] += w.genesis.Power(c.Validator)
	if !w.genesis.IsQuorum(s.power[key]) || c.Height <= s.stableTop {
		return
	}
	s.stableTop = c.Height
	if s.silenced >= 0 || w.genesis.IsOneThird(w.genesis.Power(w.lastProposer)) {
		return
	}
	s.silenced, s.silencedAt = w.lastProposer, s.lastRound
	w.net.silenced[s.silenced] = true
	w.live.deadline = w.now + w.proto.livenessBound()
	w.tracef("stress: checkpoint %d stable; silencing primary %d of view %d", c.Height, s.silenced, s.silencedAt)
}

// deadlinePassed reports a view change that never came.
func (s *stress) deadlinePassed(w *world) {
	detail := "no progress"
	if s.silenced >= 0 {
		detail = "no view change after silencing the primary"
	}
	w.violate("liveness", nil, s.lastHeight, "%s: %d of %d view changes, primary %d of view %d silenced, latest pre-prepare h=%d view=%d",
		detail, s.changes, s.target, s.silenced, s.silencedAt, s.lastHeight, s.lastRound)
}
