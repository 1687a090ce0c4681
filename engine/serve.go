package engine

import (
	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/types"
)

// byIDRequest is a peer asking for a proposed block; the driver answers
// from its cache of proposals.
type byIDRequest struct {
	peer string
	id   consensus.ID
}

// HandleBlocksync takes a message from the block sync channel. Requests
// for decided blocks are answered here from the store; the rest goes to the
// driver.
func (e *Engine) HandleBlocksync(peer string, b []byte) {
	m, err := wire.DecodeBlocksync(b)
	if err != nil {
		counters.badMessages.Add(1)
		e.p.Net.Penalize(peer, "block sync message: "+err.Error())
		return
	}
	switch m := m.(type) {
	case wire.StatusRequest:
		e.reply(peer, wire.StatusResponse{Base: e.p.Blocks.Base(), Height: e.p.Blocks.Height()})
	case wire.StatusResponse:
		e.post(peerStatus{peer: peer, base: m.Base, height: m.Height})
	case wire.BlockRequest:
		e.reply(peer, e.storedBlock(m.Height))
	case wire.BlockResponse:
		e.post(syncedBlock{peer: peer, block: m.Block, commit: m.Commit, ext: m.ExtCommit})
	case wire.NoBlockResponse:
	case wire.BlockByIDRequest:
		e.post(byIDRequest{peer: peer, id: m.ID})
	case wire.BlockByIDResponse:
		e.post(blockFetched{id: m.ID, block: m.Block})
	}
}

func (e *Engine) reply(peer string, m wire.BlocksyncMessage) {
	if b, err := wire.EncodeBlocksync(m); err == nil {
		e.p.Net.Send(peer, ChannelBlocksync, b)
	}
}

// storedBlock is the answer to a block request: the block with the commit
// that decided it (the canonical one if the next block is stored, else the
// commit this node saw), and the extended commit this node kept when its
// precommits carry vote extensions.
func (e *Engine) storedBlock(h int64) wire.BlocksyncMessage {
	block, err := e.p.Blocks.LoadBlock(h)
	if err != nil || block == nil {
		return wire.NoBlockResponse{Height: h}
	}
	commit, err := e.p.Blocks.LoadBlockCommit(h)
	if err != nil || commit == nil {
		if commit, err = e.p.Blocks.LoadSeenCommit(h); err != nil || commit == nil {
			return wire.NoBlockResponse{Height: h}
		}
	}
	return wire.BlockResponse{Block: block, Commit: commit, ExtCommit: e.storedExtensions(h)}
}

// storedExtensions is the extended commit kept for height when it carries
// vote extensions; nil otherwise (the plain commit says everything).
func (e *Engine) storedExtensions(h int64) *types.ExtendedCommit {
	ec, err := e.p.Blocks.LoadExtendedCommit(h)
	if err != nil || ec == nil {
		return nil
	}
	for _, s := range ec.ExtendedSignatures {
		if len(s.ExtensionSignature) > 0 {
			return ec
		}
	}
	return nil
}

// answerByID runs on the driver: proposals live in its cache, decided
// blocks in the store.
func (e *Engine) answerByID(r byIDRequest) {
	block := e.blocks.get(r.id)
	if block == nil {
		bid, err := wire.DecodeID(r.id)
		if err != nil {
			return
		}
		if block, err = e.p.Blocks.LoadBlockByHash(bid.Hash); err != nil || block == nil {
			return
		}
	}
	e.reply(r.peer, wire.BlockByIDResponse{ID: r.id, Block: block})
}
