package engine

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire"
	"github.com/bftnode/bftnode/wire/wirepb"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

// Kinds of write-ahead log records. The log holds, after an optional
// snapshot record, every input the core was stepped with, in order.
const (
	recSnapshot byte = 'S' // written before snapshots named their protocol
	// recProtocolSnapshot is a snapshot with the name of the protocol
	// whose core wrote it: a restart rebuilds that core, and a home
	// written by another protocol is told from a damaged one.
	recProtocolSnapshot byte = 'P'
	// recProtocol names the protocol of the core that starts at a height:
	// written when a node first starts its chain and when it hands the
	// chain over, so that a log without a snapshot still tells which
	// protocol wrote it. Not an input.
	recProtocol byte = 'R'
	recStart    byte = 1
	recReceive  byte = 2
	recOwn      byte = 3 // the node's own signed message, handed back to it
	recTimeout  byte = 4
	recReady    byte = 5
	recVerdict  byte = 6
	recExecuted byte = 7
	recTxs      byte = 8
	recSynced   byte = 9
	recSigned   byte = 10 // a signature the double-sign guard must remember; not an input
)

// logged is one decoded log record.
type logged struct {
	kind      byte
	input     consensus.Input
	block     *types.Block // beside a proposal or a ProposalReady
	snapshot  []byte
	signFloor int64
	// protocol wrote the snapshot, or starts at height (recProtocol);
	// "" for a snapshot older than the tag.
	protocol string
	height   int64
}

func encodeProtocol(protocol string, height int64) []byte {
	b := appendBytes([]byte{recProtocol}, []byte(protocol))
	return binary.AppendVarint(b, height)
}

func encodeSnapshot(protocol string, snap consensus.SaveSnapshot) []byte {
	b := appendBytes([]byte{recProtocolSnapshot}, []byte(protocol))
	b = binary.AppendVarint(b, snap.SignFloor)
	return append(b, snap.State...)
}

func encodeSigned(m consensus.Message) ([]byte, error) {
	body, err := wire.EncodeConsensus(wire.ConsensusMessage{Msg: m})
	if err != nil {
		return nil, err
	}
	return append([]byte{recSigned}, body...), nil
}

// encodeInput returns the log record of an input. block travels beside a
// proposal (Receive) or a proposal the app prepared (ProposalReady).
func encodeInput(in consensus.Input, own bool, block *types.Block) ([]byte, error) {
	switch in := in.(type) {
	case consensus.Start:
		return []byte{recStart}, nil
	case consensus.Receive:
		kind := recReceive
		if own {
			kind = recOwn
		}
		body, err := wire.EncodeConsensus(wire.ConsensusMessage{Msg: in.Msg, Block: block})
		if err != nil {
			return nil, err
		}
		return append([]byte{kind}, body...), nil
	case consensus.TimeoutFired:
		b := []byte{recTimeout, byte(in.Timeout.Kind)}
		b = binary.AppendVarint(b, in.Timeout.Height)
		return binary.AppendVarint(b, int64(in.Timeout.Round)), nil
	case consensus.ProposalReady:
		b := []byte{recReady}
		b = binary.AppendVarint(b, in.Height)
		b = binary.AppendVarint(b, int64(in.Round))
		b = appendBytes(b, []byte(in.Value))
		var blockBytes []byte
		if block != nil {
			pb, err := block.ToProto()
			if err != nil {
				return nil, err
			}
			if blockBytes, err = pb.Marshal(); err != nil {
				return nil, err
			}
		}
		return appendBytes(b, blockBytes), nil
	case consensus.Verdict:
		b := []byte{recVerdict}
		b = binary.AppendVarint(b, in.Height)
		b = appendBytes(b, []byte(in.Value))
		if in.Valid {
			return append(b, 1), nil
		}
		return append(b, 0), nil
	case consensus.Executed:
		b := []byte{recExecuted}
		b = binary.AppendVarint(b, in.Height)
		b = appendBytes(b, in.AppHash)
		b = appendValidatorSet(b, in.Next)
		if in.LeftOut == "" {
			return b, nil // as records were before the request timer
		}
		return appendBytes(b, []byte(in.LeftOut)), nil
	case consensus.TxsAvailable:
		return []byte{recTxs}, nil
	case consensus.Synced:
		b := []byte{recSynced}
		b = binary.AppendVarint(b, in.Height)
		b = appendBytes(b, []byte(in.Value))
		b = binary.AppendUvarint(b, uint64(len(in.Commit)))
		for i := range in.Commit {
			pb, err := wire.VoteToProto(&in.Commit[i])
			if err != nil {
				return nil, err
			}
			vb, err := pb.Marshal()
			if err != nil {
				return nil, err
			}
			b = appendBytes(b, vb)
		}
		return b, nil
	}
	return nil, fmt.Errorf("no log encoding for input %T", in)
}

