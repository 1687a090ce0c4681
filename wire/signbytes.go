package wire

import (
	"encoding/binary"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
	"github.com/cosmos/gogoproto/proto"
)

// Domain prefixes of the sign bytes of PBFT's own messages. Each names the
// message and a format version, so a signature over one kind of message can
// never pass for another, nor for CometBFT's canonical votes and proposals
// (which start with a varint length, never with these ASCII bytes).
const (
	checkpointDomain = "bftnode/checkpoint/v1"
	viewChangeDomain = "bftnode/view-change/v1"
	newViewDomain    = "bftnode/new-view/v1"
)

// SignBytes returns the bytes a validator signs for m on chain chainID. The
// signature field of m itself is ignored (m is usually not yet signed);
// everything else, nested messages with their signatures included, is
// covered.
//
//   - Votes: CometBFT's canonical vote bytes (types.VoteSignBytes). A PBFT
//     PREPARE is a prevote and a COMMIT a precommit with round = view, so a
//     quorum of either protocol's commits is a types.Commit that
//     types.ValidatorSet.VerifyCommit accepts.
//   - Proposals and PBFT pre-prepares: CometBFT's canonical proposal bytes
//     (types.ProposalSignBytes).
//   - Checkpoints, view changes and new views: the domain prefix, a zero
//     byte, the chain ID (uvarint length, then its bytes) and the message's
//     deterministic protobuf encoding with its own signature left empty.
func SignBytes(chainID string, m consensus.Message) ([]byte, error) {
	if chainID == "" || len(chainID) > types.MaxChainIDLen {
		return nil, fmt.Errorf("chain ID %q: want 1 to %d bytes", chainID, types.MaxChainIDLen)
	}
	if err := validateMessage(m, false); err != nil {
		return nil, fmt.Errorf("sign bytes: %w", err)
	}
	switch m := m.(type) {
	case *consensus.Vote:
		bid, err := DecodeID(m.Value)
		if err != nil {
			return nil, err
		}
		return types.VoteSignBytes(chainID, &cmtproto.Vote{
			Type: cmtproto.SignedMsgType(m.Type), Height: m.Height, Round: m.Round,
			BlockID: bid.ToProto(), Timestamp: m.Timestamp,
		}), nil
	case *consensus.Proposal:
		bid, err := DecodeID(m.Value)
		if err != nil {
			return nil, err
		}
		return types.ProposalSignBytes(chainID, &cmtproto.Proposal{
			Type: cmtproto.ProposalType, Height: m.Height, Round: m.Round, PolRound: m.POLRound,
			BlockID: bid.ToProto(), Timestamp: m.Timestamp,
		}), nil
	case *consensus.Checkpoint:
		pb := checkpointToProto(m)
		pb.Signature = nil
		return domainBytes(checkpointDomain, chainID, &pb)
	case *consensus.ViewChange:
		pb, err := viewChangeToProto(m)
		if err != nil {
			return nil, err
		}
		pb.Signature = nil
		return domainBytes(viewChangeDomain, chainID, &pb)
	case *consensus.NewView:
		pb, err := newViewToProto(m)
		if err != nil {
			return nil, err
		}
		pb.Signature = nil
		return domainBytes(newViewDomain, chainID, pb)
	}
	return nil, invalidf("sign bytes of unknown message type %T", m)
}

func domainBytes(domain, chainID string, body proto.Marshaler) ([]byte, error) {
	bz, err := body.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encode %s sign bytes: %w", domain, err)
	}
	out := make([]byte, 0, len(domain)+1+binary.MaxVarintLen64+len(chainID)+len(bz))
	out = append(out, domain...)
	out = append(out, 0)
	out = binary.AppendUvarint(out, uint64(len(chainID)))
	out = append(out, chainID...)
	return append(out, bz...), nil
}

// ExtensionSignBytes returns the bytes a validator signs for the vote
// extension of precommit v on chain chainID: CometBFT's canonical
// vote-extension bytes (types.VoteExtensionSignBytes: extension, height,
// round and chain ID), which the Cosmos SDK's ValidateVoteExtensions
// checks.
func ExtensionSignBytes(chainID string, v *consensus.Vote) ([]byte, error) {
	if chainID == "" || len(chainID) > types.MaxChainIDLen {
		return nil, fmt.Errorf("chain ID %q: want 1 to %d bytes", chainID, types.MaxChainIDLen)
	}
	if v.Type != consensus.Precommit || v.Value == consensus.Nil {
		return nil, invalidf("extension sign bytes: a %v for %s has no vote extension", v.Type, describeValue(v.Value))
	}
	return types.VoteExtensionSignBytes(chainID, &cmtproto.Vote{
		Type: cmtproto.PrecommitType, Height: v.Height, Round: v.Round, Extension: v.Extension,
	}), nil
}
