package wire

import (
	"bytes"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire/wirepb"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
)

// Conversions between consensus messages and their wire form. Every
// XToProto validates its argument first and every XFromProto validates its
// result, so an invalid message neither leaves nor enters the node. Byte
// slices are copied out of wire messages, so a decoded message never aliases
// a receive buffer.

// ProposalToProto returns the wire form of a signed proposal.
func ProposalToProto(p *consensus.Proposal) (*wirepb.Proposal, error) {
	if p == nil {
		return nil, invalidf("nil proposal")
	}
	if err := validateProposal("proposal", p, true); err != nil {
		return nil, err
	}
	pb, err := proposalToProto(p)
	return &pb, err
}

// ProposalFromProto returns the validated proposal of a wire message.
func ProposalFromProto(pb *wirepb.Proposal) (*consensus.Proposal, error) {
	if pb == nil {
		return nil, invalidf("nil proposal")
	}
	p, err := proposalFromProto("proposal", pb)
	if err != nil {
		return nil, err
	}
	return &p, validateProposal("proposal", &p, true)
}

// VoteToProto returns the wire form of a signed vote.
func VoteToProto(v *consensus.Vote) (*wirepb.Vote, error) {
	if v == nil {
		return nil, invalidf("nil vote")
	}
	if err := validateVote("vote", v, true); err != nil {
		return nil, err
	}
	pb, err := voteToProto(v)
	return &pb, err
}

// VoteFromProto returns the validated vote of a wire message.
func VoteFromProto(pb *wirepb.Vote) (*consensus.Vote, error) {
	if pb == nil {
		return nil, invalidf("nil vote")
	}
	v, err := voteFromProto("vote", pb)
	if err != nil {
		return nil, err
	}
	return &v, validateVote("vote", &v, true)
}

// CheckpointToProto returns the wire form of a signed checkpoint.
func CheckpointToProto(c *consensus.Checkpoint) (*wirepb.Checkpoint, error) {
	if c == nil {
		return nil, invalidf("nil checkpoint")
	}
	if err := validateCheckpoint("checkpoint", c, true); err != nil {
		return nil, err
	}
	pb := checkpointToProto(c)
	return &pb, nil
}

// CheckpointFromProto returns the validated checkpoint of a wire message.
func CheckpointFromProto(pb *wirepb.Checkpoint) (*consensus.Checkpoint, error) {
	if pb == nil {
		return nil, invalidf("nil checkpoint")
	}
	c := checkpointFromProto(pb)
	return &c, validateCheckpoint("checkpoint", &c, true)
}

// ViewChangeToProto returns the wire form of a signed view change.
func ViewChangeToProto(vc *consensus.ViewChange) (*wirepb.ViewChange, error) {
	if vc == nil {
		return nil, invalidf("nil view change")
	}
	if err := validateViewChange("view change", vc, true); err != nil {
		return nil, err
	}
	pb, err := viewChangeToProto(vc)
	return &pb, err
}

// ViewChangeFromProto returns the validated view change of a wire message.
func ViewChangeFromProto(pb *wirepb.ViewChange) (*consensus.ViewChange, error) {
	if pb == nil {
		return nil, invalidf("nil view change")
	}
	vc, err := viewChangeFromProto("view change", pb)
	if err != nil {
		return nil, err
	}
	return &vc, validateViewChange("view change", &vc, true)
}

// NewViewToProto returns the wire form of a signed new view.
func NewViewToProto(nv *consensus.NewView) (*wirepb.NewView, error) {
	if nv == nil {
		return nil, invalidf("nil new view")
	}
	if err := validateNewView("new view", nv, true); err != nil {
		return nil, err
	}
	return newViewToProto(nv)
}

// NewViewFromProto returns the validated new view of a wire message.
func NewViewFromProto(pb *wirepb.NewView) (*consensus.NewView, error) {
	if pb == nil {
		return nil, invalidf("nil new view")
	}
	nv, err := newViewFromProto("new view", pb)
	if err != nil {
		return nil, err
	}
	return &nv, validateNewView("new view", &nv, true)
}

// The unexported conversions below do no validation of their own beyond
// what the field types require; callers validate.

