package engine

import "time"

// Every block costs the chain a fixed amount of work whatever it carries:
// storing the block, its results and the state (each synced), the
// application's FinalizeBlock and Commit round trips, the votes' WAL
// syncs. With timeout_commit at 0 a proposer cuts a block as soon as one
// transaction waits, so at light load every transaction pays that cost
// alone, and an application with an expensive Commit (the Cosmos SDK
// writes its stores at every Commit) spends most of its time committing.
//
// The batching window bounds that share. The proposer measures how long
// executing a block takes it, as a fixed cost per block plus a cost per
// transaction. When the transactions waiting would cost less to execute
// than the fixed cost, it holds its proposal for up to one fixed cost
// after the previous block was executed, so that at most about half of the
// chain's time goes to per-block work; more transactions arriving meanwhile
// join the block. Once the waiting transactions cost at least the fixed
// cost, the block goes at once: waiting would add latency without saving
// a meaningful share. A cheap application thus keeps its latency (its
// window is a few milliseconds), an expensive one gets fewer, larger
// blocks, and timeout_commit, when longer, still sets the pace.

const (
	// smallBlockTxs is the most transactions a block may carry for its
	// execution time to count as the fixed cost.
	smallBlockTxs = 2
	// largeBlockTxs is the fewest transactions a block must carry for its
	// execution time to give the cost per transaction.
	largeBlockTxs = 32
	// maxBatchWindow caps the hold: a proposal never waits longer than
	// this for transactions, however slow blocks become, so the window
	// stays far below every protocol timeout (timeout_propose, PBFT's view
	// change timer).
	maxBatchWindow = 100 * time.Millisecond
	// costWeight is how much one block moves the running averages.
	costWeight = 0.125
)

// blockCost estimates what executing a block costs this node, from the
// blocks it executed.
type blockCost struct {
	fixed      time.Duration // EWMA over small blocks; 0 until one was seen
	perTx      time.Duration // EWMA over large blocks; 0 until one was seen
	executedAt time.Time     // when the latest block finished executing
}

// observe records that a block of txs transactions took took to execute,
// ending at now.
func (b *blockCost) observe(txs int, took time.Duration, now time.Time) {
	b.executedAt = now
	switch {
	case txs <= smallBlockTxs:
		b.fixed = ewma(b.fixed, took)
	case txs >= largeBlockTxs && b.fixed > 0:
		b.perTx = ewma(b.perTx, max(took-b.fixed, 0)/time.Duration(txs))
	}
}

// window is how long after a block was executed a proposal with few
// transactions is held: the fixed cost, capped.
func (b *blockCost) window() time.Duration { return min(b.fixed, maxBatchWindow) }

// holdUntil returns when a proposal asked for at now, with pending
// transactions waiting, may go out; the zero time means at once.
func (b *blockCost) holdUntil(pending int, now time.Time) time.Time {
	w := b.window()
	if w <= 0 || b.executedAt.IsZero() || b.amortized(pending) {
		return time.Time{}
	}
	until := b.executedAt.Add(w)
	if !now.Before(until) {
		return time.Time{}
	}
	return until
}

// amortized tells whether pending transactions cost at least the fixed
// cost to execute, so that waiting for more would save little. Before a
// large block gave the cost per transaction, largeBlockTxs stand for it.
func (b *blockCost) amortized(pending int) bool {
	if b.perTx <= 0 {
		return pending >= largeBlockTxs
	}
	return time.Duration(pending)*b.perTx >= b.fixed
}

func ewma(avg, sample time.Duration) time.Duration {
	if avg == 0 {
		return sample
	}
	return avg + time.Duration(costWeight*float64(sample-avg))
}
