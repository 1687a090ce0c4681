package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestStatesyncMessagesRoundTrip(t *testing.T) {
	for _, m := range []StatesyncMessage{
		SnapshotsRequest{},
		SnapshotsResponse{Height: 10, Format: 1, Chunks: 3, Hash: bytes.Repeat([]byte{1}, 32), Metadata: []byte("meta")},
		ChunkRequest{Height: 10, Format: 1, Index: 2},
		ChunkResponse{Height: 10, Format: 1, Index: 2, Chunk: []byte("chunk")},
		ChunkResponse{Height: 10, Format: 1, Index: 2, Missing: true},
	} {
		b, err := EncodeStatesync(m)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		got, err := DecodeStatesync(b)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip of %#v gave %#v", m, got)
		}
	}
}

func TestStatesyncDecodeRefusesBadMessages(t *testing.T) {
	for name, m := range map[string]StatesyncMessage{
		"height 0":           SnapshotsResponse{Height: 0, Format: 1, Chunks: 1, Hash: []byte{1}},
		"no chunks":          SnapshotsResponse{Height: 1, Format: 1, Chunks: 0, Hash: []byte{1}},
		"too many chunks":    SnapshotsResponse{Height: 1, Format: 1, Chunks: MaxSnapshotChunks + 1, Hash: []byte{1}},
		"no hash":            SnapshotsResponse{Height: 1, Format: 1, Chunks: 1},
		"huge hash":          SnapshotsResponse{Height: 1, Format: 1, Chunks: 1, Hash: make([]byte, MaxSnapshotHashBytes+1)},
		"huge metadata":      SnapshotsResponse{Height: 1, Format: 1, Chunks: 1, Hash: []byte{1}, Metadata: make([]byte, MaxSnapshotMetadataBytes+1)},
		"request height 0":   ChunkRequest{Height: 0},
		"index out of range": ChunkRequest{Height: 1, Index: MaxSnapshotChunks},
		"missing with bytes": ChunkResponse{Height: 1, Missing: true, Chunk: []byte{1}},
		"huge chunk":         ChunkResponse{Height: 1, Chunk: make([]byte, MaxChunkBytes+1)},
	} {
		if _, err := EncodeStatesync(m); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: encoding gave %v, want ErrInvalid", name, err)
		}
	}
	for name, b := range map[string][]byte{
		"garbage": {0xff, 0xff, 0xff},
		"empty":   {},
		"huge":    make([]byte, MaxChunkMessageBytes+1),
	} {
		if _, err := DecodeStatesync(b); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: decoding gave %v, want ErrInvalid", name, err)
		}
	}
}

func FuzzDecodeStatesync(f *testing.F) {
	b, _ := EncodeStatesync(SnapshotsResponse{Height: 10, Format: 1, Chunks: 3, Hash: []byte{1}})
	f.Add(b)
	b, _ = EncodeStatesync(ChunkResponse{Height: 10, Index: 1, Chunk: []byte("x")})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeStatesync(b)
		if err != nil {
			return
		}
		if _, err := EncodeStatesync(m); err != nil {
			t.Fatalf("a decoded message does not encode: %v", err)
		}
	})
}