func proposalToProto(p *consensus.Proposal) (wirepb.Proposal, error) {
	bid, err := blockIDToProto("proposal", p.Value)
	return wirepb.Proposal{
		Height: p.Height, Round: p.Round, PolRound: p.POLRound, BlockID: bid,
		Proposer: p.Proposer, Timestamp: p.Timestamp, Signature: p.Signature,
	}, err
}

func proposalFromProto(what string, pb *wirepb.Proposal) (consensus.Proposal, error) {
	id, err := blockIDFromProto(what, &pb.BlockID)
	return consensus.Proposal{
		Height: pb.Height, Round: pb.Round, POLRound: pb.PolRound, Value: id,
		Proposer: pb.Proposer, Timestamp: pb.Timestamp, Signature: bytes.Clone(pb.Signature),
	}, err
}

func voteToProto(v *consensus.Vote) (wirepb.Vote, error) {
	bid, err := blockIDToProto("vote", v.Value)
	return wirepb.Vote{
		Type: cmtproto.SignedMsgType(v.Type), Height: v.Height, Round: v.Round, BlockID: bid,
		ValidatorIndex: v.Validator, Timestamp: v.Timestamp, Signature: v.Signature,
		Extension: v.Extension, ExtensionSignature: v.ExtensionSignature,
	}, err
}

func voteFromProto(what string, pb *wirepb.Vote) (consensus.Vote, error) {
	if pb.Type != cmtproto.PrevoteType && pb.Type != cmtproto.PrecommitType {
		return consensus.Vote{}, invalidf("%s: vote type %d; want prevote (1) or precommit (2)", what, pb.Type)
	}
	id, err := blockIDFromProto(what, &pb.BlockID)
	return consensus.Vote{
		Type: consensus.VoteType(pb.Type), Height: pb.Height, Round: pb.Round, Value: id,
		Validator: pb.ValidatorIndex, Timestamp: pb.Timestamp, Signature: bytes.Clone(pb.Signature),
		Extension: bytes.Clone(pb.Extension), ExtensionSignature: bytes.Clone(pb.ExtensionSignature),
	}, err
}

func checkpointToProto(c *consensus.Checkpoint) wirepb.Checkpoint {
	return wirepb.Checkpoint{Height: c.Height, AppHash: c.AppHash, ValidatorIndex: c.Validator, Signature: c.Signature}
}

func checkpointFromProto(pb *wirepb.Checkpoint) consensus.Checkpoint {
	return consensus.Checkpoint{
		Height: pb.Height, AppHash: bytes.Clone(pb.AppHash),
		Validator: pb.ValidatorIndex, Signature: bytes.Clone(pb.Signature),
	}
}

func stableToProto(s *consensus.StableCheckpoint) wirepb.StableCheckpoint {
	pb := wirepb.StableCheckpoint{Height: s.Height, AppHash: s.AppHash}
	if len(s.Proof) > 0 {
		pb.Proof = make([]wirepb.Checkpoint, len(s.Proof))
		for i := range s.Proof {
			pb.Proof[i] = checkpointToProto(&s.Proof[i])
		}
	}
	return pb
}

func stableFromProto(pb *wirepb.StableCheckpoint) consensus.StableCheckpoint {
	s := consensus.StableCheckpoint{Height: pb.Height, AppHash: bytes.Clone(pb.AppHash)}
	if len(pb.Proof) > 0 {
		s.Proof = make([]consensus.Checkpoint, len(pb.Proof))
		for i := range pb.Proof {
			s.Proof[i] = checkpointFromProto(&pb.Proof[i])
		}
	}
	return s
}

func preparedToProto(pc *consensus.PreparedCert) (wirepb.PreparedCert, error) {
	pp, err := proposalToProto(&pc.PrePrepare)
	if err != nil {
		return wirepb.PreparedCert{}, err
	}
	pb := wirepb.PreparedCert{PrePrepare: pp}
	if len(pc.Prepares) > 0 {
		pb.Prepares = make([]wirepb.Vote, len(pc.Prepares))
		for i := range pc.Prepares {
			if pb.Prepares[i], err = voteToProto(&pc.Prepares[i]); err != nil {
				return wirepb.PreparedCert{}, err
			}
		}
	}
	return pb, nil
}

