package statesync

import (
	"bytes"
	"sort"
	"sync"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/bftnode/bftnode/wire"
)

// snapshotKey names a snapshot: peers serving the same height, format and
// hash serve the same snapshot.
type snapshotKey struct {
	height uint64
	format uint32
	hash   string
}

func keyOf(s *abcitypes.Snapshot) snapshotKey {
	return snapshotKey{height: s.Height, format: s.Format, hash: string(s.Hash)}
}

// candidate is a snapshot some peers said they serve.
type candidate struct {
	snap  *abcitypes.Snapshot
	peers map[string]bool
}

// maxSnapshotsPerPeer bounds what one peer can add to the pool.
const maxSnapshotsPerPeer = 10

// pool holds the snapshots peers offered and what was refused. Safe for
// concurrent use.
type pool struct {
	mu         sync.Mutex
	candidates map[snapshotKey]*candidate
	perPeer    map[string]int
	rejected   map[snapshotKey]bool
	formats    map[uint32]bool // formats the app rejected
	banned     map[string]bool // peers no longer used as sources
}

func newPool() *pool {
	return &pool{candidates: map[snapshotKey]*candidate{}, perPeer: map[string]int{},
		rejected: map[snapshotKey]bool{}, formats: map[uint32]bool{}, banned: map[string]bool{}}
}

// add records that peer serves the snapshot m.
func (p *pool) add(peer string, m wire.SnapshotsResponse) {
	s := &abcitypes.Snapshot{Height: m.Height, Format: m.Format, Chunks: m.Chunks,
		Hash: bytes.Clone(m.Hash), Metadata: bytes.Clone(m.Metadata)}
	k := keyOf(s)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.banned[peer] || p.rejected[k] || p.formats[k.format] {
		return
	}
	c := p.candidates[k]
	if c == nil {
		if p.perPeer[peer] >= maxSnapshotsPerPeer {
			return
		}
		c = &candidate{snap: s, peers: map[string]bool{}}
		p.candidates[k] = c
	}
	if !c.peers[peer] {
		c.peers[peer] = true
		p.perPeer[peer]++
	}
}

// best is the highest snapshot not refused that some usable peer serves,
// the one most peers serve among equals; nil if none.
func (p *pool) best() *abcitypes.Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	var list []*candidate
	for k, c := range p.candidates {
		if !p.rejected[k] && !p.formats[k.format] && len(p.usable(c)) > 0 {
			list = append(list, c)
		}
	}
	if len(list) == 0 {
		return nil
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.snap.Height != b.snap.Height {
			return a.snap.Height > b.snap.Height
		}
		if len(a.peers) != len(b.peers) {
			return len(a.peers) > len(b.peers)
		}
		return a.snap.Format > b.snap.Format
	})
	return list[0].snap
}

func (p *pool) usable(c *candidate) []string {
	var out []string
	for peer := range c.peers {
		if !p.banned[peer] {
			out = append(out, peer)
		}
	}
	sort.Strings(out)
	return out
}

// peers lists the usable peers serving the snapshot.
func (p *pool) peers(s *abcitypes.Snapshot) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.candidates[keyOf(s)]
	if c == nil {
		return nil
	}
	return p.usable(c)
}

func (p *pool) reject(s *abcitypes.Snapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rejected[keyOf(s)] = true
}

func (p *pool) rejectFormat(format uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.formats[format] = true
}

// ban stops using peer as a snapshot source; it says whether the peer was
// in use until now.
func (p *pool) ban(peer string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	was := !p.banned[peer]
	p.banned[peer] = true
	return was
}

// removePeer forgets a peer that disconnected.
func (p *pool) removePeer(peer string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.candidates {
		delete(c.peers, peer)
	}
	delete(p.perPeer, peer)
}
