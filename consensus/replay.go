package consensus

// The replay protocol, which both drivers (the engine and the simulator)
// follow when a restarted node replays its write-ahead log through a
// rebuilt core.
//
// The log holds every input the core took, the answers to its requests
// among them: the application's proposals and verdicts, executed blocks,
// the node's own signed messages, fired timers. Replaying it makes the core
// ask for all of those again. Carrying the requests out would ask the
// application twice, sign twice and execute twice; dropping them would
// forget the ones the crash left unanswered. So a driver holds each action
// of the replay in a list, lets every logged input remove the held actions
// it answers (Resolve) before stepping it, and carries out what is still
// held when the log ends, in the order the core produced it.
//
// Which actions a driver holds is its choice: retransmissions (Send) can be
// dropped, since a core repeats them on its own timer. A SaveSnapshot of the
// replay must be dropped, never held: it describes the core at its point in
// the log, and saving it after the log ends would put an old state after
// the inputs that followed it, so the next restart would start from that
// state and skip them (then ask to sign again what the node signed). The
// log holds the snapshots the node saved; the core saves a new one at its
// next checkpoint.

// Resolve returns held without the actions that the logged input in
// answers, keeping the order of the rest; it reuses held's array. own
// tells that in is one of the node's own signed messages handed back to
// the core, the answer to a Broadcast.
func Resolve(held []Action, in Input, own bool) []Action {
	kept := held[:0]
	for _, a := range held {
		if !Answers(in, own, a) {
			kept = append(kept, a)
		}
	}
	clear(held[len(kept):])
	return kept
}

// Answers tells whether the input in answers the action a: a proposal or
// verdict for the request's height (and round or value), the execution of
// a decided height, a fired timer, or (own) the node's signed message for
// the slot a Broadcast asked to sign. Other actions (Send, Evidence,
// FetchBlocks, SaveSnapshot) have no answer in the log.
func Answers(in Input, own bool, a Action) bool {
	switch a := a.(type) {
	case RequestProposal:
		r, ok := in.(ProposalReady)
		return ok && r.Height == a.Height && r.Round == a.Round
	case RequestVerdict:
		v, ok := in.(Verdict)
		return ok && v.Height == a.Height && v.Value == a.Value
	case Decide:
		x, ok := in.(Executed)
		return ok && x.Height == a.Height
	case Broadcast:
		r, ok := in.(Receive)
		return ok && own && SameSlot(r.Msg, a.Msg)
	case SetTimeout:
		t, ok := in.(TimeoutFired)
		return ok && t.Timeout == a.Timeout
	}
	return false
}

// SameSlot tells whether two of one node's messages fill the same slot (a
// proposal or vote of one height and round, a checkpoint of one height, a
// view change or new view of one view): the message a core asked to sign
// and the signed one it got back, which differ in signature and timestamp.
func SameSlot(a, b Message) bool {
	switch a := a.(type) {
	case *Proposal:
		b, ok := b.(*Proposal)
		return ok && a.Height == b.Height && a.Round == b.Round
	case *Vote:
		b, ok := b.(*Vote)
		return ok && a.Type == b.Type && a.Height == b.Height && a.Round == b.Round
	case *Checkpoint:
		b, ok := b.(*Checkpoint)
		return ok && a.Height == b.Height
	case *ViewChange:
		b, ok := b.(*ViewChange)
		return ok && a.View == b.View
	case *NewView:
		b, ok := b.(*NewView)
		return ok && a.View == b.View
	}
	return false
}
