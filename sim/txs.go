package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// The transaction families model what a primary can do with the mempool:
// clients submit transactions of a few sizes, every node's mempool hears
// of each after its own gossip delay (so the nodes' arrival orders
// differ), a proposer reaps its mempool in arrival order until the next
// transaction does not fit the block's room, as the engine does, and
// after executing a block a node reports the transaction it held that the
// block left out though it would have fit (Executed.LeftOut), as the
// engine does. Only these families build blocks of transactions, so the
// other families' runs stay as they were.
const (
	// CensorScenario: the primaries of the first views (one, or two in
	// a row when there are seven or more validators) leave one chosen
	// transaction out of every block they propose, on an idle chain or
	// under load. Every honest node must commit it.
	CensorScenario = "censor"
	// SaturateScenario: honest validators, a burst of transactions many
	// blocks long. Every honest node must commit them all, and a
	// protocol whose views persist must not change view: an honest
	// primary is never voted out for what did not fit.
	SaturateScenario = "saturate"
)

// blockRoom is how many size units of transactions a block holds; a
// transaction takes 1 to maxTxSize.
const (
	blockRoom = 8
	maxTxSize = 3
)

// txModel is the transactions of a run.
type txModel struct {
	sizes    []int // by transaction number
	target   int   // the censored transaction, -1 if none
	targetAt time.Duration
	load     bool
}

// nodeTxs is one node's mempool and what it reported per height.
type nodeTxs struct {
	order     []int         // mempool: transaction numbers in arrival order
	admitted  map[int]int64 // transaction -> executed height when it arrived
	committed map[int]bool
	leftOut   map[int64]consensus.ID // height -> Executed.LeftOut
}

func (w *world) txFamily() bool {
	return w.opts.Scenario == CensorScenario || w.opts.Scenario == SaturateScenario
}

func txID(t int) consensus.ID { return consensus.ID(fmt.Sprintf("tx%d", t)) }

// startTxs sets up the model and schedules the clients' submissions.
func (w *world) startTxs() {
	m := &txModel{target: -1}
	w.txs = m
	for _, n := range w.nodes {
		n.txs = &nodeTxs{admitted: map[int]int64{}, committed: map[int]bool{}, leftOut: map[int64]consensus.ID{}}
	}
	switch w.opts.Scenario {
	case CensorScenario:
		m.load = w.chance(0.5)
		m.targetAt = w.between(100*time.Millisecond, 400*time.Millisecond)
		w.after(m.targetAt, func() { m.target = w.submitTx() })
		if m.load {
			end := w.between(time.Second, 3*time.Second)
			w.steadyLoad(end)
		}
	case SaturateScenario:
		// A burst of some 10 to 20 blocks' worth, then for about two
		// request timeouts more transactions than blocks take: the
		// mempool stays larger than a block for many heights, and the
		// oldest transaction waits longer than a request timeout.
		count := w.between(40, 80)
		w.after(50*time.Millisecond, func() {
			for range int(count) {
				w.submitTx()
			}
		})
		w.burstLoad(w.between(600*time.Millisecond, 900*time.Millisecond))
	}
}

// steadyLoad submits a transaction every few milliseconds until end.
func (w *world) steadyLoad(end time.Duration) {
	w.after(w.between(5*time.Millisecond, 40*time.Millisecond), func() {
		if w.now > end {
			return
		}
		w.submitTx()
		w.steadyLoad(end)
	})
}

// burstLoad submits a transaction every two milliseconds until end, about
// twice what the blocks of the simulated network take.
func (w *world) burstLoad(end time.Duration) {
	w.after(2*time.Millisecond, func() {
		if w.now > end {
			return
		}
		w.submitTx()
		w.burstLoad(end)
	})
}

// submitTx creates a transaction; every live node's mempool gets it after
// a gossip delay.
func (w *world) submitTx() int {
	t := len(w.txs.sizes)
	w.txs.sizes = append(w.txs.sizes, 1+w.rng.IntN(maxTxSize))
	for _, n := range w.nodes {
		w.after(w.net.delay(w), func() { n.hearTx(t) })
	}
	return t
}

