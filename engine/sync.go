package engine

import (
	"fmt"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/types"
)

// syncWindow is how many blocks ahead of the chain block sync requests at
// once.
const syncWindow = 32

// syncer fetches decided blocks a node is missing from its peers: after a
// restart, when new, when the core asks (PBFT state transfer) and on a node
// that only follows. It runs on the driver goroutine.
type syncer struct {
	e     *Engine
	peers map[string]int64 // peer -> latest height it reported
	// bases are the lowest heights peers reported storing: a peer that
	// pruned its blocks (the app's retain_height) is not asked for
	// heights below its base.
	bases     map[string]int64
	requested map[int64]time.Time
	arrived   map[int64]syncedBlock
	wantTo    int64
	byID      map[consensus.ID]time.Time
	next      int // round-robin over peers
}

func newSyncer(e *Engine) *syncer {
	return &syncer{e: e, peers: map[string]int64{}, bases: map[string]int64{}, requested: map[int64]time.Time{},
		arrived: map[int64]syncedBlock{}, byID: map[consensus.ID]time.Time{}}
}

// poll asks every peer how far it is and requests what is missing.
func (s *syncer) poll() {
	if msg, err := wire.EncodeBlocksync(wire.StatusRequest{}); err == nil {
		s.e.p.Net.Broadcast(ChannelBlocksync, msg)
	}
	s.request()
}

// fetch is the core's FetchBlocks: it wants blocks up to to (0: the peers'
// latest).
func (s *syncer) fetch(from, to int64) {
	if to > s.wantTo {
		s.wantTo = to
	}
	s.poll()
}

func (s *syncer) status(ps peerStatus) {
	s.peers[ps.peer] = ps.height
	s.bases[ps.peer] = ps.base
	s.e.peerTop.Store(s.peerHeight())
	s.request()
}

// peerHeight is the highest height any peer reported.
func (s *syncer) peerHeight() int64 {
	var best int64
	for _, h := range s.peers {
		best = max(best, h)
	}
	return best
}

// request asks peers for the blocks above the chain that they have.
func (s *syncer) request() {
	have := s.e.state.LastBlockHeight
	top := min(s.peerHeight(), have+syncWindow)
	now := time.Now()
	for h := have + 1; h <= top; h++ {
		if t, ok := s.requested[h]; ok && now.Sub(t) < 2*time.Second {
			continue
		}
		if _, ok := s.arrived[h]; ok {
			continue
		}
		peer, ok := s.peerWith(h)
		if !ok {
			break
		}
		msg, err := wire.EncodeBlocksync(wire.BlockRequest{Height: h})
		if err != nil {
			return
		}
		if s.e.p.Net.Send(peer, ChannelBlocksync, msg) {
			s.requested[h] = now
		}
	}
	for h := range s.requested {
		if h <= have {
			delete(s.requested, h)
		}
	}
}

// peerWith picks, round-robin, a peer that has height h: at or below its
// latest and not pruned.
func (s *syncer) peerWith(h int64) (string, bool) {
	var candidates []string
	for p, top := range s.peers {
		if top >= h && s.bases[p] <= h {
			candidates = append(candidates, p)
		}
	}
	if len(candidates) == 0 {
		return "", false
	}
	s.next++
	return candidates[s.next%len(candidates)], true
}

// received keeps a fetched block until the chain reaches it.
func (s *syncer) received(sb syncedBlock) {
	h := sb.block.Height
	if h <= s.e.state.LastBlockHeight || h > s.e.state.LastBlockHeight+syncWindow {
		return
	}
	s.arrived[h] = sb
	s.advance()
}

// advance hands the core the next block if it arrived and its commit
// verifies against the validators of its height.
func (s *syncer) advance() {
	h := s.e.state.LastBlockHeight + 1
	sb, ok := s.arrived[h]
	if !ok {
		return
	}
	delete(s.arrived, h)
	delete(s.requested, h)
	id, err := wire.IDOf(sb.block, types.BlockPartSizeBytes)
	if err != nil || wire.EncodeID(sb.commit.BlockID) != id || sb.commit.Height != h {
		s.e.p.Net.Penalize(sb.peer, "block sync: block does not match its commit")
		return
	}
	if err := s.e.state.Validators.VerifyCommit(s.e.state.ChainID, sb.commit.BlockID, h, sb.commit); err != nil {
		s.e.p.Net.Penalize(sb.peer, "block sync: commit does not verify: "+err.Error())
		return
	}
	votes, err := s.syncedVotes(sb)
	if err != nil {
		s.e.p.Net.Penalize(sb.peer, "block sync: "+err.Error())
		return
	}
	s.e.blocks.add(id, sb.block)
	s.e.enqueue(consensus.Synced{Height: h, Value: id, Commit: votes})
}

// fetchByID asks peers for a proposed block the node is missing.
func (s *syncer) fetchByID(id consensus.ID) {
	if t, ok := s.byID[id]; ok && time.Since(t) < time.Second {
		return
	}
	if len(s.byID) > 1024 {
		clear(s.byID)
	}
	s.byID[id] = time.Now()
	if msg, err := wire.EncodeBlocksync(wire.BlockByIDRequest{ID: id}); err == nil {
		s.e.p.Net.Broadcast(ChannelBlocksync, msg)
	}
}

// catchingUp tells whether peers are more than a block ahead.
func (s *syncer) catchingUp() bool { return s.peerHeight() > s.e.state.LastBlockHeight+1 }

// syncedVotes are the precommits that decided a fetched block, for the
// core's Synced input. Where the chain enables vote extensions at the
// block's height and the peer sent its extended commit, they come from it,
// extensions included, with every signature checked as a peer's
// precommits are (the commit, then each extension signature): a node
// whose last block came by block sync then holds the extensions
// PrepareProposal needs to propose the next block.
func (s *syncer) syncedVotes(sb syncedBlock) ([]consensus.Vote, error) {
	if sb.ext == nil || !s.e.extensionsAt(sb.commit.Height) {
		return wire.VotesFromCommit(sb.commit)
	}
	ec, vals, chainID := sb.ext, s.e.state.Validators, s.e.state.ChainID
	if err := vals.VerifyCommit(chainID, ec.BlockID, ec.Height, ec.ToCommit()); err != nil {
		return nil, fmt.Errorf("extended commit does not verify: %w", err)
	}
	votes, err := wire.VotesFromExtendedCommit(ec)
	if err != nil {
		return nil, err
	}
	for i := range votes {
		v := &votes[i]
		if len(v.ExtensionSignature) == 0 {
			continue // left out of local_last_commit (withExtensionsOnly)
		}
		_, val := vals.GetByIndex(v.Validator)
		sb, err := wire.ExtensionSignBytes(chainID, v)
		if err != nil {
			return nil, err
		}
		if val == nil || !val.PubKey.VerifySignature(sb, v.ExtensionSignature) {
			return nil, fmt.Errorf("extended commit: the vote extension signature of validator %d does not verify", v.Validator)
		}
	}
	return votes, nil
}
