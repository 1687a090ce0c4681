// Package mempool holds the transactions waiting to be put in a block.
//
// A transaction is admitted when it fits the configured limits, is new and
// the application's CheckTx accepts it. One a client submitted to this node
// is then appended to the mempool's log and synced before CheckTx returns
// (or CheckTxAsync delivers its outcome), so an acknowledged transaction
// survives a crash; CheckTxAsync itself returns once the checks that need
// no app are done, for callers that promise nothing more (the RPC's
// broadcast_tx_async). One a peer relayed is
// held in memory only (the node its client gave it to stores it). Many
// concurrent admissions share one synced write (group commit) and their
// CheckTx requests travel to the app back to back on one connection rather
// than one round trip each.
//
// A transaction leaves the mempool only when a committed block includes it
// (Update) or when the app rejects it on recheck after a block; a full
// mempool refuses new transactions at admission instead of dropping old
// ones. Recheck runs in the background so that Update returns as soon as the
// included transactions are removed.
//
// After each block the engine does, in this order:
//
//	conns.Consensus.FinalizeBlock // checks go on against the committed state
//	mp.Lock(ctx)                  // no check runs while the app commits
//	conns.Consensus.Commit
//	mp.Update(height, txs, results)
//	mp.Unlock()
//
// Gossip tracks, per peer, which transactions the peer already has and hands
// a transport batches of the ones it lacks, never the same one twice. It
// holds everything while the node is behind the chain (SetHold), so that
// transactions of blocks the node has not executed yet never reach peers
// that have forgotten them.
//
// The meanings and defaults of the limits follow CometBFT's [mempool]
// section: size, max_txs_bytes, max_tx_bytes, cache_size, recheck and
// keep-invalid-txs-in-cache.
package mempool
