package sim

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// world is one simulation run: the nodes, the network, the virtual clock
// and the checker. Everything happens on one goroutine.
type world struct {
	opts  Options
	proto Protocol
	rng   *rand.Rand
	now   time.Duration
	queue eventQueue
	res   *Result

	keys      *keyring
	genesis   *consensus.ValidatorSet
	valsCache []*consensus.ValidatorSet
	// powerChanges are the valset family's new powers by the first height
	// they apply to; nil in the other families.
	powerChanges map[int64][]int64
	// slowTurns are the valset family's change heights at which its slow
	// node's power is needed (needSlow): the slow node's verdict on such
	// a height comes late, and the primary of its view falls silent for a
	// while once the slow node executed the height before (nodeapp.go).
	slowTurns map[int64]bool
	silenced  map[int64]bool  // slowTurns whose primary fell silent already
	ckTurn    *checkpointTurn // the valset family's checkpoint turn, or nil
	// slowExec bounds, per slow node (by slot), how long its application
	// takes to execute a block; the valset family's, nil otherwise.
	slowExec  map[int]time.Duration
	nodes     []*node
	byVal     [][]int // validator index -> its nodes (twins have two)
	honestVal []bool  // validator index -> not Byzantine

	plan  *plan
	net   network
	check checker

	values   map[consensus.ID]valueInfo
	valueSeq int
	splits   map[slot]split // equivocation plans shared by the Byzantine
	lock     *lockAttack    // the lock family's adversary, nil otherwise
	forgery  *stableForgery // the forgedsync family's view-change forgery, nil otherwise
	laggard  *laggard       // the laggard family's adversary, nil otherwise
	// switchFaults are the switch family's faults, nil otherwise.
	switchFaults *switchFaults

	lastProposer int32 // the validator that signed the latest proposal
	stress       *stress
	txs          *txModel // the transaction families' clients (txs.go); nil otherwise
	live         liveness
	stop         bool
	digest       uint64
}

// after schedules fn to run d from now. Delays beyond any run's end are
// clamped, so that a core's huge timeout cannot overflow the clock.
func (w *world) after(d time.Duration, fn func()) {
	const never = 1000 * time.Hour
	w.queue.schedule(w.now+min(max(d, 0), never), fn)
}

func (w *world) tracef(format string, args ...any) {
	if w.opts.Trace == nil {
		return
	}
	fmt.Fprintf(w.opts.Trace, "%10.4fs  %s\n", w.now.Seconds(), fmt.Sprintf(format, args...))
}

// mix folds x into the run's digest.
func (w *world) mix(x uint64) {
	w.digest ^= x
	w.digest *= 1099511628211
}

func (w *world) mixString(s string) {
	h := fnv.New64a()
	h.Write([]byte(s))
	w.mix(h.Sum64())
}

// between returns a uniform duration in [lo, hi].
func (w *world) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(w.rng.Int64N(int64(hi-lo)+1))
}

func (w *world) chance(p float64) bool { return p > 0 && w.rng.Float64() < p }

// violate records a violation, once per (kind, node, height), and stops
// the run once enough have been seen.
func (w *world) violate(kind string, n *node, height int64, format string, args ...any) {
	v := Violation{Kind: kind, At: w.now, Node: -1, Validator: -1, Height: height, Detail: fmt.Sprintf(format, args...)}
	if n != nil {
		v.Node, v.Validator = n.slot, n.val
	}
	key := violationKey{kind, v.Node, height}
	if w.check.reported[key] {
		return
	}
	w.check.reported[key] = true
	w.res.Violations = append(w.res.Violations, v)
	w.tracef("VIOLATION %s", v)
	if len(w.res.Violations) >= maxViolations {
		w.stop = true
	}
}

const maxViolations = 20

type violationKey struct {
	kind   string
	node   int
	height int64
}
