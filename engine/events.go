package engine

import (
	"context"
	"sync/atomic"

	"github.com/bftnode/bftnode/consensus"
	"github.com/cometbft/cometbft/types"
)

// event is something another goroutine tells the driver.
type event interface{}

// verifiedMessage is a peer's message whose signatures checked out.
type verifiedMessage struct {
	msg   consensus.Message
	block *types.Block
}

// timerFired is a timeout the core scheduled.
type timerFired struct {
	t consensus.Timeout
	// gen is the core generation that set it; a replaced core's timers
	// are dropped.
	gen int
}

// blockFetched is a block a peer sent for a block-by-ID request, checked
// to have that ID.
type blockFetched struct {
	id    consensus.ID
	block *types.Block
}

// syncedBlock is a decided block with its commit from block sync; the
// commit is verified by the driver, which knows the validator set.
type syncedBlock struct {
	peer   string
	block  *types.Block
	commit *types.Commit
	ext    *types.ExtendedCommit // the peer's extended commit, if it sent one
}

// peerStatus reports how far a peer's chain goes.
type peerStatus struct {
	peer         string
	base, height int64
}

// peerGone reports a peer that disconnected: its last height no longer
// says anything.
type peerGone struct{ peer string }

// PeerGone tells the engine that a peer disconnected. Until the peer
// reports again the node does not count on its height (a node cut off
// from everyone must not believe it is caught up when the links heal).
// It waits for room in the driver's queue: a lost report would leave a
// stale height behind.
func (e *Engine) PeerGone(peer string) {
	select {
	case e.events <- peerGone{peer}:
	case <-e.done:
	}
}

func (e *Engine) handle(ctx context.Context, ev event) error {
	switch ev := ev.(type) {
	case verifiedMessage:
		if v, ok := e.needsAppVerdict(ev.msg); ok {
			return e.admitExtended(ctx, v, ev)
		}
		if p, ok := ev.msg.(*consensus.Proposal); ok {
			e.blocks.add(p.Value, ev.block)
		}
		e.queue = append(e.queue, queued{in: consensus.Receive{Msg: ev.msg}, block: ev.block})
	case timerFired:
		if ev.gen == e.generation {
			e.enqueue(consensus.TimeoutFired{Timeout: ev.t})
		}
	case blockFetched:
		e.blocks.add(ev.id, ev.block)
		return e.blockArrived(ctx)
	case syncedBlock:
		e.sync.received(ev)
	case peerStatus:
		e.sync.status(ev)
	case peerGone:
		delete(e.sync.peers, ev.peer)
	case byIDRequest:
		e.answerByID(ev)
	case evidenceSubmitted:
		e.evidence.add(e, ev.ev)
	case proposalWaitOver:
		// drain, which runs after every event, proposes when due
	}
	return nil
}

// counters are process-wide event counts for logs and metrics.
var counters struct {
	rejectedInputs atomic.Int64
	droppedEvents  atomic.Int64
	badMessages    atomic.Int64
	evidence       atomic.Int64
}

// Counters reports the engine's counts since the process started: inputs
// the core rejected, events dropped because the driver was behind, peer
// messages that failed decoding or verification, and equivocations the
// core reported.
func Counters() (rejected, dropped, bad, evidence int64) {
	return counters.rejectedInputs.Load(), counters.droppedEvents.Load(), counters.badMessages.Load(), counters.evidence.Load()
}
