package statesync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/p2p"
	"github.com/bftnode/bftnode/state"
	"github.com/bftnode/bftnode/wire"
)

// RestoreApp is the part of the app state sync restores through: the
// snapshot connection's Offer and Apply calls and the query connection's
// Info.
type RestoreApp interface {
	OfferSnapshot(ctx context.Context, req *abcitypes.RequestOfferSnapshot) (*abcitypes.ResponseOfferSnapshot, error)
	ApplySnapshotChunk(ctx context.Context, req *abcitypes.RequestApplySnapshotChunk) (*abcitypes.ResponseApplySnapshotChunk, error)
	Info(ctx context.Context, req *abcitypes.RequestInfo) (*abcitypes.ResponseInfo, error)
}

// Config tunes a Syncer: [statesync]'s keys.
type Config struct {
	DiscoveryTime       time.Duration
	ChunkRequestTimeout time.Duration
	ChunkFetchers       int
}

// Result is what a successful state sync restored: the chain state after
// the snapshot's height and the commit that decided that height.
type Result struct {
	State  state.State
	Commit *types.Commit
}

// Syncer restores the app from a peer's snapshot. Handle is called from
// the p2p host's goroutines; Run from one.
type Syncer struct {
	cfg      Config
	app      RestoreApp
	net      Network
	provider StateProvider
	log      *slog.Logger
	pool     *pool
	chunks   *chunkWaits
	// Counters says what was dropped or refused.
	Counters *Counters
}

// NewSyncer prepares a state sync; nothing is sent until Run.
func NewSyncer(cfg Config, app RestoreApp, net Network, provider StateProvider, logger *slog.Logger) *Syncer {
	if cfg.ChunkFetchers < 1 {
		cfg.ChunkFetchers = 1
	}
	return &Syncer{cfg: cfg, app: app, net: net, provider: provider, log: logger,
		pool: newPool(), chunks: newChunkWaits(), Counters: &Counters{}}
}

// Handle takes a message from peer on the snapshot or chunk channel.
func (s *Syncer) Handle(peer string, msg []byte) {
	m, err := wire.DecodeStatesync(msg)
	if err != nil {
		s.Counters.BadMessages.Add(1)
		s.net.Penalize(peer, err.Error())
		return
	}
	switch m := m.(type) {
	case wire.SnapshotsResponse:
		s.pool.add(peer, m)
	case wire.ChunkResponse:
		if !s.chunks.deliver(peer, m) {
			s.Counters.UnsolicitedChunks.Add(1)
		}
	}
}

// PeerGone forgets a disconnected peer's snapshots.
func (s *Syncer) PeerGone(peer string) { s.pool.removePeer(peer) }

// Errors that decide what Run does next.
var (
	// errRejectSnapshot: try another snapshot.
	errRejectSnapshot = errors.New("snapshot rejected")
	// errRetrySnapshot: restore the same snapshot again from its start.
	errRetrySnapshot = errors.New("the app asked to restore the snapshot again")
	// ErrAborted: the app aborted state sync; the node cannot go on.
	ErrAborted = errors.New("the application aborted state sync")
)

// maxSnapshotRetries bounds how often one snapshot is restored again from
// its start at the app's request.
const maxSnapshotRetries = 3

