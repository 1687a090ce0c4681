package sim

import (
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// The switch of protocol, played by each node's driver as the engine
// plays it (engine/switch.go): the first core runs until the node has
// executed height H-1; that step's actions are dropped, a core of the
// second protocol starts at H with the validator set H-1 left, and the
// inputs for H and above that arrived meanwhile are handed to it. Until
// then the first core never signs, proposes, asks or decides at H or
// above; afterwards the second never sees the first one's inputs. The
// write-ahead log replays the hand-over at the same input, and the
// snapshot remembers which protocol wrote it.

// maxHeld bounds the inputs kept for the second core.
const maxHeld = 4096

// switchAt is the height this node's driver hands over at, 0 for none. A
// Byzantine validator of the schedule family runs another schedule.
func (n *node) switchAt() int64 {
	if n.w.proto.then == nil {
		return 0
	}
	if n.byz != nil && n.byz.kind == behaveSchedule {
		return n.byz.schedule
	}
	if splitSchedules && n.slot%2 == 1 {
		return n.w.proto.switchAt + 1
	}
	return n.w.proto.switchAt
}

// runningProtocol is the protocol of the core this node runs now.
func (n *node) runningProtocol() *Protocol {
	if n.second {
		return n.w.proto.then
	}
	return &n.w.proto
}

// firstRuns tells whether the first core runs and a switch is ahead of it.
func (n *node) firstRuns() bool { return n.switchAt() > 0 && !n.second }

// screen tells whether an input goes to the running core now. Inputs for
// the switch height and above wait while the first core runs (and tell the
// driver's block sync that the chain moved on); the first core's leftovers
// never reach the second.
func (n *node) screen(in consensus.Input) bool {
	at := n.switchAt()
	h := consensus.InputHeight(in)
	_, received := in.(consensus.Receive)
	switch {
	case at == 0:
		return true
	case h == 0:
		if received && n.firstRuns() {
			// A VIEW-CHANGE or NEW-VIEW: perhaps of a second protocol
			// the peers already run.
			n.catchUpToSwitch()
		}
		return true
	case n.firstRuns() && h >= at:
		if _, synced := in.(consensus.Synced); (received || synced) && len(n.held) < maxHeld {
			n.held = append(n.held, cloneInput(in))
		}
		n.catchUpToSwitch()
		return false
	case n.second && h < at:
		return false
	}
	return true
}

// catchUpToSwitch asks block sync for the heights the first core still
// misses once peers show signs of running the second protocol: they no
// longer speak the first one, so only block sync brings those heights (the
// ledger may even hold them while the core, restarted, was never told).
// The engine's block sync polls its peers' heights and gets there too.
func (n *node) catchUpToSwitch() {
	if next, at := n.core.Status().Height, n.switchAt(); next < at {
		n.fetch(next, at-1)
	}
}

// beyondFirst tells whether an action of the first core concerns the
// switch height or above.
func (n *node) beyondFirst(a consensus.Action) bool {
	return n.firstRuns() && consensus.ActionHeight(a) >= n.switchAt()
}

// splitSchedules makes every other honest node switch one height later:
// the positive control of the switch tests, never set otherwise.
var splitSchedules = false

// carryOutAll carries out actions while the node lives, or holds them
// while its log replays (act).
func (n *node) carryOutAll(acts []consensus.Action) {
	for _, a := range acts {
		if !n.alive || n.halted {
			return
		}
		n.act(a)
	}
}

// handOverDue tells whether the input just stepped ended the first
// protocol's last height.
func (n *node) handOverDue(in consensus.Input) bool {
	x, ok := in.(consensus.Executed)
	at := n.switchAt()
	return ok && n.firstRuns() && x.Height == at-1 && n.core.Status().Height == at
}

// handOver starts the second core at the switch height with next, the
// validator set that decides it.
func (n *node) handOver(next *consensus.ValidatorSet) {
	w, at := n.w, n.switchAt()
	core, err := w.proto.then.NewAt(n.addr, at, next, nil)
	if err != nil {
		n.halted = true
		if n.honest {
			w.violate("restart", n, at, "building the %s core for the switch failed: %v", w.proto.then.Name, err)
		}
		return
	}
	w.tracef("n%d SWITCH to %s at height %d", n.slot, w.proto.then.Name, at)
	w.res.Switches++
	n.core, n.second = core, true
	n.gen++
	n.verdictWait = nil
	// The first core's actions held by a replay die with it, as the
	// engine's do.
	n.replayHeld = nil
	// The signer's floor is not raised here: it survives a crash, and a
	// replay from an older snapshot whose log ends before the hand-over
	// carries out the first core's unanswered broadcasts below the switch
	// height. The first
	// core never signs at the switch height or above (beyondFirst), and
	// the second core's own snapshots raise the floor durably.
	if !n.replaying {
		for _, in := range n.held {
			n.pending = append(n.pending, logged{in: in})
		}
	}
	n.held = nil
	acts, err := n.safeStep(consensus.Start{})
	if err != nil {
		n.halted = true
		if n.honest {
			w.violate("halt", n, at, "the %s core halted on its first start: %v", w.proto.then.Name, err)
		}
		return
	}
	n.carryOutAll(acts)
}

// newCore builds the core a boot resumes: the second protocol's from its
// own snapshot, else the first protocol's from its snapshot or genesis.
func (n *node) newCore() (consensus.Core, error) {
	w := n.w
	n.second = n.wal.second && w.proto.then != nil
	if n.second {
		return w.proto.then.NewAt(n.addr, n.switchAt(), nil, n.wal.snapshot)
	}
	return w.proto.New(n.addr, w.genesis.Copy(), n.wal.snapshot)
}

// The switch family: faults placed around the switch height H (6 for a
// protocol that does not switch). One honest node crashes right after it
// executes H-2, H-1 or H, so that it restarts at H-1, H or H+1 and its log
// replays across the hand-over; half the time a partition starts as the
// first node executes H-2 and ends after H.
const switchFamilyHeight = 6

type switchFaults struct {
	crashAfter  int64 // executed height that crashes the victim
	victim      int
	partitionAt int64 // 0: none
	crashed     bool
	partitioned bool
}

func (w *world) switchFamilyPlan(p *plan) {
	p.healAt = w.between(2*time.Second, 4*time.Second)
	p.faultMaxDelay = 30 * time.Millisecond
	h := w.proto.switchAt
	if h == 0 {
		h = switchFamilyHeight
	}
	var honest []int
	for _, n := range w.nodes {
		if n.honest {
			honest = append(honest, n.slot)
		}
	}
	f := &switchFaults{crashAfter: h - 2 + int64(w.rng.IntN(3)), victim: -1}
	if len(honest) > 0 {
		f.victim = honest[w.rng.IntN(len(honest))]
	}
	if w.chance(0.5) {
		f.partitionAt = h - 2
	}
	w.switchFaults = f
}

// onExecutedForSwitch fires the switch family's faults.
func (w *world) onExecutedForSwitch(n *node, h int64) {
	f := w.switchFaults
	if f == nil {
		return
	}
	if !f.crashed && n.slot == f.victim && h == f.crashAfter {
		f.crashed = true
		restart := w.between(50*time.Millisecond, 800*time.Millisecond)
		w.after(0, n.crash)
		w.after(restart, func() {
			if !n.alive {
				w.tracef("n%d RESTART", n.slot)
				n.boot()
			}
		})
	}
	if !f.partitioned && f.partitionAt > 0 && h == f.partitionAt {
		f.partitioned = true
		kind := []string{"split", "halves", "isolate"}[w.rng.IntN(3)]
		w.net.reach = w.partition(kind)
		w.tracef("partition %s across the switch: %s", kind, reachString(w.net.reach))
		w.after(w.between(100*time.Millisecond, 800*time.Millisecond), func() {
			w.net.reach = nil
			w.tracef("partition %s ends", kind)
		})
	}
}
