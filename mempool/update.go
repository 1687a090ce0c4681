package mempool

import (
	"context"
	"errors"
	"fmt"

	"github.com/bftnode/bftnode/abci"
	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// Lock stops new checks from reaching the app and waits for the answers to
// those in flight. The engine holds it from the app's Commit until Update
// returns, as CometBFT does, so that every check runs against a committed
// state (the one before a block or the one after it) and is known to be
// stale or not. On error the mempool is left unlocked.
func (m *Mempool) Lock(ctx context.Context) error {
	m.updateMtx.Lock()
	if err := m.conn.Flush(ctx); err != nil {
		m.updateMtx.Unlock()
		return fmt.Errorf("lock the mempool: wait for checks in flight: %w", err)
	}
	m.locked.Store(true)
	return nil
}

// Unlock lets checks reach the app again.
func (m *Mempool) Unlock() {
	m.locked.Store(false)
	m.updateMtx.Unlock()
}

// Update removes the transactions of the block committed at height from
// the mempool and queues their removal from its store. It must be called
// between Lock and Unlock, after the app's Commit, with the block's
// transactions and FinalizeBlock's results in block order.
//
// Included transactions stay in the cache so they are refused if sent
// again; those the block executed with a non-zero code leave it (unless
// KeepInvalidTxsInCache), since they may become valid later. With Recheck
// the remaining transactions are checked again in the background: Update
// does not wait for it, and a proposal made meanwhile may still include a
// transaction recheck drops.
func (m *Mempool) Update(height int64, txs [][]byte, results []*abcitypes.ExecTxResult) error {
	if !m.locked.Load() {
		return errors.New("mempool Update called without Lock: " +
			"hold the lock from the app's Commit until Update returns")
	}
	if len(txs) != len(results) {
		return fmt.Errorf("mempool Update at height %d: %d txs but %d results; pass FinalizeBlock's results",
			height, len(txs), len(results))
	}
	m.mu.Lock()
	if height <= m.height {
		defer m.mu.Unlock()
		return fmt.Errorf("mempool Update at height %d: already updated to height %d", height, m.height)
	}
	m.height = height
	m.notified = false
	ops := make([]storeOp, 0, len(txs)+1)
	for i, tx := range txs {
		key := KeyOf(tx)
		if results[i] != nil && results[i].Code == abcitypes.CodeTypeOK {
			m.cache.push(key)
		} else if !m.cfg.KeepInvalidTxsInCache {
			m.cache.remove(key)
		}
		e, ok := m.entries[key]
		switch {
		case !ok:
		case e.elem != nil:
			m.remove(e)
			if e.persisted {
				ops = append(ops, storeOp{kind: opDelete, seq: e.seq})
			}
		default:
			e.committed = true // still being admitted; dropped when that ends
		}
	}
	ops = append(ops, heightRecord(height))
	if m.cfg.Recheck && m.txs.Len() > 0 {
		kick(m.recheckKick)
	}
	m.notifyTxsAvailable()
	// Not waited for and not synced (see storeOp.durable); queued under mu
	// so that it reaches the store before any later admission's write.
	m.store.submit(ops...)
	m.mu.Unlock()
	return nil
}

// remove takes an admitted entry out of the mempool. Call with mu held.
func (m *Mempool) remove(e *entry) {
	m.txs.Remove(e.elem)
	e.elem = nil
	m.txsBytes -= int64(len(e.tx))
	delete(m.entries, e.key)
}

// Flush empties the mempool, its store and its cache (CometBFT's
// unsafe_flush_mempool). Transactions still being admitted complete.
func (m *Mempool) Flush() error {
	m.mu.Lock()
	ops := make([]storeOp, 0, m.txs.Len())
	for el := m.txs.Front(); el != nil; {
		next := el.Next()
		e := el.Value.(*entry)
		m.remove(e)
		if e.persisted {
			ops = append(ops, storeOp{kind: opDelete, seq: e.seq, durable: true})
		}
		el = next
	}
	m.cache.reset()
	m.mu.Unlock()
	if err := m.store.write(ops...); err != nil {
		return fmt.Errorf("flush the mempool: %w", err)
	}
	return nil
}

// ReapMaxBytesMaxGas returns the longest prefix of the mempool, in arrival
// order, whose transactions fit in maxBytes (counted as in a block's
// protobuf encoding) and whose gas_wanted sums to at most maxGas. A negative
// limit means no limit. Reaping removes nothing.
func (m *Mempool) ReapMaxBytesMaxGas(maxBytes, maxGas int64) [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	var txs [][]byte
	var bytes, gas int64
	for el := m.txs.Front(); el != nil; el = el.Next() {
		e := el.Value.(*entry)
		size := abci.ProtoTxSize(len(e.tx))
		if maxBytes > -1 && bytes+size > maxBytes {
			break
		}
		if maxGas > -1 && gas+e.gasWanted > maxGas {
			break
		}
		bytes += size
		gas += e.gasWanted
		txs = append(txs, e.tx)
	}
	return txs
}

// ReapMaxTxs returns the first max transactions in arrival order, all of
// them if max is negative.
func (m *Mempool) ReapMaxTxs(max int) [][]byte {
	if max < 0 {
		return m.Txs(0)
	}
	if max == 0 {
		return nil
	}
	return m.Txs(max)
}
