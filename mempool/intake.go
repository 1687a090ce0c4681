package mempool

import (
	"context"
	"hash/fnv"
	"sync/atomic"
)

// Intake bounds: batches from peers wait in intakeLanes queues of
// intakeDepth batches each; a peer always uses the same lane, so its
// batches are admitted in the order they came.
const (
	intakeLanes = 4
	intakeDepth = 64
)

// peerBatch is a batch a peer sent, waiting for admission.
type peerBatch struct {
	from  PeerID
	batch [][]byte
}

// intake admits peers' batches on goroutines of its own. A transport reads
// a peer's mempool and consensus messages from one connection, so a read
// loop that waited for CheckTx and the disk (or for a block to finish
// executing, which holds admissions) would hold the peer's votes and
// proposals up behind its transactions.
type intake struct {
	lanes   [intakeLanes]chan peerBatch
	dropped atomic.Uint64
}

func newIntake() *intake {
	in := &intake{}
	for i := range in.lanes {
		in.lanes[i] = make(chan peerBatch, intakeDepth)
	}
	return in
}

// Deliver queues a peer's batch for admission and returns at once. When
// the peer's lane is full it drops the batch and returns false: the
// sender still holds those transactions and includes them when it
// proposes, and the node is already behind on admissions.
func (g *Gossip) Deliver(from PeerID, batch [][]byte) bool {
	h := fnv.New32a()
	_, _ = h.Write([]byte(from))
	select {
	case g.intake.lanes[h.Sum32()%intakeLanes] <- peerBatch{from, batch}:
		return true
	default:
		g.intake.dropped.Add(1)
		return false
	}
}

// DroppedBatches is how many batches Deliver dropped since the start.
func (g *Gossip) DroppedBatches() uint64 { return g.intake.dropped.Load() }

// admitDelivered admits the batches of one lane until ctx ends.
func (g *Gossip) admitDelivered(ctx context.Context, lane <-chan peerBatch) {
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-lane:
			if _, err := g.Receive(ctx, b.from, b.batch); err != nil && ctx.Err() == nil {
				g.mp.logger.Debug("peer's transactions not admitted", "peer", b.from, "err", err)
			}
		}
	}
}
