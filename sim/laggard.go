package sim

import (
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// LaggardScenario is the family of a validator that sleeps through a whole
// rotation of leaders: it goes down in round (PBFT: view) 1 and wakes, from
// its log, when the others have passed N rounds (views) and the leader of
// its round leads again. In PBFT it wakes active in view 1 and hears the
// NEW-VIEW of view N+1, signed by the primary whose NEW-VIEW of view 1 it
// holds: a different view, so no evidence, and the way into the view the
// others are in [§4.4].
const LaggardScenario = "laggard"

// laggardValidators is the family's network size: the leader of a round
// (view) leads again N rounds later, and PBFT's view-change timer doubles
// per view, so passing N views costs about 2^N view-change timeouts: four
// validators keep a run within seconds.
const laggardValidators = 4

// laggard is the laggard family's adversary, the network and one crash
// (no Byzantine validator):
//
//   - Until the sleeper goes down, every proposal (pre-prepare) of round
//     (view) 0 is lost, so the first height is decided in round (view) 1,
//     which PBFT's replicas enter by the NEW-VIEW of view 1.
//   - The sleeper, an honest validator other than view 1's primary whose
//     power the others can do without (they keep more than 2/3), crashes
//     right after it signs its first precommit (COMMIT) for a value in
//     round (view) 1; its log is durable up to that signature.
//   - While it is down the network loses every proposal of rounds 0 to N
//     and every NEW-VIEW of views 2 to N, so the others pass rounds (views)
//     until the one led by view 1's primary again, N+1.
//   - The sleeper restarts the moment a NEW-VIEW (a proposal) of round
//     N+1 or later is signed. Until it has heard that NEW-VIEW (in
//     Tendermint, such a proposal) the network loses the VIEW-CHANGEs
//     and votes of later rounds (views) sent to it, which would otherwise
//     make it join the others' view by the rule of view changes backed by
//     more than 1/3 of the power [§4.5.2] before the NEW-VIEW arrives; so
//     in PBFT it is still active in view 1 when it hears the NEW-VIEW (the
//     broadcast, or the reply to its retransmitted COMMIT). After that
//     nothing is lost on purpose.
type laggard struct {
	sleeper int   // node slot; -1: no validator fits, the run is fault-free
	rounds  int32 // N, the validators' count
	phase   laggardPhase
	heard   bool // the woken sleeper received the NEW-VIEW (proposal) of round N+1 or later
}

type laggardPhase int

const (
	laggardAwake   laggardPhase = iota // round 0 lost, waiting for the sleeper's precommit
	laggardAsleep                      // the sleeper is down, rounds 0..N lost
	laggardWokenUp                     // restarted: only the later rounds' messages to it until it hears the NEW-VIEW
)

// laggardPlan is the family's fault window: long enough for the first
// height and then PBFT's N view changes (with four validators a progress
// timeout and 1+2+4 view-change timeouts, under 3 s in these runs), with
// little delay noise and no loss or duplication but the adversary's. If
// the rounds have not come round by the heal (more validators), the
// sleeper wakes then.
func (w *world) laggardPlan(p *plan) {
	p.healAt = w.between(5*time.Second, 7*time.Second)
	p.faultMaxDelay = 10 * time.Millisecond
	w.laggard = &laggard{sleeper: w.chooseSleeper(), rounds: int32(w.genesis.Size())}
	if s := w.laggard.sleeper; s >= 0 {
		w.tracef("laggard: n%d will sleep in round 1 until round %d", s, w.laggard.rounds+1)
	}
}

// chooseSleeper picks the sleeper among the honest validators that are not
// view 1's primary and hold less than 1/3 of the power.
func (w *world) chooseSleeper() int {
	var fit []int
	total := w.genesis.TotalPower()
	for _, n := range w.nodes {
		if n.honest && len(w.byVal[n.val]) == 1 && n.val != int32(1%w.genesis.Size()) && 3*w.genesis.Power(n.val) < total {
			fit = append(fit, n.slot)
		}
	}
	if len(fit) == 0 {
		return -1
	}
	return fit[w.rng.IntN(len(fit))]
}

// loses reports whether the network loses m, sent to node to, on purpose.
func (l *laggard) loses(w *world, to int, m consensus.Message) bool {
	if l.sleeper < 0 || !w.net.faulty {
		return false
	}
	switch m := m.(type) {
	case *consensus.Proposal:
		return l.phase == laggardAwake && m.Round == 0 || l.phase == laggardAsleep && m.Round <= l.rounds
	case *consensus.NewView:
		return l.phase == laggardAsleep && m.View >= 2 && m.View <= l.rounds
	case *consensus.ViewChange:
		return l.unheard(to) && m.View > 1
	case *consensus.Vote:
		return l.unheard(to) && m.Round > 1
	}
	return false
}

// unheard reports whether node to is the sleeper and has not heard the
// round it wakes for yet (while it is down too: a message on the wire when
// it wakes would reach it).
func (l *laggard) unheard(to int) bool {
	return to == l.sleeper && (l.phase == laggardAsleep || l.phase == laggardWokenUp && !l.heard)
}

// delivered notes that node n received m: the woken sleeper hearing the
// NEW-VIEW of round N+1 or later (Tendermint, which has none: a proposal).
func (l *laggard) delivered(n *node, m consensus.Message) {
	if l.phase != laggardWokenUp || !l.unheard(n.slot) || laggardRound(m) <= l.rounds {
		return
	}
	if _, nv := m.(*consensus.NewView); nv || !n.runningProtocol().StableViews {
		l.heard = true
	}
}

// observe follows what honest nodes sign: the sleeper's precommit puts it
// to sleep, the first NEW-VIEW (proposal) of round N+1 or later wakes it.
func (l *laggard) observe(w *world, n *node, m consensus.Message) {
	if l.sleeper < 0 {
		return
	}
	sleeper := w.nodes[l.sleeper]
	switch l.phase {
	case laggardAwake:
		if v, ok := m.(*consensus.Vote); ok && n == sleeper && v.Type == consensus.Precommit && v.Round == 1 && v.Value != consensus.Nil {
			l.phase = laggardAsleep
			w.tracef("laggard: n%d precommitted in round 1 and goes to sleep", n.slot)
			// After the step that signed it, so that the precommit goes
			// out and the step completes.
			w.after(0, sleeper.crash)
		}
	case laggardAsleep:
		if laggardRound(m) > l.rounds {
			l.phase = laggardWokenUp
			w.tracef("laggard: round %d begins; n%d wakes up", laggardRound(m), l.sleeper)
			w.after(0, l.wake(sleeper))
		}
	}
}

// onHeal wakes the sleeper if the rounds have not come round by then.
func (l *laggard) onHeal(w *world) {
	if l.sleeper < 0 || l.phase != laggardAsleep {
		return
	}
	l.phase = laggardWokenUp
	w.after(0, l.wake(w.nodes[l.sleeper]))
}

func (l *laggard) wake(n *node) func() {
	return func() {
		if !n.alive {
			n.w.tracef("n%d RESTART", n.slot)
			n.boot()
		}
	}
}

// laggardRound is the round (view) of a NEW-VIEW or proposal, -1 for
// other messages.
func laggardRound(m consensus.Message) int32 {
	switch m := m.(type) {
	case *consensus.NewView:
		return m.View
	case *consensus.Proposal:
		return m.Round
	}
	return -1
}
