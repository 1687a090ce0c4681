package statesync

import (
	"context"
	"fmt"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/bftnode/bftnode/internal/failpoint"
	"github.com/bftnode/bftnode/p2p"
	"github.com/bftnode/bftnode/wire"
)

// maxChunkRetries bounds how often one chunk may be applied again before
// its snapshot is given up.
const maxChunkRetries = 5

// fetched is a chunk a peer sent, or why none could be had.
type fetched struct {
	index  uint32
	chunk  []byte
	sender string
	err    error
}

// applyChunks fetches the snapshot's chunks (but first, fetched already)
// from its peers, up to
// chunk_fetchers at once and a window ahead of the one due, and applies
// them in order, acting on each answer as ABCI says: RETRY applies the
// chunk again (after fetching anew those the app names), RejectSenders
// drops peers as sources, RETRY_SNAPSHOT and REJECT_SNAPSHOT end this
// snapshot, ABORT ends state sync.
func (s *Syncer) applyChunks(ctx context.Context, snap *abcitypes.Snapshot, first fetched) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fetchers := s.cfg.ChunkFetchers
	window := uint32(max(4*fetchers, 16))
	results := make(chan fetched, fetchers)
	have := map[uint32]fetched{first.index: first}
	inflight := map[uint32]bool{}
	retries := map[uint32]int{}
	next := uint32(0)
	for next < snap.Chunks {
		for i := next; i < snap.Chunks && i < next+window && len(inflight) < fetchers; i++ {
			if _, ok := have[i]; !ok && !inflight[i] {
				inflight[i] = true
				go s.fetch(ctx, snap, i, results)
			}
		}
		f, ok := have[next]
		if !ok {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case r := <-results:
				delete(inflight, r.index)
				if r.err != nil {
					return r.err
				}
				have[r.index] = r
			}
			continue
		}
		resp, err := s.app.ApplySnapshotChunk(ctx, &abcitypes.RequestApplySnapshotChunk{Index: next, Chunk: f.chunk, Sender: f.sender})
		if err != nil {
			return fmt.Errorf("applying chunk %d of the snapshot of height %d: %w", next, snap.Height, err)
		}
		for _, p := range resp.RejectSenders {
			s.banPeer(p, "the application rejected a snapshot chunk it sent")
		}
		for _, i := range resp.RefetchChunks {
			if i < snap.Chunks {
				delete(have, i)
				s.Counters.RejectedChunks.Add(1)
				next = min(next, i)
			}
		}
		switch resp.Result {
		case abcitypes.ResponseApplySnapshotChunk_ACCEPT:
			failpoint.Hit(failpoint.StateSyncChunkApplied)
			delete(have, next)
			next++
		case abcitypes.ResponseApplySnapshotChunk_RETRY:
			if retries[next]++; retries[next] > maxChunkRetries {
				return fmt.Errorf("%w: chunk %d failed %d times", errRejectSnapshot, next, retries[next])
			}
		case abcitypes.ResponseApplySnapshotChunk_RETRY_SNAPSHOT:
			return errRetrySnapshot
		case abcitypes.ResponseApplySnapshotChunk_REJECT_SNAPSHOT:
			return fmt.Errorf("%w by the application at chunk %d", errRejectSnapshot, next)
		case abcitypes.ResponseApplySnapshotChunk_ABORT:
			return fmt.Errorf("%w at chunk %d of the snapshot of height %d; check the application's log", ErrAborted, next, snap.Height)
		default:
			return fmt.Errorf("the application answered chunk %d with unknown result %v; it does not follow ABCI", next, resp.Result)
		}
	}
	return nil
}

// fetchNow fetches chunk index and waits for it.
func (s *Syncer) fetchNow(ctx context.Context, snap *abcitypes.Snapshot, index uint32) (fetched, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan fetched, 1)
	go s.fetch(ctx, snap, index, results)
	select {
	case <-ctx.Done():
		return fetched{}, ctx.Err()
	case f := <-results:
		return f, f.err
	}
}

// fetch gets chunk index from the snapshot's peers in turn, moving on
// when one times out or says it lacks the chunk, and hands the result
// over. When no peer serves the snapshot any longer, or all of them
// lacked the chunk a few times over, the snapshot is given up.
func (s *Syncer) fetch(ctx context.Context, snap *abcitypes.Snapshot, index uint32, results chan<- fetched) {
	give := func(f fetched) {
		select {
		case results <- f:
		case <-ctx.Done():
		}
	}
	req, err := wire.EncodeStatesync(wire.ChunkRequest{Height: snap.Height, Format: snap.Format, Index: index})
	if err != nil {
		give(fetched{index: index, err: err})
		return
	}
	missing := 0
	for attempt := 0; ctx.Err() == nil; attempt++ {
		peers := s.pool.peers(snap)
		if len(peers) == 0 || missing >= 3*len(peers) {
			give(fetched{index: index, err: fmt.Errorf("%w: no peer serves chunk %d of it any longer", errRejectSnapshot, index)})
			return
		}
		peer := peers[(int(index)+attempt)%len(peers)]
		k := chunkKey{peer: peer, height: snap.Height, format: snap.Format, index: index}
		ch := s.chunks.expect(k)
		if !s.net.Send(peer, p2p.ChannelChunk, req) {
			s.chunks.forget(k)
			sleep(ctx, 100*time.Millisecond) // the peer's queue is full or it left
			continue
		}
		timer := time.NewTimer(s.cfg.ChunkRequestTimeout)
		select {
		case <-ctx.Done():
			timer.Stop()
			s.chunks.forget(k)
			return
		case <-timer.C:
			s.chunks.forget(k)
			s.log.Debug("chunk request timed out; asking another peer", "peer", peer, "chunk", index)
		case m := <-ch:
			timer.Stop()
			if m.Missing || len(m.Chunk) == 0 {
				missing++
				continue
			}
			give(fetched{index: index, chunk: m.Chunk, sender: peer})
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
