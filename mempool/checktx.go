package mempool

import (
	"bytes"
	"context"
	"fmt"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// CheckResult is the outcome of one admission: the app's response (Code 0:
// admitted and on disk; otherwise rejected by the app), or Err when the app
// connection failed or the store could not write.
type CheckResult struct {
	Response *abcitypes.ResponseCheckTx
	Err      error
}

// CheckTx admits tx if it fits, is new and the app accepts it. It returns:
//
//   - ErrTxTooLarge, ErrMempoolIsFull or ErrTxInCache (a duplicate) without
//     asking the app;
//   - the app's response with a non-zero Code when the app rejects tx
//     (not an error, as in CometBFT);
//   - the app's response with Code 0 once tx is admitted and synced to
//     disk, so an acknowledged tx survives a crash;
//   - an error if the app connection failed or the store could not write.
//
// from is the peer that sent tx ("" for a local submission); gossip never
// sends tx back to it. If ctx ends first CheckTx returns ctx's error, but
// the admission already under way still completes.
func (m *Mempool) CheckTx(ctx context.Context, tx []byte, from PeerID) (*abcitypes.ResponseCheckTx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	result, err := m.CheckTxAsync(tx, from)
	if err != nil {
		return nil, err
	}
	select {
	case r := <-result:
		return r.Response, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// CheckTxAsync starts tx's admission and returns without waiting for the
// app or the disk. The rules that need neither are applied at once and
// refuse tx with the errors CheckTx returns (ErrTxTooLarge, ErrMempoolIsFull,
// ErrTxInCache, ErrClosed); otherwise tx is sent to the app and its outcome
// arrives, exactly once, on the returned channel, which has room for it so
// that nobody has to read it. With an app in another process the call
// returns as soon as the request is queued on the connection; an
// in-process app checks tx on the caller's goroutine.
//
// Checks started one after another reach the app in that order, which
// keeps a peer's batch (say, one account's consecutive nonces) in order
// while all of it is in flight at once.
func (m *Mempool) CheckTxAsync(tx []byte, from PeerID) (<-chan CheckResult, error) {
	e, err := m.reserve(tx, from, 0)
	if err != nil {
		return nil, err
	}
	result := make(chan CheckResult, 1)
	m.send(e, abcitypes.CheckTxType_New, func(res *abcitypes.ResponseCheckTx, err error) {
		m.onChecked(e, res, err, false, result)
	})
	return result, nil
}

// reserve applies the admission rules that need no app and holds tx's place
// against the limits while the app checks it. seq is non-zero for a tx
// re-admitted from the store.
func (m *Mempool) reserve(tx []byte, from PeerID, seq uint64) (*entry, error) {
	if len(tx) > m.cfg.MaxTxBytes {
		return nil, ErrTxTooLarge{Max: m.cfg.MaxTxBytes, Actual: len(tx)}
	}
	key := KeyOf(tx)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	if e, ok := m.entries[key]; ok {
		e.addSender(from)
		return nil, ErrTxInCache
	}
	if m.cache.has(key) {
		return nil, ErrTxInCache
	}
	numTxs := m.txs.Len() + m.reservedTxs
	numBytes := m.txsBytes + m.reservedBytes
	if numTxs+1 > m.cfg.Size || numBytes+int64(len(tx)) > m.cfg.MaxTxsBytes {
		return nil, ErrMempoolIsFull{
			NumTxs: numTxs, MaxTxs: m.cfg.Size, TxsBytes: numBytes, MaxTxsBytes: m.cfg.MaxTxsBytes,
		}
	}
	m.cache.push(key)
	m.reservedTxs++
	m.reservedBytes += int64(len(tx))
	// A copy: the caller's buffer (a network read, say) may be reused.
	e := &entry{tx: bytes.Clone(tx), key: key, seq: seq, persisted: seq != 0, local: from == ""}
	e.addSender(from)
	m.entries[key] = e
	return e, nil
}

func (e *entry) addSender(p PeerID) {
	if p == "" {
		return
	}
	if e.senders == nil {
		e.senders = make(map[PeerID]struct{}, 1)
	}
	e.senders[p] = struct{}{}
}

// send hands one check to the app under the read side of updateMtx, noting
// which block's state it will run against.
func (m *Mempool) send(e *entry, kind abcitypes.CheckTxType, done func(*abcitypes.ResponseCheckTx, error)) {
	m.updateMtx.RLock()
	m.mu.Lock()
	height := m.height
	if kind == abcitypes.CheckTxType_New {
		e.checkedAt, e.admittedAt = height, height
	}
	m.mu.Unlock()
	m.conn.CheckTxAsync(&abcitypes.RequestCheckTx{Tx: e.tx, Type: kind}, done)
	m.updateMtx.RUnlock()
}

// onChecked handles the app's answer to a first check. It runs on the app
// connection's reader, so it only updates memory and queues the write.
func (m *Mempool) onChecked(e *entry, res *abcitypes.ResponseCheckTx, err error, stored bool, result chan<- CheckResult) {
	switch {
	case err != nil:
		// Not a verdict on tx: forget it so it can be sent again, and keep
		// a stored copy for the next start.
		m.abandon(e, true, false)
		result <- CheckResult{Err: fmt.Errorf("check tx with the application: %w", err)}
		return
	case res.Code != abcitypes.CodeTypeOK:
		m.abandon(e, !m.cfg.KeepInvalidTxsInCache, stored)
		result <- CheckResult{Response: res}
		return
	}
	m.mu.Lock()
	e.gasWanted = res.GasWanted
	if stored || !e.local {
		// Already stored, or relayed by a peer: the node a client gave it
		// to holds it durably, and this copy only speeds up its inclusion.
		m.mu.Unlock()
		m.onPersisted(e, res, nil, result)
		return
	}
	m.nextSeq++
	e.seq, e.persisted = m.nextSeq, true
	// Queued under mu so that store order is acceptance order.
	m.store.submit(storeOp{kind: opPut, seq: e.seq, tx: e.tx, durable: true, done: func(err error) {
		m.onPersisted(e, res, err, result)
	}})
	m.mu.Unlock()
}

// onPersisted completes an admission once its write is synced: the tx joins
// the mempool in arrival order and its caller is answered.
func (m *Mempool) onPersisted(e *entry, res *abcitypes.ResponseCheckTx, err error, result chan<- CheckResult) {
	if err != nil {
		m.abandon(e, true, false)
		result <- CheckResult{Err: err}
		return
	}
	m.mu.Lock()
	m.release(e)
	if e.committed {
		// A block included it while it was being admitted: it is done.
		delete(m.entries, e.key)
		m.unstore(e)
	} else {
		m.nextOrder++
		e.order = m.nextOrder
		e.elem = m.txs.PushBack(e)
		m.txsBytes += int64(len(e.tx))
		m.notifyTxsAvailable()
		close(m.added)
		m.added = make(chan struct{})
		if m.cfg.Recheck && e.checkedAt < m.height {
			kick(m.recheckKick) // checked against a state older than the last block
		}
	}
	m.mu.Unlock()
	result <- CheckResult{Response: res}
}

// abandon undoes a reservation for a tx that was not admitted. forget
// takes it out of the cache so it can be sent again, unless a block already
// committed it; deleteStored removes a re-admitted tx's stored copy.
func (m *Mempool) abandon(e *entry, forget, deleteStored bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.release(e)
	delete(m.entries, e.key)
	if forget && !e.committed {
		m.cache.remove(e.key)
	}
	if deleteStored {
		m.unstore(e)
	}
}

// unstore deletes e's stored copy, if it has one. Call with mu held.
func (m *Mempool) unstore(e *entry) {
	if e.persisted {
		m.store.submit(storeOp{kind: opDelete, seq: e.seq})
	}
}

// release gives back a reservation. Call with mu held.
func (m *Mempool) release(e *entry) {
	m.reservedTxs--
	m.reservedBytes -= int64(len(e.tx))
}

// lastOrder is the admission order of the latest admitted tx.
func (m *Mempool) lastOrder() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.nextOrder
}

// newTxs is closed at the next admission.
func (m *Mempool) newTxs() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.added
}
