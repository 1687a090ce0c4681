package sim

import (
	"maps"
	"slices"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// ValSetScenario is the family whose validators' voting powers change
// while the chain runs: at a few heights some validators' powers are
// multiplied or divided (members and their order stay, so that a
// validator index names one node throughout), such that every quorum of
// the new powers is a quorum of the old ones (see tightensAll). Executed{h} reports the set
// of h+1, so a node counts the messages of later heights that arrive
// before its application executed h with the old powers, and must count
// them again (PBFT's retally) once it learns the new ones. One or two
// nodes with slow applications (until the faults heal), and delays, make
// that common: a node hears COMMITs for h+1
// from the faster nodes before executing h, and a set of them that was a
// quorum under the old powers may not be one under the new. A core that
// keeps the old count decides with a commit the checker refuses (not more
// than 2/3 of the power of the height's set). Where the powers allow it a
// change makes the slow node's power needed (needSlow): the slow node then
// judges the new set's first height late and its view's primary falls
// silent for a second, so that the VIEW-CHANGE carrying the slow node's
// certificate of that height shows whether it was counted with the new
// powers (the checker refuses none of an honest node). Every third seed
// draws a checkpoint turn instead where the powers allow it
// (checkpointturn.go): the same question for CHECKPOINTs. No validator is
// Byzantine.
const ValSetScenario = "valset"

// valSetPlan draws the power changes, delays, losses and the nodes with
// slow applications.
func (w *world) valSetPlan(p *plan) {
	if w.opts.Seed%3 == 0 && w.checkpointTurnPlan(p) {
		return
	}
	p.healAt = w.between(2*time.Second, 5*time.Second)
	p.drop = 0.1 * w.rng.Float64()
	p.faultMaxDelay = w.between(20*time.Millisecond, 150*time.Millisecond)
	w.slowExec = map[int]time.Duration{}
	for range 1 + w.rng.IntN(2) {
		w.slowExec[w.rng.IntN(len(w.nodes))] = w.between(20*time.Millisecond, 250*time.Millisecond)
	}
	w.powerChanges = map[int64][]int64{}
	var heights []int64
	for range 1 + w.rng.IntN(3) {
		if h := 2 + w.rng.Int64N(9); !slices.Contains(heights, h) {
			heights = append(heights, h)
		}
	}
	slices.Sort(heights)
	// In height order: a node that lags behind weighs a later height's
	// messages with an earlier set.
	sets := [][]int64{powersOf(w.genesis)}
	// The slow node with the lowest slot becomes necessary where the
	// powers allow it; the draw above stays, so that the family's other
	// random draws do not move.
	slow := slices.Sorted(maps.Keys(w.slowExec))[0]
	w.slowTurns, w.silenced = map[int64]bool{}, map[int64]bool{}
	for _, h := range heights {
		powers, ok := w.drawPowers(sets)
		if needed, found := needSlow(sets, w.nodes[slow].val); found {
			powers, ok = needed, true
			w.slowTurns[h] = true
		}
		if ok {
			w.powerChanges[h] = powers
			sets = append(sets, powers)
		}
	}
}

// needSlow divides the powers of the validators other than s by 2, 3 or
// 4, the first that, with a power for s of at least half theirs (so they
// hold no more than 2/3 of the new powers), keeps every quorum of the new
// powers one of every earlier set's (tightensAll); found is false if none
// does. With s a slow node, the PREPAREs of the new set's first height
// that the others send reach s before its application executed the height
// before, and s judges that height late (nodeapp.go), so at Executed it
// holds the others' PREPAREs without its own: counted with the old powers
// they are a quorum, with the new ones they are none. A core that keeps the
// old count (PBFT's retally, or checkPrepared before the set is known)
// certifies, and the VIEW-CHANGE that carries the certificate, once the
// primary falls silent, is refused by every node that knows the new set,
// which the checker reports (refused).
func needSlow(earlier [][]int64, s int32) ([]int64, bool) {
	last := earlier[len(earlier)-1]
	if len(last) < 2 {
		return nil, false // a lone validator is always needed
	}
	for d := int64(2); d <= 4; d++ {
		next := slices.Clone(last)
		var rest int64
		for i := range next {
			if int32(i) != s {
				next[i] = max(1, next[i]/d)
				rest += next[i]
			}
		}
		// The others hold no more than 2/3 once s has at least half
		// their power; more than that only makes fewer quorums old ones.
		for x := max(1, (rest+1)/2); x <= rest; x++ {
			next[s] = x
			if tightensAll(earlier, next) {
				return next, true
			}
		}
	}
	return nil, false
}

// drawPowers changes one or two of the genesis powers, each by a factor
// between 1/2 and 2, such that every quorum of the new powers is one of
// every earlier set's (see tightens); ok is false if twenty draws found
// none.
func (w *world) drawPowers(earlier [][]int64) ([]int64, bool) {
	for range 20 {
		powers := powersOf(w.genesis)
		for range 1 + w.rng.IntN(2) {
			i := w.rng.IntN(len(powers))
			powers[i] = max(1, powers[i]*(2+w.rng.Int64N(7))/4)
		}
		if tightensAll(earlier, powers) {
			return powers, true
		}
	}
	return nil, false
}

// tightensAll reports whether every set of validators with more than 2/3
// of the power in next has more than 2/3 in each earlier set as well.
// Executed{h} tells a node the set of h+1, so a node that lags behind
// weighs the messages of later heights with an earlier set: certificates
// of the honest nodes (quorums of the new powers) must convince it, or it
// could neither join views nor fetch blocks (a liveness limit of the
// cores with changing powers that this family does not test). The other
// way round is allowed, and is what the family is for: a quorum of the
// old powers that is none of the new must not decide a block once the
// new powers are known.
func tightensAll(earlier [][]int64, next []int64) bool {
	for _, old := range earlier {
		if !tightens(old, next) {
			return false
		}
	}
	return true
}

func tightens(old, next []int64) bool {
	var oldTotal, nextTotal int64
	for i := range old {
		oldTotal += old[i]
		nextTotal += next[i]
	}
	for subset := range 1 << len(next) {
		var o, n int64
		for i := range next {
			if subset&(1<<i) != 0 {
				o += old[i]
				n += next[i]
			}
		}
		if n*3 > nextTotal*2 && o*3 <= oldTotal*2 {
			return false
		}
	}
	return true
}
func powersOf(vs *consensus.ValidatorSet) []int64 {
	out := make([]int64, vs.Size())
	for i := range out {
		out[i] = vs.Power(int32(i))
	}
	return out
}

// withPowers is vs with the given powers, in the same order and with the
// same proposer priorities and proposer.
func withPowers(vs *consensus.ValidatorSet, powers []int64) *consensus.ValidatorSet {
	vals := append([]consensus.Validator(nil), vs.Validators...)
	for i := range vals {
		vals[i].Power = powers[i]
	}
	out, err := consensus.ValidatorSetFromExisting(vals, vs.Proposer)
	if err != nil {
		panic("sim: a drawn validator set is invalid: " + err.Error())
	}
	return out
}
