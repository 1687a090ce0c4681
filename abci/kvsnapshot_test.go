package abci

import (
	"context"
	"fmt"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// kvChain runs blocks of txs through app, committing each, and returns
// the app's Info after the last one.
func kvChain(t *testing.T, app abcitypes.Application, blocks, txsPerBlock int) *abcitypes.ResponseInfo {
	t.Helper()
	ctx := context.Background()
	if _, err := app.InitChain(ctx, &abcitypes.RequestInitChain{}); err != nil {
		t.Fatal(err)
	}
	for h := 1; h <= blocks; h++ {
		var txs [][]byte
		for i := 0; i < txsPerBlock; i++ {
			txs = append(txs, fmt.Appendf(nil, "key-%d-%d=value-%d-%d-%0200d", h, i, h, i, 0))
		}
		if _, err := app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: int64(h), Txs: txs}); err != nil {
			t.Fatal(err)
		}
		if _, err := app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
	}
	info, err := app.Info(ctx, &abcitypes.RequestInfo{})
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func newTestKVStore(t *testing.T, dir string, interval int64) *snapshottingKVStore {
	t.Helper()
	app, closeApp, err := NewKVStore(dir, interval, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeApp() })
	return app.(*snapshottingKVStore)
}

// restoreFrom offers src's latest snapshot to dst and applies its chunks,
// passing each through tamper; it returns the last chunk's result.
func restoreFrom(t *testing.T, src, dst *snapshottingKVStore, tamper func(i uint32, chunk []byte) []byte) abcitypes.ResponseApplySnapshotChunk_Result {
	t.Helper()
	ctx := context.Background()
	list, _ := src.ListSnapshots(ctx, nil)
	snap := list.Snapshots[len(list.Snapshots)-1]
	if r, _ := dst.OfferSnapshot(ctx, &abcitypes.RequestOfferSnapshot{Snapshot: snap}); r.Result != abcitypes.ResponseOfferSnapshot_ACCEPT {
		t.Fatalf("offer: %v", r.Result)
	}
	var last abcitypes.ResponseApplySnapshotChunk_Result
	for i := uint32(0); i < snap.Chunks; i++ {
		c, err := src.LoadSnapshotChunk(ctx, &abcitypes.RequestLoadSnapshotChunk{Height: snap.Height, Format: snap.Format, Chunk: i})
		if err != nil || len(c.Chunk) == 0 {
			t.Fatalf("chunk %d: %v", i, err)
		}
		r, err := dst.ApplySnapshotChunk(ctx, &abcitypes.RequestApplySnapshotChunk{Index: i, Chunk: tamper(i, c.Chunk), Sender: "peer"})
		if err != nil {
			t.Fatal(err)
		}
		last = r.Result
		if last != abcitypes.ResponseApplySnapshotChunk_ACCEPT {
			if last == abcitypes.ResponseApplySnapshotChunk_RETRY && (len(r.RejectSenders) != 1 || len(r.RefetchChunks) != 1 || r.RefetchChunks[0] != i) {
				t.Fatalf("a bad chunk %d gave RETRY without refetching it and rejecting its sender: %+v", i, r)
			}
			return last
		}
	}
	return last
}

func TestKVStoreSnapshotRestoresTheSameState(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		src := newTestKVStore(t, dir, 5)
		want := kvChain(t, src, 12, 40)
		list, _ := src.ListSnapshots(context.Background(), nil)
		if len(list.Snapshots) != 2 || list.Snapshots[0].Height != 5 || list.Snapshots[1].Height != 10 {
			t.Fatalf("snapshots %v, want heights 5 and 10 (interval 5, keep 2)", list.Snapshots)
		}
		if list.Snapshots[1].Chunks < 3 {
			t.Fatalf("the snapshot has %d chunks; the test wants several", list.Snapshots[1].Chunks)
		}
		// Snapshots keep the chunk size they were cut at.
		defer func(size int) { kvChunkSize = size }(kvChunkSize)
		kvChunkSize = 1000
		dst := newTestKVStore(t, "", 0)
		if r := restoreFrom(t, src, dst, func(_ uint32, c []byte) []byte { return c }); r != abcitypes.ResponseApplySnapshotChunk_ACCEPT {
			t.Fatalf("restore: %v", r)
		}
		got, _ := dst.Info(context.Background(), &abcitypes.RequestInfo{})
		if got.LastBlockHeight != 10 || want.LastBlockHeight != 12 {
			t.Fatalf("restored height %d, want 10", got.LastBlockHeight)
		}
		q, _ := dst.Query(context.Background(), &abcitypes.RequestQuery{Data: []byte("key-10-39")})
		if len(q.Value) == 0 {
			t.Fatal("a key of block 10 is missing after the restore")
		}
		q, _ = dst.Query(context.Background(), &abcitypes.RequestQuery{Data: []byte("key-11-0")})
		if len(q.Value) != 0 {
			t.Fatal("a key of block 11 is present in the snapshot of height 10")
		}
	}
}