// Run discovers snapshots until one restores and checks out, and returns
// the verified state and commit of its height. It ends only with ctx, a
// result, or an abort by the app.
func (s *Syncer) Run(ctx context.Context) (Result, error) {
	s.discover(ctx, s.cfg.DiscoveryTime)
	retries := map[snapshotKey]int{}
	for {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		snap := s.pool.best()
		if snap == nil {
			s.log.Info("no usable snapshot offered by peers yet; asking again", "counters", s.Counters.Snapshot())
			s.discover(ctx, s.cfg.DiscoveryTime)
			continue
		}
		s.log.Info("restoring a snapshot", "height", snap.Height, "format", snap.Format, "chunks", snap.Chunks,
			"hash", fmt.Sprintf("%X", snap.Hash), "peers", len(s.pool.peers(snap)))
		began := time.Now()
		res, err := s.restore(ctx, snap)
		switch {
		case err == nil:
			s.log.Info("snapshot restored and verified", "height", snap.Height, "chunks", snap.Chunks,
				"took", time.Since(began).Round(time.Millisecond), "app_hash", fmt.Sprintf("%X", res.State.AppHash),
				"counters", s.Counters.Snapshot())
			return res, nil
		case errors.Is(err, errRetrySnapshot) && retries[keyOf(snap)] < maxSnapshotRetries:
			retries[keyOf(snap)]++
			s.log.Warn("restoring the snapshot again", "height", snap.Height, "err", err)
		case errors.Is(err, errRejectSnapshot), errors.Is(err, errRetrySnapshot):
			s.Counters.RejectedSnapshots.Add(1)
			s.pool.reject(snap)
			s.log.Warn("snapshot rejected; trying another", "height", snap.Height, "err", err)
		case ctx.Err() != nil:
			return Result{}, ctx.Err()
		default:
			return Result{}, err
		}
	}
}

// discover asks every peer for its snapshots, again every few seconds (new
// peers connect meanwhile), for d.
func (s *Syncer) discover(ctx context.Context, d time.Duration) {
	req, _ := wire.EncodeStatesync(wire.SnapshotsRequest{})
	end := time.NewTimer(d)
	defer end.Stop()
	tick := time.NewTicker(max(d/4, 500*time.Millisecond))
	defer tick.Stop()
	s.net.Broadcast(p2p.ChannelSnapshot, req)
	for {
		select {
		case <-ctx.Done():
			return
		case <-end.C:
			return
		case <-tick.C:
			s.net.Broadcast(p2p.ChannelSnapshot, req)
		}
	}
}

