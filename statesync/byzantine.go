//go:build byzantine

package statesync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"sync"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// ByzantineSnapshotsEnv names the environment variable that makes a node
// of a byzantine build serve bad snapshots, for the tests of state sync's
// defences.
const ByzantineSnapshotsEnv = "BFTNODE_BYZANTINE_SNAPSHOTS"

// The Byzantine snapshot behaviours.
const (
	// ForgeWrongState serves, in place of the app's latest snapshot, one
	// of the same height whose chunks and hashes are consistent but whose
	// state is another (the built-in kvstore's size raised by one): only
	// the app hash check after the restore can catch it.
	ForgeWrongState = "wrongstate"
	// ForgeBadChunks lists the app's snapshots truthfully and serves every
	// chunk with its first byte flipped.
	ForgeBadChunks = "badchunks"
)

func newForger() forger {
	switch v := os.Getenv(ByzantineSnapshotsEnv); v {
	case "":
		return nil
	case ForgeWrongState:
		fmt.Fprintf(os.Stderr, "BYZANTINE snapshot server: %s\n", v)
		return &wrongState{forged: map[uint64][]byte{}}
	case ForgeBadChunks:
		fmt.Fprintf(os.Stderr, "BYZANTINE snapshot server: %s\n", v)
		return badChunks{}
	default:
		fmt.Fprintf(os.Stderr, "%s: unknown behaviour %q; known: %s, %s\n", ByzantineSnapshotsEnv, v, ForgeWrongState, ForgeBadChunks)
		os.Exit(2)
	}
	return nil
}

type badChunks struct{}

func (badChunks) list(_ context.Context, _ SnapshotApp, snaps []*abcitypes.Snapshot) []*abcitypes.Snapshot {
	return snaps
}

func (badChunks) serves(uint64, uint32) bool { return true }

func (badChunks) chunk(ctx context.Context, app SnapshotApp, height uint64, format uint32, index uint32) []byte {
	resp, err := app.LoadSnapshotChunk(ctx, &abcitypes.RequestLoadSnapshotChunk{Height: height, Format: format, Chunk: index})
	if err != nil || len(resp.Chunk) == 0 {
		return nil
	}
	bad := bytes.Clone(resp.Chunk)
	bad[0] ^= 0xff
	return bad
}

// wrongState forges the built-in kvstore's snapshots (format 1).
type wrongState struct {
	mu     sync.Mutex
	forged map[uint64][]byte // height -> forged stream
	chunk1 int               // the app's chunk size, learned from its first chunk
}

func (w *wrongState) list(ctx context.Context, app SnapshotApp, snaps []*abcitypes.Snapshot) []*abcitypes.Snapshot {
	if len(snaps) == 0 {
		return snaps
	}
	latest := snaps[len(snaps)-1]
	forged, err := w.forge(ctx, app, latest)
	if err != nil {
		fmt.Fprintf(os.Stderr, "BYZANTINE snapshot server: forging the snapshot of height %d: %v\n", latest.Height, err)
		return snaps
	}
	return append(append([]*abcitypes.Snapshot{}, snaps[:len(snaps)-1]...), forged)
}

func (w *wrongState) forge(ctx context.Context, app SnapshotApp, real *abcitypes.Snapshot) (*abcitypes.Snapshot, error) {
	var stream []byte
	for i := uint32(0); i < real.Chunks; i++ {
		resp, err := app.LoadSnapshotChunk(ctx, &abcitypes.RequestLoadSnapshotChunk{Height: real.Height, Format: real.Format, Chunk: i})
		if err != nil {
			return nil, err
		}
		if i == 0 {
			w.mu.Lock()
			w.chunk1 = len(resp.Chunk)
			w.mu.Unlock()
		}
		stream = append(stream, resp.Chunk...)
	}
	out, err := raiseSize(stream)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.forged[real.Height] = out
	snap := &abcitypes.Snapshot{Height: real.Height, Format: real.Format}
	for start := 0; start < len(out); start += w.chunk1 {
		sum := sha256.Sum256(out[start:min(start+w.chunk1, len(out))])
		snap.Metadata = append(snap.Metadata, sum[:]...)
		snap.Chunks++
	}
	sum := sha256.Sum256(out)
	snap.Hash = sum[:]
	return snap, nil
}

// raiseSize rewrites the kvstore's state record with its size plus one.
func raiseSize(stream []byte) ([]byte, error) {
	var out []byte
	for len(stream) > 0 {
		kl, n := binary.Uvarint(stream)
		if n <= 0 || kl > uint64(len(stream)-n) {
			return nil, fmt.Errorf("damaged stream")
		}
		key := stream[n : n+int(kl)]
		stream = stream[n+int(kl):]
		vl, n := binary.Uvarint(stream)
		if n <= 0 || vl > uint64(len(stream)-n) {
			return nil, fmt.Errorf("damaged stream")
		}
		value := stream[n : n+int(vl)]
		stream = stream[n+int(vl):]
		if string(key) == "stateKey" {
			var st map[string]int64
			if err := json.Unmarshal(value, &st); err != nil {
				return nil, err
			}
			st["size"]++
			value, _ = json.Marshal(st)
		}
		out = binary.AppendUvarint(out, uint64(len(key)))
		out = append(out, key...)
		out = binary.AppendUvarint(out, uint64(len(value)))
		out = append(out, value...)
	}
	return out, nil
}

func (w *wrongState) serves(height uint64, _ uint32) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.forged[height]
	return ok
}

func (w *wrongState) chunk(_ context.Context, _ SnapshotApp, height uint64, _ uint32, index uint32) []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.forged[height]
	start := int(index) * w.chunk1
	if start >= len(out) {
		return nil
	}
	return bytes.Clone(out[start:min(start+w.chunk1, len(out))])
}
