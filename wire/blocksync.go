package wire

import (
	"bytes"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire/wirepb"
	"github.com/cometbft/cometbft/types"
)

// BlocksyncMessage is one of the messages of the blocksync channel:
// StatusRequest, StatusResponse, BlockRequest, BlockResponse,
// NoBlockResponse, BlockByIDRequest, BlockByIDResponse.
type BlocksyncMessage interface{ isBlocksync() }

// StatusRequest asks a peer which decided blocks it stores.
type StatusRequest struct{}

// StatusResponse says the sender stores the decided blocks Base..Height
// (both 0 when it stores none).
type StatusResponse struct{ Base, Height int64 }

// BlockRequest asks for the decided block at Height.
type BlockRequest struct{ Height int64 }

// BlockResponse is a decided block with the commit that decided it, and
// optionally the sender's extended commit of the block: its precommits with
// their vote extensions, which a node that fetched the block needs to
// propose the next one where the chain enables extensions (CometBFT's
// block sync sends one too). Decoding checks that all are well formed and
// name the same height and block; verifying the signatures is the
// driver's job.
type BlockResponse struct {
	Block     *types.Block
	Commit    *types.Commit
	ExtCommit *types.ExtendedCommit // nil when the sender has none
}

// NoBlockResponse says the sender does not have the block at Height.
type NoBlockResponse struct{ Height int64 }

// BlockByIDRequest asks for a proposed block by its ID: the value of a
// proposal whose block the node is missing.
type BlockByIDRequest struct{ ID consensus.ID }

// BlockByIDResponse answers a BlockByIDRequest. Block is nil when the sender
// does not have it; otherwise its hash matches ID.
type BlockByIDResponse struct {
	ID    consensus.ID
	Block *types.Block
}

func (StatusRequest) isBlocksync()     {}
func (StatusResponse) isBlocksync()    {}
func (BlockRequest) isBlocksync()      {}
func (BlockResponse) isBlocksync()     {}
func (NoBlockResponse) isBlocksync()   {}
func (BlockByIDRequest) isBlocksync()  {}
func (BlockByIDResponse) isBlocksync() {}

// EncodeBlocksync returns the bytes of m for the blocksync channel.
func EncodeBlocksync(m BlocksyncMessage) ([]byte, error) {
	pb, err := blocksyncToProto(m)
	if err != nil {
		return nil, err
	}
	return pb.Marshal()
}

// DecodeBlocksync parses and validates bytes from the blocksync channel.
func DecodeBlocksync(b []byte) (BlocksyncMessage, error) {
	var pb wirepb.BlocksyncMessage
	if err := pb.Unmarshal(b); err != nil {
		return nil, invalidf("blocksync message: %v", err)
	}
	return blocksyncFromProto(&pb)
}

func blocksyncToProto(m BlocksyncMessage) (*wirepb.BlocksyncMessage, error) {
	if err := validateBlocksync(m); err != nil {
		return nil, err
	}
	pb := &wirepb.BlocksyncMessage{}
	switch m := m.(type) {
	case StatusRequest:
		pb.Sum = &wirepb.BlocksyncMessage_StatusRequest{StatusRequest: &wirepb.StatusRequest{}}
	case StatusResponse:
		pb.Sum = &wirepb.BlocksyncMessage_StatusResponse{StatusResponse: &wirepb.StatusResponse{Base: m.Base, Height: m.Height}}
	case BlockRequest:
		pb.Sum = &wirepb.BlocksyncMessage_BlockRequest{BlockRequest: &wirepb.BlockRequest{Height: m.Height}}
	case NoBlockResponse:
		pb.Sum = &wirepb.BlocksyncMessage_NoBlockResponse{NoBlockResponse: &wirepb.NoBlockResponse{Height: m.Height}}
	case BlockResponse:
		block, err := blockToProto("block response", m.Block)
		if err != nil {
			return nil, err
		}
		resp := &wirepb.BlockResponse{Block: block, Commit: m.Commit.ToProto()}
		if m.ExtCommit != nil {
			resp.ExtCommit = m.ExtCommit.ToProto()
		}
		pb.Sum = &wirepb.BlocksyncMessage_BlockResponse{BlockResponse: resp}
	case BlockByIDRequest:
		bid, err := blockIDToProto("block-by-ID request", m.ID)
		if err != nil {
			return nil, err
		}
		pb.Sum = &wirepb.BlocksyncMessage_BlockByIdRequest{BlockByIdRequest: &wirepb.BlockByIDRequest{BlockID: bid}}
	case BlockByIDResponse:
		bid, err := blockIDToProto("block-by-ID response", m.ID)
		if err != nil {
			return nil, err
		}
		resp := &wirepb.BlockByIDResponse{BlockID: bid}
		if m.Block != nil {
			if resp.Block, err = blockToProto("block-by-ID response", m.Block); err != nil {
				return nil, err
			}
		}
		pb.Sum = &wirepb.BlocksyncMessage_BlockByIdResponse{BlockByIdResponse: resp}
	}
	return pb, nil
}

func blocksyncFromProto(pb *wirepb.BlocksyncMessage) (BlocksyncMessage, error) {
	m, err := blocksyncFromSum(pb)
	if err != nil {
		return nil, err
	}
	return m, validateBlocksync(m)
}