func TestKVStoreRefusesBadChunks(t *testing.T) {
	src := newTestKVStore(t, t.TempDir(), 5)
	kvChain(t, src, 10, 40)
	dst := newTestKVStore(t, t.TempDir(), 0)
	flip := func(i uint32, c []byte) []byte {
		if i != 1 {
			return c
		}
		bad := append([]byte(nil), c...)
		bad[0] ^= 1
		return bad
	}
	if r := restoreFrom(t, src, dst, flip); r != abcitypes.ResponseApplySnapshotChunk_RETRY {
		t.Fatalf("a chunk that does not match the metadata gave %v, want RETRY", r)
	}
	info, _ := dst.Info(context.Background(), &abcitypes.RequestInfo{})
	if info.LastBlockHeight != 0 {
		t.Fatalf("a failed restore left the app at height %d", info.LastBlockHeight)
	}
	// A snapshot whose metadata matches its forged chunks but not its hash.
	ctx := context.Background()
	list, _ := src.ListSnapshots(ctx, nil)
	snap := list.Snapshots[1]
	snap.Hash[0] ^= 1
	if r, _ := dst.OfferSnapshot(ctx, &abcitypes.RequestOfferSnapshot{Snapshot: snap}); r.Result != abcitypes.ResponseOfferSnapshot_ACCEPT {
		t.Fatal(r.Result)
	}
	var last abcitypes.ResponseApplySnapshotChunk_Result
	for i := uint32(0); i < snap.Chunks; i++ {
		c, _ := src.LoadSnapshotChunk(ctx, &abcitypes.RequestLoadSnapshotChunk{Height: snap.Height, Format: 1, Chunk: i})
		r, _ := dst.ApplySnapshotChunk(ctx, &abcitypes.RequestApplySnapshotChunk{Index: i, Chunk: c.Chunk})
		last = r.Result
	}
	if last != abcitypes.ResponseApplySnapshotChunk_REJECT_SNAPSHOT {
		t.Fatalf("a stream not matching the snapshot hash gave %v, want REJECT_SNAPSHOT", last)
	}
	if info, _ := dst.Info(ctx, &abcitypes.RequestInfo{}); info.LastBlockHeight != 0 {
		t.Fatalf("a rejected snapshot left the app at height %d", info.LastBlockHeight)
	}
	for _, bad := range []*abcitypes.Snapshot{
		{Height: 5, Format: 2, Chunks: 1, Hash: make([]byte, 32), Metadata: make([]byte, 32)},
		{Height: 5, Format: 1, Chunks: 2, Hash: make([]byte, 32), Metadata: make([]byte, 32)},
		{Height: 0, Format: 1, Chunks: 1, Hash: make([]byte, 32), Metadata: make([]byte, 32)},
	} {
		if r, _ := dst.OfferSnapshot(ctx, &abcitypes.RequestOfferSnapshot{Snapshot: bad}); r.Result == abcitypes.ResponseOfferSnapshot_ACCEPT {
			t.Errorf("offer of %+v accepted", bad)
		}
	}
}

func TestKVStoreSnapshotsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	app, closeApp, err := NewKVStore(dir, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	kvChain(t, app, 7, 5)
	_ = closeApp()
	reopened := newTestKVStore(t, dir, 3)
	list, _ := reopened.ListSnapshots(context.Background(), nil)
	if len(list.Snapshots) != 2 || list.Snapshots[1].Height != 6 {
		t.Fatalf("after a restart the app lists %v, want heights 3 and 6", list.Snapshots)
	}
}
