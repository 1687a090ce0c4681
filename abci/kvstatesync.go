package abci

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/abci/example/kvstore"
	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// snapshottingKVStore adds ABCI snapshots to the built-in kvstore: it
// takes one every interval heights after Commit, serves them to peers
// (ListSnapshots, LoadSnapshotChunk) and restores one (OfferSnapshot,
// ApplySnapshotChunk). A restore collects every chunk, checking each
// against the snapshot's metadata as it comes, and replaces the database
// in one synced batch only when the last one is in and the whole stream
// matches the snapshot's hash: a node killed during a restore finds the
// app as it was before, never half restored. It does not check the app
// hash it is offered: the node compares the app's Info after the restore
// with the header the light client verified.
type snapshottingKVStore struct {
	*extendingKVStore
	db    dbm.DB
	snaps *kvSnapshots
	// restoring is the snapshot being restored, nil when none is.
	restoring *kvRestore
}

type kvRestore struct {
	snap   *abcitypes.Snapshot
	chunks [][]byte
}

func (a *snapshottingKVStore) Commit(ctx context.Context, req *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
	resp, err := a.extendingKVStore.Commit(ctx, req)
	if err != nil || a.snaps.interval == 0 {
		return resp, err
	}
	info, err := a.Application.Info(ctx, &abcitypes.RequestInfo{})
	if err != nil {
		return resp, err
	}
	if a.snaps.due(info.LastBlockHeight) {
		if err := a.snaps.take(a.db, info.LastBlockHeight); err != nil {
			return resp, fmt.Errorf("kvstore: snapshot of height %d: %w", info.LastBlockHeight, err)
		}
	}
	return resp, nil
}

func (a *snapshottingKVStore) ListSnapshots(context.Context, *abcitypes.RequestListSnapshots) (*abcitypes.ResponseListSnapshots, error) {
	resp := &abcitypes.ResponseListSnapshots{}
	for _, s := range a.snaps.list {
		resp.Snapshots = append(resp.Snapshots, &abcitypes.Snapshot{
			Height: s.Height, Format: s.Format, Chunks: s.Chunks,
			Hash: bytes.Clone(s.Hash), Metadata: bytes.Clone(s.Metadata),
		})
	}
	return resp, nil
}

func (a *snapshottingKVStore) LoadSnapshotChunk(_ context.Context, req *abcitypes.RequestLoadSnapshotChunk) (*abcitypes.ResponseLoadSnapshotChunk, error) {
	snap := a.snaps.find(req.Height, req.Format)
	if snap == nil {
		return &abcitypes.ResponseLoadSnapshotChunk{}, nil
	}
	chunk, err := a.snaps.chunk(snap, req.Chunk)
	if err != nil {
		return nil, fmt.Errorf("kvstore: chunk %d of the snapshot of height %d: %w", req.Chunk, req.Height, err)
	}
	return &abcitypes.ResponseLoadSnapshotChunk{Chunk: chunk}, nil
}

func (a *snapshottingKVStore) OfferSnapshot(_ context.Context, req *abcitypes.RequestOfferSnapshot) (*abcitypes.ResponseOfferSnapshot, error) {
	a.restoring = nil
	s := req.Snapshot
	switch {
	case s == nil:
		return offer(abcitypes.ResponseOfferSnapshot_REJECT), nil
	case s.Format != kvSnapshotFormat:
		return offer(abcitypes.ResponseOfferSnapshot_REJECT_FORMAT), nil
	case s.Height == 0 || s.Chunks == 0 || s.Chunks > kvMaxChunks ||
		len(s.Metadata) != sha256.Size*int(s.Chunks) || len(s.Hash) != sha256.Size:
		return offer(abcitypes.ResponseOfferSnapshot_REJECT), nil
	}
	a.restoring = &kvRestore{snap: s}
	return offer(abcitypes.ResponseOfferSnapshot_ACCEPT), nil
}

func offer(r abcitypes.ResponseOfferSnapshot_Result) *abcitypes.ResponseOfferSnapshot {
	return &abcitypes.ResponseOfferSnapshot{Result: r}
}

func (a *snapshottingKVStore) ApplySnapshotChunk(_ context.Context, req *abcitypes.RequestApplySnapshotChunk) (*abcitypes.ResponseApplySnapshotChunk, error) {
	r := a.restoring
	if r == nil {
		return applied(abcitypes.ResponseApplySnapshotChunk_ABORT), nil
	}
	want := uint32(len(r.chunks))
	if req.Index != want {
		// Chunks are applied in order; ask for the one due.
		resp := applied(abcitypes.ResponseApplySnapshotChunk_RETRY)
		resp.RefetchChunks = []uint32{want}
		return resp, nil
	}
	sum := sha256.Sum256(req.Chunk)
	if !bytes.Equal(sum[:], r.snap.Metadata[sha256.Size*int(want):sha256.Size*int(want+1)]) {
		resp := applied(abcitypes.ResponseApplySnapshotChunk_RETRY)
		resp.RefetchChunks = []uint32{want}
		if req.Sender != "" {
			resp.RejectSenders = []string{req.Sender}
		}
		return resp, nil
	}
	r.chunks = append(r.chunks, req.Chunk)
	if uint32(len(r.chunks)) < r.snap.Chunks {
		return applied(abcitypes.ResponseApplySnapshotChunk_ACCEPT), nil
	}
	a.restoring = nil
	pairs, err := checkRestore(r)
	if err != nil {
		return applied(abcitypes.ResponseApplySnapshotChunk_REJECT_SNAPSHOT), nil
	}
	if err := replaceKV(a.db, pairs); err != nil {
		return nil, fmt.Errorf("kvstore: writing the restored snapshot of height %d: %w", r.snap.Height, err)
	}
	// The example app reads its state record only when it is built.
	a.Application = kvstore.NewApplication(a.db)
	return applied(abcitypes.ResponseApplySnapshotChunk_ACCEPT), nil
}

func applied(r abcitypes.ResponseApplySnapshotChunk_Result) *abcitypes.ResponseApplySnapshotChunk {
	return &abcitypes.ResponseApplySnapshotChunk{Result: r}
}

// checkRestore checks the whole stream of a restore and decodes it.
func checkRestore(r *kvRestore) ([]kvPair, error) {
	stream := bytes.Join(r.chunks, nil)
	if sum := sha256.Sum256(stream); !bytes.Equal(sum[:], r.snap.Hash) {
		return nil, fmt.Errorf("the chunks hash to %X, the snapshot says %X", sum, r.snap.Hash)
	}
	pairs, err := parseKV(stream)
	if err != nil {
		return nil, err
	}
	return pairs, checkStateRecord(pairs, r.snap.Height)
}
