package sim

import (
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// Network timing: every message takes at least minDelay; once healed, at
// most healedMaxDelay.
const (
	minDelay       = time.Millisecond
	healedMaxDelay = 10 * time.Millisecond
)

// network is the simulated network's state. While faulty (before the heal
// time) it drops, duplicates, delays up to faultMaxDelay and obeys the
// current partition; afterwards it delivers everything within
// healedMaxDelay.
type network struct {
	faulty        bool
	drop, dup     float64
	faultMaxDelay time.Duration
	// reach[a][b] reports whether node a can send to node b; nil means a
	// full mesh.
	reach [][]bool
	// silenced validators send nothing (the view-change stress).
	silenced map[int32]bool
}

func (nw *network) delay(w *world) time.Duration {
	hi := healedMaxDelay
	if nw.faulty {
		hi = max(hi, nw.faultMaxDelay)
	}
	return w.between(minDelay, hi)
}

// reachable reports whether node a can currently send to node b.
func (w *world) reachable(a, b int) bool {
	if w.net.reach == nil {
		return true
	}
	return w.net.reach[a][b]
}

// peersOf is every node but the given one.
func (w *world) peersOf(slot int) []int {
	out := make([]int, 0, len(w.nodes)-1)
	for i := range w.nodes {
		if i != slot {
			out = append(out, i)
		}
	}
	return out
}

// send puts a message from node from to node to on the wire.
func (w *world) send(from, to int, m consensus.Message) {
	w.res.Messages++
	size := w.noteSent(from, m)
	nw := &w.net
	if w.forgery != nil {
		w.forgery.note(w, from, m)
	}
	if !w.reachable(from, to) || nw.silenced[w.nodes[from].val] || (nw.faulty && w.chance(nw.drop)) ||
		(nw.faulty && w.lock != nil && (w.lock.dropsPrecommit(w, from, m) || w.lock.hidesPrevote(w, from, to, m))) ||
		(w.laggard != nil && w.laggard.loses(w, to, m)) ||
		(nw.faulty && w.ckTurn != nil && w.ckTurn.withholds(from, to, m)) {
		w.res.Dropped++
		return
	}
	copies := 1
	if nw.faulty && w.chance(nw.dup) {
		copies = 2
	}
	for i := 0; i < copies; i++ {
		msg := cloneMessage(m)
		w.after(w.linkDelay(from, to, size), func() { w.nodes[to].receive(from, msg) })
	}
}

// heal ends the fault window.
func (w *world) heal() {
	w.net.faulty = false
	w.net.reach = nil
	w.tracef("network healed")
}