// hearTx admits transaction t to n's mempool. A node that is down hears
// of it later, as mempool gossip resends to a peer that comes back.
func (n *node) hearTx(t int) {
	if !n.alive {
		n.w.after(gossipRetry, func() { n.hearTx(t) })
		return
	}
	if n.txs.committed[t] {
		return
	}
	if _, dup := n.txs.admitted[t]; dup {
		return
	}
	n.txs.admitted[t] = n.led.executed
	n.txs.order = append(n.txs.order, t)
	n.deliver(consensus.TxsAvailable{})
}

// gossipRetry is how soon mempool gossip tries a peer that was down again.
const gossipRetry = 50 * time.Millisecond

// reapTxs is the block n proposes: its mempool in arrival order up to the
// first transaction that does not fit. A censoring node skips the target.
func (n *node) reapTxs() []int {
	var out []int
	used := 0
	for _, t := range n.txs.order {
		if n.byz != nil && n.byz.kind == behaveCensor && t == n.w.txs.target {
			continue
		}
		size := n.w.txs.sizes[t]
		if used+size > blockRoom {
			break
		}
		used += size
		out = append(out, t)
	}
	return out
}

// executeTxs applies the block of height h to n's mempool and records the
// transaction it left out though it would have fit: the first one left in
// the mempool, if n heard of it before height h-1 was executed and it fits
// the room the block left. A censoring node does not suspect itself.
func (n *node) executeTxs(h int64, v consensus.ID) {
	used := 0
	for _, t := range n.w.values[v].txs {
		used += n.w.txs.sizes[t]
		n.txs.committed[t] = true
	}
	kept := n.txs.order[:0]
	for _, t := range n.txs.order {
		if !n.txs.committed[t] {
			kept = append(kept, t)
		}
	}
	n.txs.order = kept
	if len(kept) == 0 || n.byz != nil && n.byz.kind == behaveCensor {
		return
	}
	first := kept[0]
	if n.txs.admitted[first] <= h-2 && used+n.w.txs.sizes[first] <= blockRoom {
		n.txs.leftOut[h] = txID(first)
		n.w.tracef("n%d: block %d (%d of %d used) left out tx%d of size %d", n.slot, h, used, blockRoom, first, n.w.txs.sizes[first])
	}
	n.later(n.w.appDelay(), consensus.TxsAvailable{})
}

// txsDone reports that n committed every transaction submitted so far.
func (w *world) txsDone(n *node) bool {
	if w.txs == nil {
		return true
	}
	if w.opts.Scenario == CensorScenario && w.txs.target < 0 {
		return false // not submitted yet
	}
	return len(n.txs.committed) == len(w.txs.sizes)
}

// checkTxsOnDeadline reports a transaction an honest node never committed:
// for the censor family, the censored one.
func (w *world) checkTxsOnDeadline() {
	if w.txs == nil {
		return
	}
	for _, n := range w.nodes {
		if !n.honest {
			continue
		}
		if t := w.txs.target; t >= 0 && !n.txs.committed[t] {
			w.violate("censored", n, 0, "transaction %d, submitted at %v, never committed by %v", t, w.txs.targetAt, w.now)
			continue
		}
		if len(n.txs.committed) < len(w.txs.sizes) {
			w.violate("lost-tx", n, 0, "committed %d of %d transactions by %v", len(n.txs.committed), len(w.txs.sizes), w.now)
		}
	}
}

// checkView reports, under honest saturation, a protocol whose views
// persist that left view 0: an honest primary was voted out. On a chain
// that switches protocol it asks the core running now: a Tendermint core
// after PBFT may change rounds, and a PBFT core after Tendermint starts
// its views at 0.
func (w *world) checkView(n *node, h int64) {
	if w.opts.Scenario != SaturateScenario || !n.runningProtocol().StableViews || !n.honest || n.core == nil {
		return
	}
	if st := n.core.Status(); st.Round != 0 {
		w.violate("view-change", n, h, "left view 0 (now view %d, step %q) under honest saturation", st.Round, st.Step)
	}
}

// censors picks the censoring validators: the primary of view 0 (PBFT's
// validator 0, Tendermint's genesis proposer), and with seven or more
// validators half the time its successor too, so that the first view
// change lands on another censor.
func (w *world) censors() []int32 {
	first := int32(0)
	if !w.proto.StableViews {
		first = w.genesis.Proposer
	}
	byz := []int32{first}
	if w.genesis.Size() >= 7 && w.chance(0.5) {
		byz = append(byz, (first+1)%int32(w.genesis.Size()))
	}
	slices.Sort(byz)
	return byz
}
