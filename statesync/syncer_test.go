package statesync

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/abci"
	"github.com/bftnode/bftnode/state"
	"github.com/bftnode/bftnode/wire"
)

// kvSource runs a built-in kvstore for blocks heights of txs transactions
// each, snapshotting every interval heights.
func kvSource(t *testing.T, blocks, txs int, interval int64) abcitypes.Application {
	t.Helper()
	app, closeApp, err := abci.NewKVStore("", interval, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeApp() })
	ctx := context.Background()
	for h := 1; h <= blocks; h++ {
		var list [][]byte
		for i := 0; i < txs; i++ {
			list = append(list, fmt.Appendf(nil, "k-%d-%d=%0300d", h, i, i))
		}
		if _, err := app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: int64(h), Txs: list}); err != nil {
			t.Fatal(err)
		}
		if _, err := app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
	}
	return app
}

// kvHash is the built-in kvstore's app hash after size transactions.
func kvHash(size int64) []byte {
	h := make([]byte, 8)
	binary.PutVarint(h, size)
	return h
}

// fakePeer serves the snapshots of src (only those listed in heights,
// all when nil), flipping a byte of every chunk when corrupt.
type fakePeer struct {
	src     abcitypes.Application
	heights map[uint64]bool
	corrupt bool
	pruned  map[uint64]bool // lists these snapshots but no longer serves their chunks
}

type fakeNet struct {
	mu        sync.Mutex
	peers     map[string]*fakePeer
	syncer    *Syncer
	penalized map[string]int
}

func (n *fakeNet) Broadcast(ch byte, msg []byte) {
	for id := range n.peers {
		n.Send(id, ch, msg)
	}
}

func (n *fakeNet) Send(peer string, _ byte, msg []byte) bool {
	p := n.peers[peer]
	m, err := wire.DecodeStatesync(msg)
	if p == nil || err != nil {
		return false
	}
	go p.answer(peer, m, n.syncer)
	return true
}

func (n *fakeNet) Penalize(peer, _ string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.penalized[peer]++
}

func (p *fakePeer) answer(id string, m wire.StatesyncMessage, s *Syncer) {
	ctx := context.Background()
	switch m := m.(type) {
	case wire.SnapshotsRequest:
		list, _ := p.src.ListSnapshots(ctx, &abcitypes.RequestListSnapshots{})
		for _, sn := range list.Snapshots {
			if p.heights != nil && !p.heights[sn.Height] {
				continue
			}
			bz, _ := wire.EncodeStatesync(wire.SnapshotsResponse{Height: sn.Height, Format: sn.Format, Chunks: sn.Chunks, Hash: sn.Hash, Metadata: sn.Metadata})
			s.Handle(id, bz)
		}
	case wire.ChunkRequest:
		c, _ := p.src.LoadSnapshotChunk(ctx, &abcitypes.RequestLoadSnapshotChunk{Height: m.Height, Format: m.Format, Chunk: m.Index})
		chunk := append([]byte(nil), c.Chunk...)
		if p.pruned[m.Height] {
			chunk = nil
		}
		if p.corrupt && len(chunk) > 0 {
			chunk[0] ^= 0xff
		}
		bz, _ := wire.EncodeStatesync(wire.ChunkResponse{Height: m.Height, Format: m.Format, Index: m.Index, Chunk: chunk, Missing: len(chunk) == 0})
		s.Handle(id, bz)
	}
}

// honestProvider says what the honest chain of txsPerBlock transactions
// per block verifies to.
type honestProvider struct{ txsPerBlock int64 }

func (p honestProvider) AppHash(_ context.Context, h uint64) ([]byte, error) {
	return kvHash(p.txsPerBlock * int64(h)), nil
}

func (p honestProvider) State(_ context.Context, h uint64) (state.State, error) {
	return state.State{LastBlockHeight: int64(h), AppHash: kvHash(p.txsPerBlock * int64(h))}, nil
}

func (p honestProvider) Commit(_ context.Context, h uint64) (*types.Commit, error) {
	return &types.Commit{Height: int64(h)}, nil
}

func newTestSyncer(t *testing.T, app RestoreApp, peers map[string]*fakePeer, provider StateProvider) (*Syncer, *fakeNet) {
	t.Helper()
	net := &fakeNet{peers: peers, penalized: map[string]int{}}
	s := NewSyncer(Config{DiscoveryTime: 50 * time.Millisecond, ChunkRequestTimeout: time.Second, ChunkFetchers: 3},
		app, net, provider, slog.New(slog.NewTextHandler(io.Discard, nil)))
	net.syncer = s
	return s, net
}