func blocksyncFromSum(pb *wirepb.BlocksyncMessage) (BlocksyncMessage, error) {
	switch s := pb.Sum.(type) {
	case *wirepb.BlocksyncMessage_StatusRequest:
		return StatusRequest{}, nil
	case *wirepb.BlocksyncMessage_StatusResponse:
		if s.StatusResponse != nil {
			return StatusResponse{Base: s.StatusResponse.Base, Height: s.StatusResponse.Height}, nil
		}
	case *wirepb.BlocksyncMessage_BlockRequest:
		if s.BlockRequest != nil {
			return BlockRequest{Height: s.BlockRequest.Height}, nil
		}
	case *wirepb.BlocksyncMessage_NoBlockResponse:
		if s.NoBlockResponse != nil {
			return NoBlockResponse{Height: s.NoBlockResponse.Height}, nil
		}
	case *wirepb.BlocksyncMessage_BlockResponse:
		if s.BlockResponse != nil {
			return blockResponseFromProto(s.BlockResponse)
		}
	case *wirepb.BlocksyncMessage_BlockByIdRequest:
		if s.BlockByIdRequest != nil {
			id, err := blockIDFromProto("block-by-ID request", &s.BlockByIdRequest.BlockID)
			return BlockByIDRequest{ID: id}, err
		}
	case *wirepb.BlocksyncMessage_BlockByIdResponse:
		if s.BlockByIdResponse != nil {
			return blockByIDResponseFromProto(s.BlockByIdResponse)
		}
	}
	return nil, invalidf("blocksync message of unknown kind %T (a newer peer, or garbage)", pb.Sum)
}

func blockResponseFromProto(pb *wirepb.BlockResponse) (BlocksyncMessage, error) {
	if pb.Block == nil || pb.Commit == nil {
		return nil, invalidf("block response without a block or a commit")
	}
	block, err := blockFromProto("block response", pb.Block)
	if err != nil {
		return nil, err
	}
	commit, err := commitFromProto("block response commit", pb.Commit)
	if err != nil {
		return nil, err
	}
	resp := BlockResponse{Block: block, Commit: commit}
	if pb.ExtCommit != nil {
		if resp.ExtCommit, err = extendedCommitFromProto("block response extended commit", pb.ExtCommit); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

func blockByIDResponseFromProto(pb *wirepb.BlockByIDResponse) (BlocksyncMessage, error) {
	id, err := blockIDFromProto("block-by-ID response", &pb.BlockID)
	if err != nil {
		return nil, err
	}
	resp := BlockByIDResponse{ID: id}
	if pb.Block != nil {
		if resp.Block, err = blockFromProto("block-by-ID response", pb.Block); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

func validateBlocksync(m BlocksyncMessage) error {
	switch m := m.(type) {
	case StatusRequest:
		return nil
	case StatusResponse:
		if m.Base < 0 || m.Height < 0 || m.Base > m.Height || (m.Base == 0) != (m.Height == 0) {
			return invalidf("status response: stores %d..%d; want 1 <= base <= height, or both 0", m.Base, m.Height)
		}
		return nil
	case BlockRequest:
		return checkHeight("block request", m.Height)
	case NoBlockResponse:
		return checkHeight("no-block response", m.Height)
	case BlockResponse:
		return validateBlockResponse(m)
	case BlockByIDRequest:
		return checkBlockByID("block-by-ID request", m.ID, nil)
	case BlockByIDResponse:
		return checkBlockByID("block-by-ID response", m.ID, m.Block)
	case nil:
		return invalidf("no blocksync message")
	}
	return invalidf("unknown blocksync message type %T", m)
}

func validateBlockResponse(m BlockResponse) error {
	if m.Block == nil || m.Commit == nil {
		return invalidf("block response without a block or a commit")
	}
	if err := m.Block.ValidateBasic(); err != nil {
		return invalidf("block response: %v", err)
	}
	if err := checkHeight("block response", m.Block.Height); err != nil {
		return err
	}
	if err := checkCount("block response commit signatures", len(m.Commit.Signatures), MaxValidators); err != nil {
		return err
	}
	if err := m.Commit.ValidateBasic(); err != nil {
		return invalidf("block response commit: %v", err)
	}
	if m.Commit.Height != m.Block.Height {
		return invalidf("block response: commit for height %d beside a block of height %d", m.Commit.Height, m.Block.Height)
	}
	if !bytes.Equal(m.Commit.BlockID.Hash, m.Block.Hash()) {
		return invalidf("block response: commit for block %X beside block %X", m.Commit.BlockID.Hash, m.Block.Hash())
	}
	return validateExtCommit(m)
}

// validateExtCommit checks that a block response's extended commit, when
// there is one, is well formed and commits the same block as its commit.
func validateExtCommit(m BlockResponse) error {
	ec := m.ExtCommit
	if ec == nil {
		return nil
	}
	if err := checkCount("block response extended commit signatures", len(ec.ExtendedSignatures), MaxValidators); err != nil {
		return err
	}
	if err := ec.ValidateBasic(); err != nil {
		return invalidf("block response extended commit: %v", err)
	}
	if ec.Height != m.Commit.Height || !ec.BlockID.Equals(m.Commit.BlockID) {
		return invalidf("block response: extended commit for height %d block %X beside a commit for height %d block %X",
			ec.Height, ec.BlockID.Hash, m.Commit.Height, m.Commit.BlockID.Hash)
	}
	// Each precommit as the votes on the consensus channel are checked:
	// an extension only with its signature, within the size limits.
	_, err := VotesFromExtendedCommit(ec)
	return err
}

func checkBlockByID(what string, id consensus.ID, block *types.Block) error {
	bid, err := DecodeID(id)
	if err != nil {
		return err
	}
	if bid.IsZero() {
		return invalidf("%s: names the nil block", what)
	}
	if block == nil {
		return nil
	}
	if err := block.ValidateBasic(); err != nil {
		return invalidf("%s: %v", what, err)
	}
	if !bytes.Equal(block.Hash(), bid.Hash) {
		return invalidf("%s: block hashes to %X; the request named %X", what, block.Hash(), bid.Hash)
	}
	return nil
}