// restore verifies, offers, fetches and applies one snapshot, then checks
// the app against the verified header.
func (s *Syncer) restore(ctx context.Context, snap *abcitypes.Snapshot) (Result, error) {
	var appHash []byte
	var st state.State
	var commit *types.Commit
	err := verifyPatiently(ctx, func() (err error) {
		if appHash, err = s.provider.AppHash(ctx, snap.Height); err != nil {
			return err
		}
		if st, err = s.provider.State(ctx, snap.Height); err != nil {
			return err
		}
		commit, err = s.provider.Commit(ctx, snap.Height)
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("%w: its height cannot be verified by the light client: %v", errRejectSnapshot, err)
	}
	// The first chunk is fetched before the offer: a snapshot its peers
	// pruned meanwhile is given up before the app began restoring it, and
	// so never leaves the app holding half a restore (apps such as
	// CometBFT's e2e app refuse a second offer while one is under way).
	first, err := s.fetchNow(ctx, snap, 0)
	if err != nil {
		return Result{}, err
	}
	if err := s.offer(ctx, snap, appHash); err != nil {
		return Result{}, err
	}
	if err := s.applyChunks(ctx, snap, first); err != nil {
		return Result{}, err
	}
	if err := s.checkApp(ctx, snap, appHash); err != nil {
		return Result{}, err
	}
	return Result{State: st, Commit: commit}, nil
}

// verifyAttempts and verifyPause bound the wait for a snapshot's height to
// become verifiable: a snapshot of one of the latest heights needs the
// headers of the two heights after it, which the chain may not have yet.
const verifyAttempts = 10

var verifyPause = time.Second

func verifyPatiently(ctx context.Context, verify func() error) error {
	var err error
	for i := 0; i < verifyAttempts; i++ {
		if err = verify(); err == nil || ctx.Err() != nil {
			return err
		}
		sleep(ctx, verifyPause)
	}
	return err
}

func (s *Syncer) offer(ctx context.Context, snap *abcitypes.Snapshot, appHash []byte) error {
	resp, err := s.app.OfferSnapshot(ctx, &abcitypes.RequestOfferSnapshot{Snapshot: snap, AppHash: appHash})
	if err != nil {
		return fmt.Errorf("offering the snapshot of height %d to the application: %w", snap.Height, err)
	}
	switch resp.Result {
	case abcitypes.ResponseOfferSnapshot_ACCEPT:
		return nil
	case abcitypes.ResponseOfferSnapshot_ABORT:
		return fmt.Errorf("%w when offered the snapshot of height %d; check the application's log", ErrAborted, snap.Height)
	case abcitypes.ResponseOfferSnapshot_REJECT_FORMAT:
		s.pool.rejectFormat(snap.Format)
		return fmt.Errorf("%w: the application does not restore format %d", errRejectSnapshot, snap.Format)
	case abcitypes.ResponseOfferSnapshot_REJECT_SENDER:
		for _, p := range s.pool.peers(snap) {
			s.banPeer(p, "served a snapshot the application refused its senders for")
		}
		return fmt.Errorf("%w: the application refused its senders", errRejectSnapshot)
	case abcitypes.ResponseOfferSnapshot_REJECT:
		return fmt.Errorf("%w by the application", errRejectSnapshot)
	}
	return fmt.Errorf("the application answered the snapshot offer with unknown result %v; it does not follow ABCI", resp.Result)
}

// checkApp compares what the restored app reports with the verified
// header. A mismatch means the peers served a snapshot of another state:
// they are dropped as sources and the snapshot rejected.
func (s *Syncer) checkApp(ctx context.Context, snap *abcitypes.Snapshot, appHash []byte) error {
	info, err := s.app.Info(ctx, &abcitypes.RequestInfo{})
	if err != nil {
		return fmt.Errorf("asking the application for its state after the restore: %w", err)
	}
	if info.LastBlockHeight == int64(snap.Height) && bytes.Equal(info.LastBlockAppHash, appHash) {
		return nil
	}
	for _, p := range s.pool.peers(snap) {
		s.banPeer(p, "served a snapshot whose restored app hash differs from the verified header's")
	}
	return fmt.Errorf("%w: after the restore the application reports height %d and app hash %X, the verified header of height %d says %X",
		errRejectSnapshot, info.LastBlockHeight, info.LastBlockAppHash, snap.Height, appHash)
}

func (s *Syncer) banPeer(peer, reason string) {
	if s.pool.ban(peer) {
		s.Counters.BannedPeers.Add(1)
		s.log.Warn("peer dropped as a snapshot source", "peer", peer, "reason", reason)
		s.net.Penalize(peer, reason)
	}
}

// chunkWaits routes chunk responses to the requests waiting for them.
type chunkWaits struct {
	mu      sync.Mutex
	waiting map[chunkKey]chan wire.ChunkResponse
}

type chunkKey struct {
	peer   string
	height uint64
	format uint32
	index  uint32
}

func newChunkWaits() *chunkWaits {
	return &chunkWaits{waiting: map[chunkKey]chan wire.ChunkResponse{}}
}

func (w *chunkWaits) expect(k chunkKey) chan wire.ChunkResponse {
	ch := make(chan wire.ChunkResponse, 1)
	w.mu.Lock()
	w.waiting[k] = ch
	w.mu.Unlock()
	return ch
}

func (w *chunkWaits) forget(k chunkKey) {
	w.mu.Lock()
	delete(w.waiting, k)
	w.mu.Unlock()
}

// deliver hands m to the request waiting for it from peer; false if none
// waits.
func (w *chunkWaits) deliver(peer string, m wire.ChunkResponse) bool {
	k := chunkKey{peer: peer, height: m.Height, format: m.Format, index: m.Index}
	w.mu.Lock()
	ch, ok := w.waiting[k]
	delete(w.waiting, k)
	w.mu.Unlock()
	if ok {
		ch <- m
	}
	return ok
}