func newTarget(t *testing.T) abcitypes.Application {
	t.Helper()
	app, closeApp, err := abci.NewKVStore("", 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeApp() })
	return app
}

func runSyncer(t *testing.T, s *Syncer) (Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return s.Run(ctx)
}

func TestSyncerDropsPeersServingBadChunksOrAnotherState(t *testing.T) {
	const txs = 30
	honest := kvSource(t, 12, txs, 5) // snapshots at 5 and 10
	other := kvSource(t, 11, txs+1, 11)
	target := newTarget(t)
	peers := map[string]*fakePeer{
		"honest-a": {src: honest}, "honest-b": {src: honest},
		"corrupt": {src: honest, corrupt: true},
		"liar":    {src: other}, // height 11 beats the honest 10
	}
	s, net := newTestSyncer(t, target, peers, honestProvider{txsPerBlock: txs})
	res, err := runSyncer(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if res.State.LastBlockHeight != 10 || res.Commit.Height != 10 {
		t.Fatalf("restored height %d (commit %d), want the honest snapshot of 10", res.State.LastBlockHeight, res.Commit.Height)
	}
	info, _ := target.Info(context.Background(), &abcitypes.RequestInfo{})
	if info.LastBlockHeight != 10 || string(info.LastBlockAppHash) != string(kvHash(10*txs)) {
		t.Fatalf("the app reports height %d hash %X after the sync", info.LastBlockHeight, info.LastBlockAppHash)
	}
	c := s.Counters.Snapshot()
	if c["rejected_snapshots"] < 1 || c["banned_peers"] != 2 || c["rejected_chunks"] < 1 {
		t.Errorf("counters %v: want the liar's snapshot rejected, a chunk refetched and two peers dropped", c)
	}
	for _, bad := range []string{"liar", "corrupt"} {
		if net.penalized[bad] == 0 {
			t.Errorf("peer %s was not penalized", bad)
		}
	}
	for _, good := range []string{"honest-a", "honest-b"} {
		if net.penalized[good] != 0 {
			t.Errorf("honest peer %s was penalized", good)
		}
	}
}

// abortingApp aborts every offer.
type abortingApp struct{ abcitypes.Application }

func (abortingApp) OfferSnapshot(context.Context, *abcitypes.RequestOfferSnapshot) (*abcitypes.ResponseOfferSnapshot, error) {
	return &abcitypes.ResponseOfferSnapshot{Result: abcitypes.ResponseOfferSnapshot_ABORT}, nil
}

func TestSyncerStopsWhenTheAppAborts(t *testing.T) {
	honest := kvSource(t, 6, 5, 5)
	s, _ := newTestSyncer(t, abortingApp{newTarget(t)}, map[string]*fakePeer{"a": {src: honest}}, honestProvider{txsPerBlock: 5})
	if _, err := runSyncer(t, s); !errors.Is(err, ErrAborted) {
		t.Fatalf("Run = %v, want ErrAborted", err)
	}
}

// failingProvider cannot verify anything.
type failingProvider struct{ honestProvider }

func (failingProvider) AppHash(context.Context, uint64) ([]byte, error) {
	return nil, errors.New("no witness agrees")
}

func TestSyncerNeverOffersAnUnverifiedSnapshot(t *testing.T) {
	defer func(d time.Duration) { verifyPause = d }(verifyPause)
	verifyPause = 10 * time.Millisecond
	honest := kvSource(t, 6, 5, 5)
	target := newTarget(t)
	s, _ := newTestSyncer(t, target, map[string]*fakePeer{"a": {src: honest}}, failingProvider{})
	ctx, cancel := context.WithTimeout(context.Background(), verifyAttempts*verifyPause+3*time.Second)
	defer cancel()
	if _, err := s.Run(ctx); err == nil {
		t.Fatal("Run succeeded without a verified height")
	}
	if s.Counters.RejectedSnapshots.Load() != 1 {
		t.Errorf("rejected %d snapshots, want the only one", s.Counters.RejectedSnapshots.Load())
	}
	if info, _ := target.Info(ctx, &abcitypes.RequestInfo{}); info.LastBlockHeight != 0 {
		t.Fatalf("the app was restored to height %d from an unverified snapshot", info.LastBlockHeight)
	}
}

func TestSyncerCountsBadMessages(t *testing.T) {
	s, net := newTestSyncer(t, newTarget(t), map[string]*fakePeer{}, honestProvider{})
	s.Handle("x", []byte{0xff, 0x01})
	bz, _ := wire.EncodeStatesync(wire.ChunkResponse{Height: 3, Index: 1, Chunk: []byte("unasked")})
	s.Handle("y", bz)
	if s.Counters.BadMessages.Load() != 1 || net.penalized["x"] != 1 {
		t.Errorf("garbage: %d bad messages, peer penalized %d times", s.Counters.BadMessages.Load(), net.penalized["x"])
	}
	if s.Counters.UnsolicitedChunks.Load() != 1 {
		t.Errorf("%d unsolicited chunks counted, want 1", s.Counters.UnsolicitedChunks.Load())
	}
}

// senderRejectingApp refuses the senders of the first snapshot offered
// and answers RETRY_SNAPSHOT to the first chunk of the next one.
type senderRejectingApp struct {
	abcitypes.Application
	offers, chunks int
}

func (a *senderRejectingApp) OfferSnapshot(ctx context.Context, req *abcitypes.RequestOfferSnapshot) (*abcitypes.ResponseOfferSnapshot, error) {
	if a.offers++; a.offers == 1 {
		return &abcitypes.ResponseOfferSnapshot{Result: abcitypes.ResponseOfferSnapshot_REJECT_SENDER}, nil
	}
	return a.Application.OfferSnapshot(ctx, req)
}

func (a *senderRejectingApp) ApplySnapshotChunk(ctx context.Context, req *abcitypes.RequestApplySnapshotChunk) (*abcitypes.ResponseApplySnapshotChunk, error) {
	if a.chunks++; a.chunks == 1 {
		return &abcitypes.ResponseApplySnapshotChunk{Result: abcitypes.ResponseApplySnapshotChunk_RETRY_SNAPSHOT}, nil
	}
	return a.Application.ApplySnapshotChunk(ctx, req)
}

func TestSyncerHonoursRejectSenderAndRetrySnapshot(t *testing.T) {
	const txs = 20
	honest := kvSource(t, 12, txs, 5)
	app := &senderRejectingApp{Application: newTarget(t)}
	peers := map[string]*fakePeer{
		"high": {src: honest, heights: map[uint64]bool{10: true}}, // the first offered
		"low":  {src: honest, heights: map[uint64]bool{5: true}},
	}
	s, net := newTestSyncer(t, app, peers, honestProvider{txsPerBlock: txs})
	res, err := runSyncer(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if res.State.LastBlockHeight != 5 {
		t.Fatalf("restored height %d; the only sender of 10 was refused, so want 5", res.State.LastBlockHeight)
	}
	if app.offers != 3 {
		t.Errorf("%d offers, want 3: 10 (senders refused), 5, and 5 again after RETRY_SNAPSHOT", app.offers)
	}
	if net.penalized["high"] != 1 || net.penalized["low"] != 0 {
		t.Errorf("penalties %v: want only the refused sender's", net.penalized)
	}
}

// oneRestoreApp, like CometBFT's e2e app, cannot take a second snapshot
// offer while it restores one.
type oneRestoreApp struct {
	abcitypes.Application
	offers    int
	restoring bool
}

func (a *oneRestoreApp) OfferSnapshot(ctx context.Context, req *abcitypes.RequestOfferSnapshot) (*abcitypes.ResponseOfferSnapshot, error) {
	if a.offers++; a.restoring {
		return nil, errors.New("a snapshot is already being restored")
	}
	a.restoring = true
	return a.Application.OfferSnapshot(ctx, req)
}

func TestSyncerOffersOnlySnapshotsItCanFetch(t *testing.T) {
	const txs = 10
	src := kvSource(t, 12, txs, 5) // snapshots at 5 and 10
	app := &oneRestoreApp{Application: newTarget(t)}
	peers := map[string]*fakePeer{"a": {src: src, pruned: map[uint64]bool{10: true}}, "b": {src: src, pruned: map[uint64]bool{10: true}}}
	s, _ := newTestSyncer(t, app, peers, honestProvider{txsPerBlock: txs})
	res, err := runSyncer(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if res.State.LastBlockHeight != 5 || app.offers != 1 {
		t.Fatalf("restored height %d after %d offers; want the snapshot of height 5, the only one offered (its peers pruned the one of height 10)", res.State.LastBlockHeight, app.offers)
	}
}
