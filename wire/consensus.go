package wire

import (
	"bytes"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire/wirepb"
	"github.com/cometbft/cometbft/types"
)

// ConsensusMessage is what travels on the consensus channel: one consensus
// message and, beside a proposal, the proposed block when the sender has it.
type ConsensusMessage struct {
	Msg consensus.Message
	// Block is the block a *consensus.Proposal proposes, or nil. Decoding
	// checks that it is well formed and that its height and hash match the
	// proposal; the driver still checks its part-set header (IDOf) before
	// the proposal becomes an input.
	Block *types.Block
}

// EncodeConsensus returns the bytes of m for the consensus channel.
func EncodeConsensus(m ConsensusMessage) ([]byte, error) {
	pb, err := ToProto(m)
	if err != nil {
		return nil, err
	}
	return pb.Marshal()
}

// DecodeConsensus parses and validates bytes from the consensus channel.
func DecodeConsensus(b []byte) (ConsensusMessage, error) {
	var pb wirepb.ConsensusMessage
	if err := pb.Unmarshal(b); err != nil {
		return ConsensusMessage{}, invalidf("consensus message: %v", err)
	}
	return FromProto(&pb)
}

// ToProto returns the wire envelope of a consensus message after
// validating it.
func ToProto(m ConsensusMessage) (*wirepb.ConsensusMessage, error) {
	if m.Block != nil {
		if _, ok := m.Msg.(*consensus.Proposal); !ok {
			return nil, invalidf("a block travels only beside a proposal, not a %T", m.Msg)
		}
	}
	switch msg := m.Msg.(type) {
	case *consensus.Proposal:
		p, err := ProposalToProto(msg)
		if err != nil {
			return nil, err
		}
		pm := &wirepb.ProposalMessage{Proposal: *p}
		if m.Block != nil {
			if err := checkProposedBlock(msg, m.Block); err != nil {
				return nil, err
			}
			if pm.Block, err = blockToProto("proposal block", m.Block); err != nil {
				return nil, err
			}
		}
		return &wirepb.ConsensusMessage{Sum: &wirepb.ConsensusMessage_Proposal{Proposal: pm}}, nil
	case *consensus.Vote:
		v, err := VoteToProto(msg)
		if err != nil {
			return nil, err
		}
		return &wirepb.ConsensusMessage{Sum: &wirepb.ConsensusMessage_Vote{Vote: v}}, nil
	case *consensus.Checkpoint:
		c, err := CheckpointToProto(msg)
		if err != nil {
			return nil, err
		}
		return &wirepb.ConsensusMessage{Sum: &wirepb.ConsensusMessage_Checkpoint{Checkpoint: c}}, nil
	case *consensus.ViewChange:
		vc, err := ViewChangeToProto(msg)
		if err != nil {
			return nil, err
		}
		return &wirepb.ConsensusMessage{Sum: &wirepb.ConsensusMessage_ViewChange{ViewChange: vc}}, nil
	case *consensus.NewView:
		nv, err := NewViewToProto(msg)
		if err != nil {
			return nil, err
		}
		return &wirepb.ConsensusMessage{Sum: &wirepb.ConsensusMessage_NewView{NewView: nv}}, nil
	}
	return nil, validateMessage(m.Msg, true)
}

// FromProto returns the validated consensus message of a wire envelope.
func FromProto(pb *wirepb.ConsensusMessage) (ConsensusMessage, error) {
	if pb == nil {
		return ConsensusMessage{}, invalidf("nil consensus message")
	}
	var (
		msg consensus.Message
		err error
	)
	switch sum := pb.Sum.(type) {
	case *wirepb.ConsensusMessage_Proposal:
		return proposalMessageFromProto(sum.Proposal)
	case *wirepb.ConsensusMessage_Vote:
		msg, err = VoteFromProto(sum.Vote)
	case *wirepb.ConsensusMessage_Checkpoint:
		msg, err = CheckpointFromProto(sum.Checkpoint)
	case *wirepb.ConsensusMessage_ViewChange:
		msg, err = ViewChangeFromProto(sum.ViewChange)
	case *wirepb.ConsensusMessage_NewView:
		msg, err = NewViewFromProto(sum.NewView)
	default:
		return ConsensusMessage{}, invalidf("consensus message of unknown kind %T (a newer peer, or garbage)", pb.Sum)
	}
	if err != nil {
		return ConsensusMessage{}, err
	}
	return ConsensusMessage{Msg: msg}, nil
}

func proposalMessageFromProto(pm *wirepb.ProposalMessage) (ConsensusMessage, error) {
	if pm == nil {
		return ConsensusMessage{}, invalidf("nil proposal message")
	}
	p, err := ProposalFromProto(&pm.Proposal)
	if err != nil {
		return ConsensusMessage{}, err
	}
	out := ConsensusMessage{Msg: p}
	if pm.Block != nil {
		if out.Block, err = blockFromProto("proposal block", pm.Block); err != nil {
			return ConsensusMessage{}, err
		}
		if err := checkProposedBlock(p, out.Block); err != nil {
			return ConsensusMessage{}, err
		}
	}
	return out, nil
}

// checkProposedBlock checks that block is well formed and is the block p
// names: same height and header hash.
func checkProposedBlock(p *consensus.Proposal, block *types.Block) error {
	if err := block.ValidateBasic(); err != nil {
		return invalidf("proposal block: %v", err)
	}
	if block.Height != p.Height {
		return invalidf("proposal block has height %d; the proposal is for height %d", block.Height, p.Height)
	}
	bid, err := DecodeID(p.Value)
	if err != nil {
		return err
	}
	if bid.IsZero() {
		return invalidf("a proposal of nil carries a block")
	}
	if !bytes.Equal(block.Hash(), bid.Hash) {
		return invalidf("proposal block hashes to %X; the proposal names %X", block.Hash(), bid.Hash)
	}
	return nil
}
