package mempool

import (
	"context"
	"hash/fnv"
	"slices"
	"sync"
	"sync/atomic"
)

// Intake bounds: peers' batches wait in intakeLanes queues; a peer always
// uses the same lane, so its batches are admitted in the order they came.
// A lane holds at most laneMaxTxs transactions and laneMaxBytes bytes. The
// bounds count transactions, not batches: under load a peer sends many
// small batches (one per wake of its gossip), and a count of batches would
// drop a backlog of a few hundred transactions that the next admission
// round takes in one go.
const (
	intakeLanes  = 4
	laneMaxTxs   = 2048
	laneMaxBytes = 4 << 20
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
	lanes   [intakeLanes]*lane
	dropped atomic.Uint64
}

// lane is one queue of batches waiting for admission. Consecutive batches
// of one peer are joined, so that admission takes a backlog as one batch:
// its checks all go to the app at once.
type lane struct {
	ready chan struct{} // cap 1: the queue is not empty

	mu    sync.Mutex
	queue []peerBatch
	txs   int
	bytes int
}

func newIntake() *intake {
	in := &intake{}
	for i := range in.lanes {
		in.lanes[i] = &lane{ready: make(chan struct{}, 1)}
	}
	return in
}

// push queues b unless the lane is full; a batch always fits an empty
// lane, however large, so that no batch is refused for good.
func (l *lane) push(b peerBatch) bool {
	size := 0
	for _, tx := range b.batch {
		size += len(tx)
	}
	l.mu.Lock()
	if l.txs > 0 && (l.txs+len(b.batch) > laneMaxTxs || l.bytes+size > laneMaxBytes) {
		l.mu.Unlock()
		return false
	}
	if last := len(l.queue) - 1; last >= 0 && l.queue[last].from == b.from {
		l.queue[last].batch = append(l.queue[last].batch, b.batch...)
	} else {
		b.batch = slices.Clip(b.batch) // joining later batches must not write into the sender's array
		l.queue = append(l.queue, b)
	}
	l.txs += len(b.batch)
	l.bytes += size
	l.mu.Unlock()
	kick(l.ready)
	return true
}

// take empties the lane.
func (l *lane) take() []peerBatch {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.queue
	l.queue, l.txs, l.bytes = nil, 0, 0
	return q
}

// Deliver queues a peer's batch for admission and returns at once. When
// the peer's lane is full it drops the batch and returns false: the
// sender still holds those transactions, includes them when it proposes
// and offers them again later (ResendInterval), and the node is already
// far behind on admissions.
func (g *Gossip) Deliver(from PeerID, batch [][]byte) bool {
	h := fnv.New32a()
	_, _ = h.Write([]byte(from))
	if g.intake.lanes[h.Sum32()%intakeLanes].push(peerBatch{from, batch}) {
		return true
	}
	g.intake.dropped.Add(1)
	return false
}

// DroppedBatches is how many batches Deliver dropped since the start.
func (g *Gossip) DroppedBatches() uint64 { return g.intake.dropped.Load() }

// admitDelivered admits the batches of one lane until ctx ends.
func (g *Gossip) admitDelivered(ctx context.Context, l *lane) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.ready:
		}
		for _, b := range l.take() {
			if _, err := g.Receive(ctx, b.from, b.batch); err != nil && ctx.Err() == nil {
				g.mp.logger.Debug("peer's transactions not admitted", "peer", b.from, "err", err)
			}
		}
	}
}