var errShortRecord = errors.New("log record ends early")

// decodeRecord parses a log record written by encodeInput or
// encodeSnapshot.
func decodeRecord(rec []byte) (logged, error) {
	if len(rec) == 0 {
		return logged{}, errShortRecord
	}
	r := reader{b: rec[1:]}
	l := logged{kind: rec[0]}
	switch l.kind {
	case recProtocolSnapshot:
		l.protocol = string(r.bytes())
		l.kind = recSnapshot
		l.signFloor = r.varint()
		l.snapshot = r.rest()
	case recProtocol:
		l.protocol = string(r.bytes())
		l.height = r.varint()
	case recSnapshot:
		l.signFloor = r.varint()
		l.snapshot = r.rest()
	case recStart:
		l.input = consensus.Start{}
	case recReceive, recOwn, recSigned:
		m, err := wire.DecodeConsensus(r.rest())
		if err != nil {
			return l, err
		}
		l.input, l.block = consensus.Receive{Msg: m.Msg}, m.Block
	case recTimeout:
		kind := consensus.TimeoutKind(r.byte())
		h := r.varint()
		l.input = consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: kind, Height: h, Round: int32(r.varint())}}
	case recReady:
		in := consensus.ProposalReady{Height: r.varint(), Round: int32(r.varint()), Value: consensus.ID(r.bytes())}
		if bb := r.bytes(); len(bb) > 0 && r.err == nil {
			var pb cmtproto.Block
			if err := pb.Unmarshal(bb); err != nil {
				return l, err
			}
			block, err := types.BlockFromProto(&pb)
			if err != nil {
				return l, err
			}
			l.block = block
		}
		l.input = in
	case recVerdict:
		in := consensus.Verdict{Height: r.varint(), Value: consensus.ID(r.bytes())}
		in.Valid = r.byte() == 1
		l.input = in
	case recExecuted:
		in := consensus.Executed{Height: r.varint(), AppHash: r.bytes()}
		in.Next = r.validatorSet()
		if len(r.b) > 0 && r.err == nil {
			in.LeftOut = consensus.ID(r.bytes())
		}
		l.input = in
	case recTxs:
		l.input = consensus.TxsAvailable{}
	case recSynced:
		in := consensus.Synced{Height: r.varint(), Value: consensus.ID(r.bytes())}
		n := r.uvarint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			var pb wirepb.Vote
			if err := pb.Unmarshal(r.bytes()); err != nil {
				return l, err
			}
			v, err := wire.VoteFromProto(&pb)
			if err != nil {
				return l, err
			}
			in.Commit = append(in.Commit, *v)
		}
		l.input = in
	default:
		return l, fmt.Errorf("unknown log record kind %d", l.kind)
	}
	if r.err != nil {
		return l, r.err
	}
	return l, nil
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendValidatorSet(b []byte, vs *consensus.ValidatorSet) []byte {
	if vs == nil {
		return binary.AppendUvarint(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(vs.Validators)))
	for _, v := range vs.Validators {
		b = appendBytes(b, v.Address)
		b = appendBytes(b, v.PubKey)
		b = binary.AppendVarint(b, v.Power)
		b = binary.AppendVarint(b, v.ProposerPriority)
	}
	return binary.AppendVarint(b, int64(vs.Proposer))
}

// reader decodes what the append helpers wrote; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errShortRecord
	}
	r.b = nil
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil || uint64(len(r.b)) < n {
		r.fail()
		return nil
	}
	v := append([]byte(nil), r.b[:n]...)
	r.b = r.b[n:]
	return v
}

func (r *reader) rest() []byte {
	v := append([]byte(nil), r.b...)
	r.b = nil
	return v
}

func (r *reader) validatorSet() *consensus.ValidatorSet {
	n := r.uvarint()
	if n == 0 || r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	vals := make([]consensus.Validator, 0, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		vals = append(vals, consensus.Validator{Address: r.bytes(), PubKey: r.bytes(), Power: r.varint(), ProposerPriority: r.varint()})
	}
	proposer := int32(r.varint())
	if r.err != nil {
		return nil
	}
	vs, err := consensus.ValidatorSetFromExisting(vals, proposer)
	if err != nil {
		r.err = err
		return nil
	}
	return vs
}
