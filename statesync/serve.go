package statesync

import (
	"context"
	"log/slog"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/bftnode/bftnode/p2p"
	"github.com/bftnode/bftnode/wire"
)

// SnapshotApp is the part of the app's snapshot connection a Server reads.
type SnapshotApp interface {
	ListSnapshots(ctx context.Context) (*abcitypes.ResponseListSnapshots, error)
	LoadSnapshotChunk(ctx context.Context, req *abcitypes.RequestLoadSnapshotChunk) (*abcitypes.ResponseLoadSnapshotChunk, error)
}

// Network is what state sync needs of the p2p host.
type Network interface {
	Send(peer string, ch byte, msg []byte) bool
	Broadcast(ch byte, msg []byte)
	Penalize(peer, reason string)
}

// maxSnapshotsServed is how many of its latest snapshots a node lists to
// a peer, as CometBFT's recentSnapshots.
const maxSnapshotsServed = 10

// appCallTimeout bounds one app call made for a peer.
const appCallTimeout = 10 * time.Second

// Server answers peers' snapshot and chunk requests from the app. At most
// a few requests are served at once; more are dropped (peers ask again).
type Server struct {
	app  SnapshotApp
	net  Network
	log  *slog.Logger
	busy chan struct{}
	// forge lets a Byzantine build serve altered snapshots; nil otherwise.
	forge forger
}

// NewServer serves app's snapshots over net.
func NewServer(app SnapshotApp, net Network, logger *slog.Logger) *Server {
	return &Server{app: app, net: net, log: logger, busy: make(chan struct{}, 4), forge: newForger()}
}

// Handle takes a message from peer on the snapshot or chunk channel. It
// does not block the caller: the app is asked on another goroutine.
func (s *Server) Handle(peer string, msg []byte) {
	m, err := wire.DecodeStatesync(msg)
	if err != nil {
		s.net.Penalize(peer, err.Error())
		return
	}
	switch m.(type) {
	case wire.SnapshotsRequest, wire.ChunkRequest:
	default:
		return // responses are the syncer's; a serving node has none waiting
	}
	select {
	case s.busy <- struct{}{}:
	default:
		return
	}
	go func() {
		defer func() { <-s.busy }()
		ctx, cancel := context.WithTimeout(context.Background(), appCallTimeout)
		defer cancel()
		switch m := m.(type) {
		case wire.SnapshotsRequest:
			s.listSnapshots(ctx, peer)
		case wire.ChunkRequest:
			s.loadChunk(ctx, peer, m)
		}
	}()
}

func (s *Server) listSnapshots(ctx context.Context, peer string) {
	resp, err := s.app.ListSnapshots(ctx)
	if err != nil {
		s.log.Warn("listing the app's snapshots for a peer", "peer", peer, "err", err)
		return
	}
	snaps := resp.Snapshots
	if s.forge != nil {
		snaps = s.forge.list(ctx, s.app, snaps)
	}
	// The latest ones, highest first.
	for i := len(snaps) - 1; i >= 0 && i >= len(snaps)-maxSnapshotsServed; i-- {
		sn := snaps[i]
		if sn == nil {
			continue
		}
		bz, err := wire.EncodeStatesync(wire.SnapshotsResponse{Height: sn.Height, Format: sn.Format, Chunks: sn.Chunks, Hash: sn.Hash, Metadata: sn.Metadata})
		if err != nil {
			s.log.Warn("the app lists a snapshot the wire cannot carry; not served", "height", sn.Height, "err", err)
			continue
		}
		s.net.Send(peer, p2p.ChannelSnapshot, bz)
	}
}

func (s *Server) loadChunk(ctx context.Context, peer string, req wire.ChunkRequest) {
	var chunk []byte
	if s.forge != nil && s.forge.serves(req.Height, req.Format) {
		chunk = s.forge.chunk(ctx, s.app, req.Height, req.Format, req.Index)
	} else {
		resp, err := s.app.LoadSnapshotChunk(ctx, &abcitypes.RequestLoadSnapshotChunk{Height: req.Height, Format: req.Format, Chunk: req.Index})
		if err != nil {
			s.log.Warn("loading a snapshot chunk for a peer", "peer", peer, "height", req.Height, "chunk", req.Index, "err", err)
			return
		}
		chunk = resp.Chunk
	}
	out := wire.ChunkResponse{Height: req.Height, Format: req.Format, Index: req.Index, Chunk: chunk, Missing: len(chunk) == 0}
	bz, err := wire.EncodeStatesync(out)
	if err != nil {
		s.log.Warn("a snapshot chunk the wire cannot carry; not served", "height", req.Height, "chunk", req.Index, "err", err)
		return
	}
	s.net.Send(peer, p2p.ChannelChunk, bz)
}

// forger alters the snapshots a Byzantine node serves (build tag
// byzantine); honest builds have none.
type forger interface {
	list(ctx context.Context, app SnapshotApp, snaps []*abcitypes.Snapshot) []*abcitypes.Snapshot
	serves(height uint64, format uint32) bool
	chunk(ctx context.Context, app SnapshotApp, height uint64, format uint32, index uint32) []byte
}
