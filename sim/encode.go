package sim

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// Message kinds in the canonical encoding and in signer slots.
const (
	kindProposal byte = iota + 1
	kindPrevote
	kindPrecommit
	kindCheckpoint
	kindViewChange
	kindNewView
)

// encoder builds the canonical encoding that simulated signatures cover: a
// kind tag and every field in declaration order, fixed-width integers and
// length-prefixed bytes, nested messages in full (with their signatures).
type encoder struct{ buf []byte }

func (e *encoder) u8(v byte)   { e.buf = append(e.buf, v) }
func (e *encoder) i64(v int64) { e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v)) }
func (e *encoder) i32(v int32) { e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(v)) }
func (e *encoder) bytes(b []byte) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(b)))
	e.buf = append(e.buf, b...)
}
func (e *encoder) str(s consensus.ID) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
}
func (e *encoder) count(n int) { e.buf = binary.AppendUvarint(e.buf, uint64(n)) }

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.u8(0)
		return
	}
	e.u8(1)
	e.i64(t.UnixNano())
}

// signBytes returns the encoding of m without its own signature: what m's
// signer signs. It fails only for a nil or unknown message.
func signBytes(buf []byte, m consensus.Message) ([]byte, error) {
	e := encoder{buf: buf[:0]}
	if err := e.message(m, false, true); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// slotContent returns the encoding of m without its signature and without
// its own timestamp: two messages for one slot with equal content are the
// same vote, whatever time the core stamped on them.
func slotContent(m consensus.Message) (string, error) {
	e := encoder{}
	if err := e.message(m, false, false); err != nil {
		return "", err
	}
	return string(e.buf), nil
}

// message encodes m. withSig includes m's own signature (nested messages
// always include theirs); withTime includes m's own timestamp.
func (e *encoder) message(m consensus.Message, withSig, withTime bool) error {
	switch m := m.(type) {
	case *consensus.Proposal:
		if m == nil {
			return errNilMessage
		}
		e.proposal(m, withSig, withTime)
	case *consensus.Vote:
		if m == nil {
			return errNilMessage
		}
		e.vote(m, withSig, withTime)
	case *consensus.Checkpoint:
		if m == nil {
			return errNilMessage
		}
		e.checkpoint(m, withSig)
	case *consensus.ViewChange:
		if m == nil {
			return errNilMessage
		}
		e.viewChange(m, withSig)
	case *consensus.NewView:
		if m == nil {
			return errNilMessage
		}
		e.newView(m, withSig)
	default:
		return fmt.Errorf("unknown message type %T: the simulator cannot sign or send it", m)
	}
	return nil
}

var errNilMessage = fmt.Errorf("nil message: a core asked to send nothing")

func (e *encoder) proposal(m *consensus.Proposal, withSig, withTime bool) {
	e.u8(kindProposal)
	e.i64(m.Height)
	e.i32(m.Round)
	e.i32(m.POLRound)
	e.str(m.Value)
	e.i32(m.Proposer)
	if withTime {
		e.time(m.Timestamp)
	}
	if withSig {
		e.bytes(m.Signature)
	}
}

func (e *encoder) vote(m *consensus.Vote, withSig, withTime bool) {
	e.u8(voteKind(m.Type))
	e.u8(byte(m.Type))
	e.i64(m.Height)
	e.i32(m.Round)
	e.str(m.Value)
	e.i32(m.Validator)
	if withTime {
		e.time(m.Timestamp)
	}
	if withSig {
		e.bytes(m.Signature)
	}
}

func voteKind(t consensus.VoteType) byte {
	if t == consensus.Prevote {
		return kindPrevote
	}
	return kindPrecommit
}

func (e *encoder) checkpoint(m *consensus.Checkpoint, withSig bool) {
	e.u8(kindCheckpoint)
	e.i64(m.Height)
	e.bytes(m.AppHash)
	e.i32(m.Validator)
	if withSig {
		e.bytes(m.Signature)
	}
}

func (e *encoder) viewChange(m *consensus.ViewChange, withSig bool) {
	e.u8(kindViewChange)
	e.i32(m.View)
	e.i32(m.Validator)
	e.i64(m.Stable.Height)
	e.bytes(m.Stable.AppHash)
	e.count(len(m.Stable.Proof))
	for i := range m.Stable.Proof {
		e.checkpoint(&m.Stable.Proof[i], true)
	}
	e.count(len(m.Prepared))
	for i := range m.Prepared {
		e.proposal(&m.Prepared[i].PrePrepare, true, true)
		e.count(len(m.Prepared[i].Prepares))
		for j := range m.Prepared[i].Prepares {
			e.vote(&m.Prepared[i].Prepares[j], true, true)
		}
	}
	if withSig {
		e.bytes(m.Signature)
	}
}

func (e *encoder) newView(m *consensus.NewView, withSig bool) {
	e.u8(kindNewView)
	e.i32(m.View)
	e.i32(m.Validator)
	e.count(len(m.ViewChanges))
	for i := range m.ViewChanges {
		e.viewChange(&m.ViewChanges[i], true)
	}
	e.count(len(m.PrePrepares))
	for i := range m.PrePrepares {
		e.proposal(&m.PrePrepares[i], true, true)
	}
	if withSig {
		e.bytes(m.Signature)
	}
}
