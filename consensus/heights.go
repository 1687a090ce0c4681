package consensus

// MessageHeight is the height a message is about, or 0 for one about no
// height in particular (PBFT's VIEW-CHANGE and NEW-VIEW).
func MessageHeight(m Message) int64 {
	switch m := m.(type) {
	case *Proposal:
		return m.Height
	case *Vote:
		return m.Height
	case *Checkpoint:
		return m.Height
	}
	return 0
}

// InputHeight is the height an input is about, or 0 for one about no
// height in particular (Start, TxsAvailable, a view change, and every
// fired timeout: a core may count its timers in Timeout.Height, so a
// driver tells a replaced core's timers apart by who set them). A driver
// that hands a chain from one protocol to another at a height sorts
// inputs by it (see Schedule).
func InputHeight(in Input) int64 {
	switch in := in.(type) {
	case Receive:
		return MessageHeight(in.Msg)
	case ProposalReady:
		return in.Height
	case Verdict:
		return in.Height
	case Executed:
		return in.Height
	case Synced:
		return in.Height
	}
	return 0
}

// ActionHeight is the height an action signs, proposes, asks about or
// decides, or 0 for the others (timers, sends of signed messages,
// snapshots, fetches, evidence): the actions a core of a protocol must not
// carry out at heights the schedule gives to another protocol.
func ActionHeight(a Action) int64 {
	switch a := a.(type) {
	case Broadcast:
		return MessageHeight(a.Msg)
	case RequestProposal:
		return a.Height
	case RequestVerdict:
		return a.Height
	case Decide:
		return a.Height
	}
	return 0
}
