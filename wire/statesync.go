package wire

import (
	ssproto "github.com/cometbft/cometbft/proto/tendermint/statesync"
)

// StatesyncMessage is one of the messages of the snapshot and chunk
// channels: SnapshotsRequest, SnapshotsResponse, ChunkRequest,
// ChunkResponse. They are CometBFT v0.38's state sync messages
// (tendermint.statesync.Message), byte for byte.
type StatesyncMessage interface{ isStatesync() }

// SnapshotsRequest asks a peer which snapshots its app serves.
type SnapshotsRequest struct{}

// SnapshotsResponse describes one snapshot the sender's app serves.
type SnapshotsResponse struct {
	Height   uint64
	Format   uint32
	Chunks   uint32
	Hash     []byte
	Metadata []byte
}

// ChunkRequest asks for chunk Index of the snapshot at Height in Format.
type ChunkRequest struct {
	Height uint64
	Format uint32
	Index  uint32
}

// ChunkResponse carries a chunk, or says with Missing that the sender
// does not have it.
type ChunkResponse struct {
	Height  uint64
	Format  uint32
	Index   uint32
	Chunk   []byte
	Missing bool
}

func (SnapshotsRequest) isStatesync()  {}
func (SnapshotsResponse) isStatesync() {}
func (ChunkRequest) isStatesync()      {}
func (ChunkResponse) isStatesync()     {}

// Limits of the state sync messages, CometBFT's: a snapshots message is at
// most 4 MB, a chunk message 16 MB, and a snapshot has at most 100000
// chunks (its default max_snapshot_chunks).
const (
	MaxSnapshotsMessageBytes = 4_000_000
	MaxChunkMessageBytes     = 16_000_000
	MaxSnapshotChunks        = 100_000
	// MaxSnapshotHashBytes bounds a snapshot's hash; ABCI does not fix its
	// length, real apps use 32 bytes.
	MaxSnapshotHashBytes = 256
	// MaxChunkBytes leaves room for the rest of a chunk message.
	MaxChunkBytes = MaxChunkMessageBytes - 1024
	// MaxSnapshotMetadataBytes leaves room for the rest of a snapshots
	// message.
	MaxSnapshotMetadataBytes = MaxSnapshotsMessageBytes - 1024
)

// EncodeStatesync returns the bytes of m for its channel.
func EncodeStatesync(m StatesyncMessage) ([]byte, error) {
	if err := validateStatesync(m); err != nil {
		return nil, err
	}
	pb := &ssproto.Message{}
	switch m := m.(type) {
	case SnapshotsRequest:
		pb.Sum = &ssproto.Message_SnapshotsRequest{SnapshotsRequest: &ssproto.SnapshotsRequest{}}
	case SnapshotsResponse:
		pb.Sum = &ssproto.Message_SnapshotsResponse{SnapshotsResponse: &ssproto.SnapshotsResponse{
			Height: m.Height, Format: m.Format, Chunks: m.Chunks, Hash: m.Hash, Metadata: m.Metadata}}
	case ChunkRequest:
		pb.Sum = &ssproto.Message_ChunkRequest{ChunkRequest: &ssproto.ChunkRequest{Height: m.Height, Format: m.Format, Index: m.Index}}
	case ChunkResponse:
		pb.Sum = &ssproto.Message_ChunkResponse{ChunkResponse: &ssproto.ChunkResponse{
			Height: m.Height, Format: m.Format, Index: m.Index, Chunk: m.Chunk, Missing: m.Missing}}
	}
	return pb.Marshal()
}

// DecodeStatesync parses and validates bytes from the snapshot or chunk
// channel. An error wraps ErrInvalid: the peer is faulty.
func DecodeStatesync(b []byte) (StatesyncMessage, error) {
	if len(b) > MaxChunkMessageBytes {
		return nil, invalidf("state sync message of %d bytes; at most %d", len(b), MaxChunkMessageBytes)
	}
	var pb ssproto.Message
	if err := pb.Unmarshal(b); err != nil {
		return nil, invalidf("state sync message: %v", err)
	}
	var m StatesyncMessage
	switch s := pb.Sum.(type) {
	case *ssproto.Message_SnapshotsRequest:
		m = SnapshotsRequest{}
	case *ssproto.Message_SnapshotsResponse:
		if r := s.SnapshotsResponse; r != nil {
			m = SnapshotsResponse{Height: r.Height, Format: r.Format, Chunks: r.Chunks, Hash: r.Hash, Metadata: r.Metadata}
		}
	case *ssproto.Message_ChunkRequest:
		if r := s.ChunkRequest; r != nil {
			m = ChunkRequest{Height: r.Height, Format: r.Format, Index: r.Index}
		}
	case *ssproto.Message_ChunkResponse:
		if r := s.ChunkResponse; r != nil {
			m = ChunkResponse{Height: r.Height, Format: r.Format, Index: r.Index, Chunk: r.Chunk, Missing: r.Missing}
		}
	}
	if m == nil {
		return nil, invalidf("state sync message of unknown kind %T (a newer peer, or garbage)", pb.Sum)
	}
	return m, validateStatesync(m)
}

func validateStatesync(m StatesyncMessage) error {
	switch m := m.(type) {
	case SnapshotsRequest:
		return nil
	case SnapshotsResponse:
		switch {
		case m.Height == 0:
			return invalidf("snapshots response: height 0")
		case m.Chunks == 0 || m.Chunks > MaxSnapshotChunks:
			return invalidf("snapshots response: %d chunks; want 1 to %d", m.Chunks, MaxSnapshotChunks)
		case len(m.Hash) == 0 || len(m.Hash) > MaxSnapshotHashBytes:
			return invalidf("snapshots response: hash of %d bytes; want 1 to %d", len(m.Hash), MaxSnapshotHashBytes)
		case len(m.Metadata) > MaxSnapshotMetadataBytes:
			return invalidf("snapshots response: metadata of %d bytes; at most %d", len(m.Metadata), MaxSnapshotMetadataBytes)
		}
		return nil
	case ChunkRequest:
		if m.Height == 0 || m.Index >= MaxSnapshotChunks {
			return invalidf("chunk request: height %d, index %d; want a height above 0 and an index below %d", m.Height, m.Index, MaxSnapshotChunks)
		}
		return nil
	case ChunkResponse:
		switch {
		case m.Height == 0 || m.Index >= MaxSnapshotChunks:
			return invalidf("chunk response: height %d, index %d; want a height above 0 and an index below %d", m.Height, m.Index, MaxSnapshotChunks)
		case m.Missing && len(m.Chunk) > 0:
			return invalidf("chunk response: says the chunk is missing and carries %d bytes", len(m.Chunk))
		case len(m.Chunk) > MaxChunkBytes:
			return invalidf("chunk response: chunk of %d bytes; at most %d", len(m.Chunk), MaxChunkBytes)
		}
		return nil
	case nil:
		return invalidf("no state sync message")
	}
	return invalidf("unknown state sync message type %T", m)
}
