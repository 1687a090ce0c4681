package consensus

// TimeoutKind names what a timeout is for.
type TimeoutKind uint8

const (
	// TimeoutPropose: Tendermint OnTimeoutPropose (Algorithm 1, line 57).
	TimeoutPropose TimeoutKind = iota + 1
	// TimeoutPrevote: Tendermint OnTimeoutPrevote (line 61).
	TimeoutPrevote
	// TimeoutPrecommit: Tendermint OnTimeoutPrecommit (line 65).
	TimeoutPrecommit
	// TimeoutEmptyBlock: the proposer or primary proposes even without
	// transactions once this interval has passed.
	TimeoutEmptyBlock
	// TimeoutViewChange: a PBFT backup's timer for progress in the current
	// view, or for a NEW-VIEW after it sent a VIEW-CHANGE (Round = view).
	TimeoutViewChange
	// TimeoutRetransmit: resend the node's latest messages, so that progress
	// resumes after a lossy network heals.
	TimeoutRetransmit
	// TimeoutCommit: the next height's proposal waits this long after a
	// block is decided (CometBFT's timeout_commit), in both protocols.
	TimeoutCommit
	// TimeoutRequest: a PBFT replica's request timer: a transaction it
	// holds was left out of blocks it would have fit in for this long
	// (Height = the first such block, Round = view) [Castro-Liskov §4.4].
	TimeoutRequest
)

func (k TimeoutKind) String() string {
	switch k {
	case TimeoutPropose:
		return "propose"
	case TimeoutPrevote:
		return "prevote"
	case TimeoutPrecommit:
		return "precommit"
	case TimeoutEmptyBlock:
		return "empty-block"
	case TimeoutViewChange:
		return "view-change"
	case TimeoutRetransmit:
		return "retransmit"
	case TimeoutCommit:
		return "commit"
	case TimeoutRequest:
		return "request"
	}
	return "unknown-timeout"
}

// Timeout identifies one scheduled timeout. For PBFT, Round is the view.
type Timeout struct {
	Kind   TimeoutKind
	Height int64
	Round  int32
}
