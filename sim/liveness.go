package sim

import "time"

// liveness tracks the run's end: after the network heals, every honest
// node must decide new heights, up to the target, before the deadline.
type liveness struct {
	healed   bool
	healAt   time.Duration
	deadline time.Duration
	// heightAtHeal is the highest height an honest node had executed when
	// the network healed; target the height every honest node must reach.
	heightAtHeal int64
	target       int64
	recovered    int // honest nodes that executed a height above heightAtHeal
	done         bool
}

// onHeal starts the liveness clock.
func (w *world) onHeal() {
	l := &w.live
	l.healed = true
	for _, n := range w.nodes {
		if n.honest {
			l.heightAtHeal = max(l.heightAtHeal, n.led.executed)
		}
	}
	l.target = max(int64(w.heights()), l.heightAtHeal+2)
	w.tracef("liveness: every honest node must reach height %d by %v", l.target, l.deadline)
	w.checkDone()
}

func (w *world) heights() int {
	if w.opts.Heights > 0 {
		return w.opts.Heights
	}
	return 12
}

// onExecuted follows an honest node's progress.
func (w *world) onExecuted(n *node, h int64) {
	w.mix(uint64(h)<<16 | uint64(n.slot))
	w.noteExecuted(n, h)
	w.onExecutedForSwitch(n, h)
	w.checkView(n, h)
	if !n.honest {
		return
	}
	l := &w.live
	if l.healed && h > l.heightAtHeal && !n.newHeights {
		n.newHeights = true
		l.recovered++
		if l.recovered == w.honestNodes() {
			w.res.Recovery = w.now - l.healAt
		}
	}
	w.checkDone()
}

func (w *world) honestNodes() int {
	c := 0
	for _, n := range w.nodes {
		if n.honest {
			c++
		}
	}
	return c
}

// checkDone ends the run once every honest node reached the target.
func (w *world) checkDone() {
	l := &w.live
	if !l.healed || w.stress != nil {
		return
	}
	for _, n := range w.nodes {
		if n.honest && (n.led.executed < l.target || !w.txsDone(n)) {
			return
		}
	}
	l.done = true
}

// missedDeadline reports the honest nodes that did not make progress.
func (w *world) missedDeadline(why string) {
	w.checkTxsOnDeadline()
	l := &w.live
	for _, n := range w.nodes {
		if !n.honest || n.led.executed >= l.target {
			continue
		}
		status := "down"
		if n.halted {
			status = "halted"
		} else if n.core != nil {
			st := n.core.Status()
			status = st.Step
			w.violate("liveness", n, n.led.executed+1, "%s: executed %d of target %d by %v (healed at %v); core at height %d round %d step %q",
				why, n.led.executed, l.target, w.now, l.healAt, st.Height, st.Round, status)
			continue
		}
		w.violate("liveness", n, n.led.executed+1, "%s: executed %d of target %d by %v (healed at %v); node %s", why, n.led.executed, l.target, w.now, l.healAt, status)
	}
}
