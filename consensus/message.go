package consensus

import "time"

// ID names a proposed value (a block). The driver chooses the encoding
// (bftnode uses the bytes of a CometBFT BlockID); cores only compare IDs and
// never look inside. The empty ID is Nil: a vote for nothing, or a PBFT null
// request.
type ID string

// Nil is the vote for no value.
const Nil ID = ""

// Message is a signed protocol message. Signer is the index of the signing
// validator in the validator set that applies to the message.
type Message interface {
	Signer() int32
	// OwnSignature is the signer's signature over the message, not those
	// of messages nested in it.
	OwnSignature() []byte
	// SetOwnSignature replaces OwnSignature.
	SetOwnSignature(sig []byte)
	isMessage()
}

// VoteType tells prevotes from precommits. The numbers are CometBFT's
// SignedMsgType values, so the driver can sign votes with CometBFT's
// canonical vote bytes unchanged.
type VoteType uint8

const (
	// Prevote is Tendermint's PREVOTE and PBFT's PREPARE.
	Prevote VoteType = 1
	// Precommit is Tendermint's PRECOMMIT and PBFT's COMMIT.
	Precommit VoteType = 2
)

func (t VoteType) String() string {
	switch t {
	case Prevote:
		return "prevote"
	case Precommit:
		return "precommit"
	}
	return "unknown-vote-type"
}

// Proposal is Tendermint's PROPOSAL and PBFT's PRE-PREPARE. For PBFT, Round
// is the view, POLRound is always -1 and Value Nil is a null request.
//
// The block itself travels beside the proposal on the wire; the driver checks
// that it hashes to Value before the proposal becomes an input.
type Proposal struct {
	Height    int64
	Round     int32
	POLRound  int32
	Value     ID
	Proposer  int32
	Timestamp time.Time
	Signature []byte
}

// Vote is a Tendermint PREVOTE/PRECOMMIT or a PBFT PREPARE/COMMIT. For PBFT,
// Round is the view. Because a PBFT COMMIT has the shape of a precommit for
// (height, round = view, value), 2f+1 of them form a CometBFT Commit.
//
// Extension and ExtensionSignature are ABCI 2.0's vote extension and the
// signer's signature over it, on precommits for a value at heights where
// the chain enables extensions. Cores only carry them: the driver asks the
// application for them and checks them.
type Vote struct {
	Type               VoteType
	Height             int64
	Round              int32
	Value              ID
	Validator          int32
	Timestamp          time.Time
	Signature          []byte
	Extension          []byte
	ExtensionSignature []byte
}

// Checkpoint is PBFT's CHECKPOINT: the signer executed every block up to
// Height and its application hash after Height is AppHash.
type Checkpoint struct {
	Height    int64
	AppHash   []byte
	Validator int32
	Signature []byte
}

// StableCheckpoint is a checkpoint with its proof: checkpoints for the same
// height and digest from validators holding more than 2/3 of the power.
// Height 0 with no proof is the genesis checkpoint.
type StableCheckpoint struct {
	Height  int64
	AppHash []byte
	Proof   []Checkpoint
}

// PreparedCert proves that a value was prepared at (PrePrepare.Height,
// PrePrepare.Round): the pre-prepare and PREPAREs that together with it carry
// more than 2/3 of the power.
type PreparedCert struct {
	PrePrepare Proposal
	Prepares   []Vote
}

// ViewChange is PBFT's VIEW-CHANGE for view View: the signer's last stable
// checkpoint and the set P of certificates for values it prepared above it.
type ViewChange struct {
	View      int32
	Validator int32
	Stable    StableCheckpoint
	Prepared  []PreparedCert
	Signature []byte
}

// NewView is PBFT's NEW-VIEW: the view changes that justify view View and the
// set O of pre-prepares the new primary derived from them. Every backup
// recomputes O from ViewChanges and rejects the message if it differs.
type NewView struct {
	View        int32
	Validator   int32
	ViewChanges []ViewChange
	PrePrepares []Proposal
	Signature   []byte
}

func (m *Proposal) Signer() int32   { return m.Proposer }
func (m *Vote) Signer() int32       { return m.Validator }
func (m *Checkpoint) Signer() int32 { return m.Validator }
func (m *ViewChange) Signer() int32 { return m.Validator }
func (m *NewView) Signer() int32    { return m.Validator }

func (m *Proposal) OwnSignature() []byte   { return m.Signature }
func (m *Vote) OwnSignature() []byte       { return m.Signature }
func (m *Checkpoint) OwnSignature() []byte { return m.Signature }
func (m *ViewChange) OwnSignature() []byte { return m.Signature }
func (m *NewView) OwnSignature() []byte    { return m.Signature }

func (m *Proposal) SetOwnSignature(sig []byte)   { m.Signature = sig }
func (m *Vote) SetOwnSignature(sig []byte)       { m.Signature = sig }
func (m *Checkpoint) SetOwnSignature(sig []byte) { m.Signature = sig }
func (m *ViewChange) SetOwnSignature(sig []byte) { m.Signature = sig }
func (m *NewView) SetOwnSignature(sig []byte)    { m.Signature = sig }

func (*Proposal) isMessage()   {}
func (*Vote) isMessage()       {}
func (*Checkpoint) isMessage() {}
func (*ViewChange) isMessage() {}
func (*NewView) isMessage()    {}
