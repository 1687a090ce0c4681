package sim

import (
	"errors"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
)

// node is one simulated bftnode process: a core and the driver around it.
// Twins are two nodes of one validator.
type node struct {
	w      *world
	slot   int
	val    int32
	addr   []byte
	honest bool       // its validator is not Byzantine
	byz    *byzantine // distorts what the node sends; nil for honest nodes and twins
	txs    *nodeTxs   // mempool of the transaction families (txs.go); nil otherwise

	core   consensus.Core
	second bool // the core is the switching protocol's second one
	gen    int  // cores run in this life; a replaced core's timers are void
	held   []consensus.Input
	alive  bool
	halted bool
	life   int // incarnation: events of an earlier life are void

	wal    wal
	led    ledger
	signer *signer

	pending     []logged // inputs to step, own messages handed back among them
	stepping    bool
	replaying   bool
	replayHeld  []consensus.Action // actions held while replaying the log
	verdictWait []consensus.RequestVerdict

	fetchFrom, fetchTo int64 // the latest FetchBlocks
	fetchSearching     bool  // looking for a peer that has fetchFrom

	decidedLife map[int64]bool         // heights decided in this incarnation
	decided     map[int64]consensus.ID // heights decided in any incarnation
	newHeights  bool                   // decided a height after healing
}

// boot builds the core from the latest snapshot, starts it and replays
// the log kept since the snapshot: the first start and every restart. It
// follows the engine's replay protocol (consensus.Resolve): the actions of
// the replay are held, each logged input drops those it answers, and only
// the unanswered ones are carried out once the log ends, so the
// simulator exercises the recovery path the node runs.
func (n *node) boot() {
	w := n.w
	core, err := n.newCore()
	if err != nil {
		if n.honest {
			w.violate("restart", n, 0, "building the core from its snapshot failed: %v", err)
		}
		return
	}
	n.core, n.alive, n.halted = core, true, false
	n.decidedLife = map[int64]bool{}
	kept := n.wal.takeForReplay()
	n.replaying = true
	// A snapshot is taken by a started core, so the restored core is
	// started before the inputs logged after the snapshot replay: the log
	// then rebuilds the state the core had.
	n.wal.append(consensus.Start{}, false)
	n.stepOne(consensus.Start{})
	for _, l := range kept {
		if !n.alive || n.halted {
			break
		}
		n.wal.append(l.in, l.own)
		n.wal.sync() // it was on disk already
		n.replayHeld = consensus.Resolve(n.replayHeld, l.in, l.own)
		n.stepOne(cloneInput(l.in))
	}
	n.replaying = false
	unanswered := n.replayHeld
	n.replayHeld = nil
	for _, a := range unanswered {
		if !n.alive || n.halted {
			break
		}
		n.carryOut(a)
	}
	n.drain()
}

// holdDuringReplay keeps an action produced while replaying until the log
// shows whether it was answered, as the engine does: retransmissions and
// snapshots are dropped (see consensus.Resolve) and evidence is reported
// at once.
func (n *node) holdDuringReplay(a consensus.Action) {
	switch a := a.(type) {
	case consensus.Send, consensus.SaveSnapshot:
		n.w.tracef("n%d -> (replay, dropped) %s", n.slot, describeAction(a))
		return
	case consensus.Evidence:
		n.carryOut(a)
		return
	}
	n.w.tracef("n%d -> (replay, held) %s", n.slot, describeAction(a))
	n.replayHeld = append(n.replayHeld, a)
}

// crash stops the node: everything not persisted is lost, and a random
// part of the log's non-durable tail with it.
func (n *node) crash() {
	if !n.alive {
		return
	}
	n.w.tracef("n%d CRASH (log %d entries, %d durable)", n.slot, len(n.wal.entries), n.wal.durable)
	n.w.res.Crashes++
	n.alive = false
	n.life++
	n.core = nil
	n.pending = nil
	n.held = nil
	n.replayHeld = nil
	n.verdictWait = nil
	n.fetchSearching = false
	n.wal.crash(n.w.rng)
}

// deliver logs in and steps the core with it, then with any own messages
// the actions handed back, in order.
func (n *node) deliver(in consensus.Input) {
	if !n.alive || n.halted {
		return
	}
	n.pending = append(n.pending, logged{in: in})
	n.drain()
}

// drain steps the core with the pending inputs, in order.
func (n *node) drain() {
	if n.stepping || !n.alive || n.halted {
		return
	}
	n.stepping = true
	for len(n.pending) > 0 && n.alive && !n.halted {
		next := n.pending[0]
		n.pending = n.pending[1:]
		if !n.screen(next.in) {
			continue
		}
		n.wal.append(next.in, next.own)
		n.stepOne(next.in)
	}
	n.pending = nil
	n.stepping = false
}

// stepOne steps the core with an input already logged and carries out the
// actions.
func (n *node) stepOne(in consensus.Input) {
	w := n.w
	w.tracef("n%d <- %s", n.slot, describeInput(in))
	acts, err := n.safeStep(in)
	if err != nil {
		if errors.Is(err, consensus.ErrInvalidInput) {
			w.res.Rejected++
			w.tracef("n%d rejected: %v", n.slot, err)
			w.check.refused(n, in, err)
		} else {
			n.halted = true
			w.tracef("n%d HALT: %v", n.slot, err)
			if n.honest {
				w.violate("halt", n, 0, "core halted on %s: %v", describeInput(in), err)
			}
			return
		}
	}
	if n.handOverDue(in) {
		n.handOver(in.(consensus.Executed).Next)
		return
	}
	if n.honest {
		w.check.stable(n)
		st := n.core.Status()
		w.res.MaxRound = max(w.res.MaxRound, st.Round)
		if w.live.healed {
			w.res.RoundsAfterHeal = max(w.res.RoundsAfterHeal, st.Round)
		}
	}
	n.carryOutAll(acts)
}

