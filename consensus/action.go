package consensus

import "time"

// Action is something a core asks its driver to do. Actions of one step are
// carried out in the order they are returned.
type Action interface{ isAction() }

// Broadcast asks the driver to send one of the node's own messages. The
// driver first makes its write-ahead log durable (so a crash can never make
// the node sign something different for the same slot), then signs Msg (and,
// for a NewView, every pre-prepare inside it), hands the signed message back
// to the core as a Receive input, and sends it to every peer.
type Broadcast struct{ Msg Message }

// All addresses a Send to every validator.
const All int32 = -1

// Send asks the driver to send an already signed message to the validator
// with index To (or to everyone for All): retransmissions and replies.
type Send struct {
	To  int32
	Msg Message
}

// SetTimeout asks the driver to deliver TimeoutFired{Timeout} after the given
// duration. Timeouts are never cancelled; a core ignores the stale ones.
type SetTimeout struct {
	Timeout Timeout
	After   time.Duration
}

// RequestProposal asks the application for a value to propose at (Height,
// Round); the answer is a ProposalReady input.
type RequestProposal struct {
	Height int64
	Round  int32
}

// RequestVerdict asks the application whether Value may be decided at
// Height; the answer is a Verdict input. The driver asks only once the
// application has executed Height-1.
type RequestVerdict struct {
	Height int64
	Value  ID
}

// Decide reports that Value is decided at Height, justified by Commit:
// precommits of one round for Value whose power exceeds 2/3. The driver
// executes the block and answers with Executed.
type Decide struct {
	Height int64
	Value  ID
	Commit []Vote
}

// Evidence reports that one validator signed two conflicting messages for one
// slot. Only the first was counted.
type Evidence struct {
	First, Second Message
}

// FetchBlocks asks the driver to fetch the decided blocks From..To (To 0:
// up to the peers' latest) with their commits and deliver them as Synced.
type FetchBlocks struct {
	From, To int64
}

// SaveSnapshot asks the driver to persist State durably. A restarted node
// rebuilds the core from its latest snapshot and then replays the inputs
// logged after it; inputs logged before it may be discarded.
//
// SignFloor is the lowest height the core may still sign a proposal or vote
// for. The driver's double-sign guard, which forgets the signatures logged
// before the snapshot, refuses anything below it.
type SaveSnapshot struct {
	State     []byte
	SignFloor int64
}

func (Broadcast) isAction()       {}
func (Send) isAction()            {}
func (SetTimeout) isAction()      {}
func (RequestProposal) isAction() {}
func (RequestVerdict) isAction()  {}
func (Decide) isAction()          {}
func (Evidence) isAction()        {}
func (FetchBlocks) isAction()     {}
func (SaveSnapshot) isAction()    {}
