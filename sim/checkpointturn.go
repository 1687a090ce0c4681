package sim

import (
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// CheckpointInterval is the interval of the simulated PBFT's checkpoints
// (protocols.PBFTConfig uses it); the valset family's checkpoint turn
// changes the powers at the first checkpoint height.
const CheckpointInterval = 5

// checkpointTurn is the valset family's variant for PBFT's CHECKPOINT count
// (every third seed). The powers change at a checkpoint height h so that
// the validators other than a slow node s and a node t hold more than 2/3
// of the old powers and no more than 2/3 of the new ones, while together
// with t they hold more than 2/3 of both. s executes slowly, so the
// others' CHECKPOINTs of h reach it before its application executed h-1:
// s counts them with the old powers (the set of h is not known yet), and
// t's CHECKPOINT of h does not reach s while the faults last. Once s
// executes h-1 and learns the new powers, a core that keeps the old count
// (PBFT's retally) makes h stable with a proof that is no quorum of h's
// set; the primary of s's view then falls silent for a second, and every
// node that knows the new powers refuses the VIEW-CHANGE that carries the
// proof (the checker's rule "refused").
type checkpointTurn struct {
	height     int64
	slow, held int // node slots of s and t
}

// withholds reports whether m is t's CHECKPOINT of h on its way to s.
func (ct *checkpointTurn) withholds(from, to int, m consensus.Message) bool {
	cp, ok := m.(*consensus.Checkpoint)
	return ok && from == ct.held && to == ct.slow && cp.Height == ct.height
}

// checkpointTurnPlan draws the checkpoint turn; false if no pair of nodes
// and power multipliers gives the powers above (few validators, or one
// heavy one), in which case the plan is unchanged.
func (w *world) checkpointTurnPlan(p *plan) bool {
	old := powersOf(w.genesis)
	for _, s := range w.rng.Perm(len(w.nodes)) {
		for _, t := range w.rng.Perm(len(w.nodes)) {
			if t == s {
				continue
			}
			next, ok := turnPowers(old, w.nodes[s].val, w.nodes[t].val)
			if !ok {
				continue
			}
			p.healAt = w.between(4*time.Second, 6*time.Second)
			p.faultMaxDelay = w.between(5*time.Millisecond, 30*time.Millisecond)
			w.slowExec = map[int]time.Duration{s: w.between(150*time.Millisecond, 250*time.Millisecond)}
			w.powerChanges = map[int64][]int64{CheckpointInterval: next}
			w.slowTurns, w.silenced = map[int64]bool{}, map[int64]bool{}
			w.ckTurn = &checkpointTurn{height: CheckpointInterval, slow: s, held: t}
			return true
		}
	}
	return false
}

// turnPowers multiplies the powers of validators s and t (by 1 to 8 each,
// the smallest product first) until the others hold no more than 2/3, and
// every quorum of the new powers is an old one.
func turnPowers(old []int64, s, t int32) ([]int64, bool) {
	if rest, total := othersPower(old, s, t); rest*3 <= total*2 {
		return nil, false // the others are no old quorum
	}
	for prod := int64(2); prod <= 64; prod++ {
		for a := int64(1); a <= 8; a++ {
			if prod%a != 0 || prod/a > 8 {
				continue
			}
			next := append([]int64(nil), old...)
			next[s], next[t] = old[s]*a, old[t]*(prod/a)
			rest, total := othersPower(next, s, t)
			withT := rest + next[t]
			if rest*3 <= total*2 && withT*3 > total*2 && tightens(old, next) {
				return next, true
			}
		}
	}
	return nil, false
}

// othersPower is the power of the validators other than s and t, and the
// total.
func othersPower(powers []int64, s, t int32) (rest, total int64) {
	for _, x := range powers {
		total += x
	}
	return total - powers[s] - powers[t], total
}