// act carries out a, or holds it while the log replays. An action of the
// first core beyond the switch height is dropped either way (carryOut).
func (n *node) act(a consensus.Action) {
	if n.replaying && !n.beyondFirst(a) {
		n.holdDuringReplay(a)
		return
	}
	n.carryOut(a)
}

// safeStep steps the core and turns a panic into a violation: a core must
// never panic, whatever its input.
func (n *node) safeStep(in consensus.Input) (acts []consensus.Action, err error) {
	defer func() {
		if r := recover(); r != nil {
			n.halted = true
			n.w.violate("panic", n, 0, "core panicked on %s: %v", describeInput(in), r)
			acts, err = nil, nil
		}
	}()
	return n.core.Step(in)
}

func (n *node) carryOut(a consensus.Action) {
	w := n.w
	if n.beyondFirst(a) {
		w.tracef("n%d drops %s: the switch height is %d", n.slot, describeAction(a), n.switchAt())
		return
	}
	w.tracef("n%d -> %s", n.slot, describeAction(a))
	switch a := a.(type) {
	case consensus.Broadcast:
		n.broadcast(a.Msg)
	case consensus.Send:
		n.send(a)
	case consensus.SetTimeout:
		life, gen, t := n.life, n.gen, a.Timeout
		w.after(a.After, func() {
			if n.life == life && n.gen == gen {
				n.deliver(consensus.TimeoutFired{Timeout: t})
			}
		})
	case consensus.RequestProposal:
		n.requestProposal(a)
	case consensus.RequestVerdict:
		n.requestVerdict(a)
	case consensus.Decide:
		n.decide(a)
	case consensus.Evidence:
		w.check.evidence(n, a)
	case consensus.FetchBlocks:
		n.fetch(a.From, a.To)
	case consensus.SaveSnapshot:
		n.wal.saveSnapshot(a.State, n.second)
		n.signer.raiseFloor(a.SignFloor)
	default:
		n.badAction("unknown action %T", a)
	}
}

func (n *node) badAction(format string, args ...any) {
	if n.honest {
		n.w.violate("bad-action", n, 0, format, args...)
	}
}

// broadcast makes the log durable, signs (with double-sign protection),
// hands the signed message back to the core and sends it to every peer.
func (n *node) broadcast(m consensus.Message) {
	n.wal.sync()
	signed, err := n.signer.sign(m)
	if err != nil {
		if errors.Is(err, errDoubleSign) || errors.Is(err, errBelowFloor) {
			n.w.tracef("n%d refused to sign: %v", n.slot, err)
			if n.honest {
				kind := "double-sign"
				if errors.Is(err, errBelowFloor) {
					kind = "sign-floor"
				}
				n.w.violate(kind, n, slotOf(m).height, "%v", err)
			}
			return
		}
		n.badAction("cannot sign: %v", err)
		return
	}
	n.w.observeSigned(n, signed)
	n.pending = append(n.pending, logged{in: consensus.Receive{Msg: cloneMessage(signed)}, own: true})
	n.emit(n.w.peersOf(n.slot), signed)
}

// send carries out a Send of an already signed message.
func (n *node) send(a consensus.Send) {
	if a.Msg == nil {
		n.badAction("send of a nil message")
		return
	}
	if a.To == consensus.All {
		n.emit(n.w.peersOf(n.slot), a.Msg)
		return
	}
	if a.To < 0 || int(a.To) >= len(n.w.byVal) {
		n.badAction("send to validator %d, which does not exist", a.To)
		return
	}
	var to []int
	for _, s := range n.w.byVal[a.To] {
		if s != n.slot {
			to = append(to, s)
		}
	}
	n.emit(to, a.Msg)
}

// emit hands a message to the network for each destination, through the
// Byzantine distortion if the node has one.
func (n *node) emit(to []int, m consensus.Message) {
	if n.byz != nil {
		n.byz.emit(n, to, m)
		return
	}
	for _, s := range to {
		n.w.send(n.slot, s, m)
	}
}

// receive is the network delivering m from node from: verify every
// signature, then hand it to the core.
func (n *node) receive(from int, m consensus.Message) {
	w := n.w
	if !n.alive || n.halted {
		return
	}
	if err := w.keys.verify(m); err != nil {
		w.res.BadSignatures++
		w.tracef("n%d dropped from n%d: %v", n.slot, from, err)
		if sender := w.nodes[from]; sender.honest {
			w.violate("bad-action", sender, 0, "honest node sent a message that fails verification: %v", err)
		}
		return
	}
	if w.laggard != nil {
		w.laggard.delivered(n, m)
	}
	if n.byz != nil {
		n.byz.observe(m)
		if n.byz.ignores(w, m) {
			return
		}
	}
	n.deliver(consensus.Receive{Msg: m})
}

func (n *node) String() string { return fmt.Sprintf("n%d(v%d)", n.slot, n.val) }
