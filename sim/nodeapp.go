package sim

import (
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// appDelay is how long the simulated application takes to answer.
func (w *world) appDelay() time.Duration { return w.between(0, 2*time.Millisecond) }

// execDelay is how long n's application takes to execute a block: longer
// on the valset family's slow nodes until the faults heal (a node that
// stays slower than the chain falls behind for good, which is no fault of
// the protocol).
func (w *world) execDelay(n *node) time.Duration {
	if slow := w.slowExec[n.slot]; slow > 0 && w.net.faulty {
		return w.between(slow/2, slow)
	}
	return w.appDelay()
}

// later delivers in to the node after d, unless the node restarted (or
// crashed) in between: answers to a previous life are lost with it.
func (n *node) later(d time.Duration, in consensus.Input) {
	life := n.life
	n.w.after(d, func() {
		if n.life == life {
			n.deliver(in)
		}
	})
}

// requestProposal answers RequestProposal with a fresh value, invalid if
// the node is a Byzantine proposer of invalid blocks.
func (n *node) requestProposal(a consensus.RequestProposal) {
	valid := n.byz == nil || n.byz.kind != behaveInvalid
	v := n.w.newValue(n.val, a.Height, valid)
	if n.txs != nil {
		info := n.w.values[v]
		info.txs = n.reapTxs()
		n.w.values[v] = info
	}
	n.later(n.w.appDelay(), consensus.ProposalReady{Height: a.Height, Round: a.Round, Value: v})
}

// requestVerdict answers once the application has executed Height-1.
func (n *node) requestVerdict(a consensus.RequestVerdict) {
	if a.Height-1 > n.led.executed {
		n.verdictWait = append(n.verdictWait, a)
		return
	}
	d := n.w.appDelay()
	if slow := n.w.slowExec[n.slot]; slow > 0 && n.w.slowTurns[a.Height] && n.w.net.faulty {
		// The slow node judges the first height of a set that needs its
		// power only after it executed the height before: it counts the
		// others' PREPAREs without its own then (valset.go).
		d += slow
	}
	n.later(d, consensus.Verdict{Height: a.Height, Value: a.Value, Valid: n.w.valid(a.Height, a.Value)})
}

// answerWaitingVerdicts answers the requests that the execution of the
// latest height unblocked.
func (n *node) answerWaitingVerdicts() {
	var still []consensus.RequestVerdict
	for _, a := range n.verdictWait {
		if a.Height-1 <= n.led.executed {
			n.requestVerdict(a)
		} else {
			still = append(still, a)
		}
	}
	n.verdictWait = still
}

// decide records a decision with the checker, stores the block and
// executes what can be executed in height order. A height decided again
// (replay after a restart) is answered from the store.
func (n *node) decide(d consensus.Decide) {
	if d.Height < 1 {
		n.badAction("decide at height %d", d.Height)
		return
	}
	n.w.check.decide(n, d)
	if n.w.lock != nil {
		n.w.lock.onDecide(n.w, n, d.Height)
	}
	fresh := n.led.store(d.Height, d.Value, d.Commit)
	if !fresh && d.Height <= n.led.executed {
		n.later(n.w.execDelay(n), n.executedInput(d.Height))
	}
	n.executeReady()
}

// executeReady executes every stored block that is next in line.
func (n *node) executeReady() {
	for {
		h, ok := n.led.executeNext()
		if !ok {
			return
		}
		if n.txs != nil {
			n.executeTxs(h, n.led.blocks[h].value)
		}
		n.w.onExecuted(n, h)
		d := n.w.execDelay(n)
		n.later(d, n.executedInput(h))
		n.silencePrimaryAt(h+1, d)
		n.answerWaitingVerdicts()
	}
}

// silencePrimaryAt silences the primary of the slow node's view for a
// second once the slow node executes h-1 (after d), when h is a height of
// the valset family that needs the slow node's power: the view change that
// follows carries the slow node's certificate for h, which the others
// refuse if it was counted with the old powers (valset.go). At a checkpoint
// turn's height it is the primary of the others' view, and the VIEW-CHANGE
// carries the slow node's stable checkpoint (checkpointturn.go).
func (n *node) silencePrimaryAt(h int64, d time.Duration) {
	w := n.w
	turn := w.slowTurns[h] || (w.ckTurn != nil && w.ckTurn.height == h)
	if !turn || w.silenced[h] || w.slowExec[n.slot] == 0 || !w.net.faulty {
		return
	}
	w.silenced[h] = true
	viewer := n
	if w.ckTurn != nil && w.ckTurn.height == h {
		// The slow node may have left the others' view on its own: the
		// view change must be theirs.
		viewer = w.nodes[w.ckTurn.held]
	}
	primary := int32(int64(viewer.core.Status().Round) % int64(len(w.nodes)))
	if primary == n.val {
		return
	}
	w.after(d, func() {
		w.net.silenced[primary] = true
		w.tracef("valset: v%d falls silent", primary)
	})
	w.after(d+time.Second, func() { delete(w.net.silenced, primary) })
}

func (n *node) executedInput(h int64) consensus.Executed {
	in := consensus.Executed{Height: h, AppHash: n.led.appHash(h), Next: n.w.valsAt(h + 1).Copy()}
	if n.txs != nil {
		in.LeftOut = n.txs.leftOut[h]
	}
	return in
}

// maxSyncBlocks bounds one block-sync answer; the core asks again for more.
const maxSyncBlocks = 64

// fetchRetry is how often block sync looks again for a peer that has the
// blocks a node asked for.
const fetchRetry = 200 * time.Millisecond

// fetch serves FetchBlocks from a reachable peer that has the first block
// asked for. Like a block-sync reactor it keeps looking until one does
// (one search per node at a time, for the latest request), so a request
// made while partitioned is served once the network heals.
func (n *node) fetch(from, to int64) {
	n.fetchFrom, n.fetchTo = max(from, 1), to
	if n.fetchSearching {
		return
	}
	n.fetchSearching = true
	n.searchPeers(n.life)
}

func (n *node) searchPeers(life int) {
	w := n.w
	if n.life != life || !n.alive {
		return
	}
	from, to := n.fetchFrom, n.fetchTo
	var peers []*node
	for _, p := range w.nodes {
		if p != n && p.alive && p.led.top >= from && w.reachable(n.slot, p.slot) && w.reachable(p.slot, n.slot) && w.servesBlocks(p) {
			peers = append(peers, p)
		}
	}
	if len(peers) == 0 {
		w.after(fetchRetry, func() { n.searchPeers(life) })
		return
	}
	n.fetchSearching = false
	p := peers[w.rng.IntN(len(peers))]
	for _, q := range peers {
		if q.forges() && w.chance(0.5) {
			p = q // a forger answers first when it can
		}
	}
	var blocks []consensus.Synced
	for h := from; (to == 0 || h <= to) && len(blocks) < maxSyncBlocks; h++ {
		b, ok := p.led.blocks[h]
		if !ok {
			break
		}
		blocks = append(blocks, consensus.Synced{Height: h, Value: b.value, Commit: cloneVotes(b.commit)})
	}
	if p.forges() && w.net.faulty {
		blocks = w.forgedBlocks(p, blocks)
	}
	w.tracef("n%d fetches %d..%d from n%d: %d blocks", n.slot, from, to, p.slot, len(blocks))
	w.after(w.net.delay(w)+w.net.delay(w), func() {
		if n.life != life {
			return
		}
		for _, s := range blocks {
			if !n.verifyCommit(s) {
				return
			}
			n.deliver(s)
		}
	})
}

// verifyCommit checks the signatures of a synced block's commit, as the
// driver does before a Synced becomes an input.
func (n *node) verifyCommit(s consensus.Synced) bool {
	for i := range s.Commit {
		if err := n.w.keys.verify(&s.Commit[i]); err != nil {
			n.w.res.BadSignatures++
			n.w.tracef("n%d dropped synced block %d: %v", n.slot, s.Height, err)
			return false
		}
	}
	return true
}