func preparedFromProto(what string, pb *wirepb.PreparedCert) (consensus.PreparedCert, error) {
	pp, err := proposalFromProto(what+" pre-prepare", &pb.PrePrepare)
	if err != nil {
		return consensus.PreparedCert{}, err
	}
	pc := consensus.PreparedCert{PrePrepare: pp}
	if len(pb.Prepares) > 0 {
		pc.Prepares = make([]consensus.Vote, len(pb.Prepares))
		for i := range pb.Prepares {
			if pc.Prepares[i], err = voteFromProto(fmt.Sprintf("%s prepare %d", what, i), &pb.Prepares[i]); err != nil {
				return consensus.PreparedCert{}, err
			}
		}
	}
	return pc, nil
}

func viewChangeToProto(vc *consensus.ViewChange) (wirepb.ViewChange, error) {
	pb := wirepb.ViewChange{
		View: vc.View, ValidatorIndex: vc.Validator,
		Stable: stableToProto(&vc.Stable), Signature: vc.Signature,
	}
	if len(vc.Prepared) > 0 {
		pb.Prepared = make([]wirepb.PreparedCert, len(vc.Prepared))
		for i := range vc.Prepared {
			var err error
			if pb.Prepared[i], err = preparedToProto(&vc.Prepared[i]); err != nil {
				return wirepb.ViewChange{}, err
			}
		}
	}
	return pb, nil
}

func viewChangeFromProto(what string, pb *wirepb.ViewChange) (consensus.ViewChange, error) {
	vc := consensus.ViewChange{
		View: pb.View, Validator: pb.ValidatorIndex,
		Stable: stableFromProto(&pb.Stable), Signature: bytes.Clone(pb.Signature),
	}
	if len(pb.Prepared) > MaxPreparedCerts {
		return vc, checkCount(what+" prepared certificates", len(pb.Prepared), MaxPreparedCerts)
	}
	if len(pb.Prepared) > 0 {
		vc.Prepared = make([]consensus.PreparedCert, len(pb.Prepared))
		for i := range pb.Prepared {
			var err error
			if vc.Prepared[i], err = preparedFromProto(fmt.Sprintf("%s prepared %d", what, i), &pb.Prepared[i]); err != nil {
				return consensus.ViewChange{}, err
			}
		}
	}
	return vc, nil
}

func newViewToProto(nv *consensus.NewView) (*wirepb.NewView, error) {
	pb := &wirepb.NewView{View: nv.View, ValidatorIndex: nv.Validator, Signature: nv.Signature}
	if len(nv.ViewChanges) > 0 {
		pb.ViewChanges = make([]wirepb.ViewChange, len(nv.ViewChanges))
		for i := range nv.ViewChanges {
			var err error
			if pb.ViewChanges[i], err = viewChangeToProto(&nv.ViewChanges[i]); err != nil {
				return nil, err
			}
		}
	}
	if len(nv.PrePrepares) > 0 {
		pb.PrePrepares = make([]wirepb.Proposal, len(nv.PrePrepares))
		for i := range nv.PrePrepares {
			var err error
			if pb.PrePrepares[i], err = proposalToProto(&nv.PrePrepares[i]); err != nil {
				return nil, err
			}
		}
	}
	return pb, nil
}

func newViewFromProto(what string, pb *wirepb.NewView) (consensus.NewView, error) {
	nv := consensus.NewView{View: pb.View, Validator: pb.ValidatorIndex, Signature: bytes.Clone(pb.Signature)}
	if err := checkCount(what+" view changes", len(pb.ViewChanges), MaxValidators); err != nil {
		return nv, err
	}
	if err := checkCount(what+" pre-prepares", len(pb.PrePrepares), MaxPreparedCerts); err != nil {
		return nv, err
	}
	if len(pb.ViewChanges) > 0 {
		nv.ViewChanges = make([]consensus.ViewChange, len(pb.ViewChanges))
		for i := range pb.ViewChanges {
			var err error
			if nv.ViewChanges[i], err = viewChangeFromProto(fmt.Sprintf("%s view change %d", what, i), &pb.ViewChanges[i]); err != nil {
				return consensus.NewView{}, err
			}
		}
	}
	if len(pb.PrePrepares) > 0 {
		nv.PrePrepares = make([]consensus.Proposal, len(pb.PrePrepares))
		for i := range pb.PrePrepares {
			var err error
			if nv.PrePrepares[i], err = proposalFromProto(fmt.Sprintf("%s pre-prepare %d", what, i), &pb.PrePrepares[i]); err != nil {
				return consensus.NewView{}, err
			}
		}
	}
	return nv, nil
}
