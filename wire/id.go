package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
	"github.com/cometbft/cometbft/crypto/tmhash"
	"github.com/cometbft/cometbft/types"
)

// idLen is the length of the ID of a complete BlockID: the block hash, the
// part-set total as a big-endian uint32 and the part-set hash.
const idLen = tmhash.Size + 4 + tmhash.Size

// EncodeID returns the consensus ID of a block ID: consensus.Nil for the zero
// BlockID (a vote for nil, a PBFT null request), otherwise the block hash,
// the part-set total (big-endian uint32) and the part-set hash. CometBFT
// votes only ever name a zero or a complete BlockID (hash and part-set hash
// of tmhash.Size bytes, total > 0); any other BlockID encodes to an ID that
// DecodeID rejects.
func EncodeID(id types.BlockID) consensus.ID {
	if id.IsZero() {
		return consensus.Nil
	}
	b := make([]byte, 0, idLen)
	b = append(b, id.Hash...)
	b = binary.BigEndian.AppendUint32(b, id.PartSetHeader.Total)
	b = append(b, id.PartSetHeader.Hash...)
	return consensus.ID(b)
}

// DecodeID is the inverse of EncodeID. It accepts only consensus.Nil and the
// IDs of complete block IDs.
func DecodeID(id consensus.ID) (types.BlockID, error) {
	if id == consensus.Nil {
		return types.BlockID{}, nil
	}
	if len(id) != idLen {
		return types.BlockID{}, invalidf("block ID is %d bytes; want 0 (nil) or %d", len(id), idLen)
	}
	b := []byte(id)
	bid := types.BlockID{
		Hash: bytes.Clone(b[:tmhash.Size]),
		PartSetHeader: types.PartSetHeader{
			Total: binary.BigEndian.Uint32(b[tmhash.Size : tmhash.Size+4]),
			Hash:  bytes.Clone(b[tmhash.Size+4:]),
		},
	}
	if !bid.IsComplete() {
		return types.BlockID{}, invalidf("block ID %X has part-set total 0; a non-nil block ID must be complete", b)
	}
	return bid, nil
}

// IDOf returns the ID of block when it is split into parts of partSize bytes
// (types.BlockPartSizeBytes on a CometBFT chain): what a proposal for it
// names as its value.
func IDOf(block *types.Block, partSize uint32) (consensus.ID, error) {
	if block == nil {
		return consensus.Nil, invalidf("no block to take the ID of")
	}
	if err := block.ValidateBasic(); err != nil {
		return consensus.Nil, invalidf("block at height %d: %v", block.Height, err)
	}
	hash := block.Hash()
	if len(hash) == 0 {
		return consensus.Nil, invalidf("block at height %d has no hash: its header lacks the validators hash", block.Height)
	}
	parts, err := block.MakePartSet(partSize)
	if err != nil {
		return consensus.Nil, fmt.Errorf("split block at height %d into parts: %w", block.Height, err)
	}
	return EncodeID(types.BlockID{Hash: hash, PartSetHeader: parts.Header()}), nil
}

// blockIDFromProto validates a BlockID from the wire and returns its ID.
func blockIDFromProto(what string, pb *cmtBlockID) (consensus.ID, error) {
	bid, err := types.BlockIDFromProto(pb)
	if err != nil {
		return consensus.Nil, invalidf("%s: block ID: %v", what, err)
	}
	if !bid.IsZero() && !bid.IsComplete() {
		return consensus.Nil, invalidf("%s: block ID %v is neither nil nor complete", what, bid)
	}
	return EncodeID(*bid), nil
}

// blockIDToProto returns the wire form of an ID.
func blockIDToProto(what string, id consensus.ID) (cmtBlockID, error) {
	bid, err := DecodeID(id)
	if err != nil {
		return cmtBlockID{}, fmt.Errorf("%s: %w", what, err)
	}
	return bid.ToProto(), nil
}
