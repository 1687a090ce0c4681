package consensus

// Input is one thing that happened to a node. The driver hands inputs to a
// core one at a time, in the order it logs them in its write-ahead log, so
// that replaying the log rebuilds the core's state exactly.
type Input interface{ isInput() }

// Start begins (or, after a restart, resumes) participation.
type Start struct{}

// Receive delivers a message whose signature the driver has verified and
// whose signer is a validator. The node's own messages come back this way
// too, after the driver signed them.
type Receive struct{ Msg Message }

// TimeoutFired reports that a timeout a core scheduled has elapsed.
type TimeoutFired struct{ Timeout Timeout }

// ProposalReady answers RequestProposal: the application prepared Value for
// (Height, Round).
type ProposalReady struct {
	Height int64
	Round  int32
	Value  ID
}

// Verdict answers RequestVerdict: the application accepted (Valid) or
// rejected the value proposed at Height.
type Verdict struct {
	Height int64
	Value  ID
	Valid  bool
}

// Executed reports that the decided block at Height was executed and
// committed by the application. Next is the validator set, with proposer
// priorities, that decides height Height+1.
type Executed struct {
	Height  int64
	AppHash []byte
	Next    *ValidatorSet
	// LeftOut names the oldest transaction this node held before the
	// block was proposed that would still have fit in it (by bytes and
	// gas, taken in the mempool's order) and that the block left out;
	// empty if there is none. PBFT's request timer runs on it [§4.4];
	// Tendermint ignores it.
	LeftOut ID
}

// TxsAvailable tells the core that the mempool holds transactions, so a
// proposer need not wait for the empty-block interval.
type TxsAvailable struct{}

// Synced delivers a decided block fetched from peers (block sync or PBFT
// state transfer), with the precommits of one round that decided it. The
// driver has verified their signatures; the core checks their power.
type Synced struct {
	Height int64
	Value  ID
	Commit []Vote
}

func (Start) isInput()         {}
func (Receive) isInput()       {}
func (TimeoutFired) isInput()  {}
func (ProposalReady) isInput() {}
func (Verdict) isInput()       {}
func (Executed) isInput()      {}
func (TxsAvailable) isInput()  {}
func (Synced) isInput()        {}
