package mempool

import (
	"sync"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// recheckBatch bounds how many rechecks are sent under one hold of the
// read lock, so a block's Lock waits for at most one batch to be queued.
const recheckBatch = 256

// recheckLoop checks again, after each block, every admitted tx whose last
// check ran against an older state, and drops those the app now rejects.
// It runs apart from Update so that committing a block never waits for it.
func (m *Mempool) recheckLoop() {
	defer m.workers.Done()
	for {
		select {
		case <-m.recheckKick:
			m.recheckStale()
		case <-m.lifetime.Done():
			return
		}
	}
}

// recheckStale rechecks the txs that are stale now, in batches. A block
// committed meanwhile makes them stale again and kicks another pass.
func (m *Mempool) recheckStale() {
	m.mu.Lock()
	var stale []*entry
	for el := m.txs.Front(); el != nil; el = el.Next() {
		if e := el.Value.(*entry); e.checkedAt < m.height {
			stale = append(stale, e)
		}
	}
	m.mu.Unlock()
	for len(stale) > 0 && m.lifetime.Err() == nil {
		n := min(recheckBatch, len(stale))
		m.recheck(stale[:n])
		stale = stale[n:]
	}
}

// recheck sends one batch and waits for its answers (or Close).
func (m *Mempool) recheck(batch []*entry) {
	var wg sync.WaitGroup
	m.updateMtx.RLock()
	m.mu.Lock()
	height := m.height
	m.mu.Unlock()
	for _, e := range batch {
		wg.Add(1)
		m.conn.CheckTxAsync(&abcitypes.RequestCheckTx{Tx: e.tx, Type: abcitypes.CheckTxType_Recheck},
			func(res *abcitypes.ResponseCheckTx, err error) {
				defer wg.Done()
				m.onRechecked(e, height, res, err)
			})
	}
	m.updateMtx.RUnlock()
	answered := make(chan struct{})
	go func() { wg.Wait(); close(answered) }()
	select {
	case <-answered:
	case <-m.lifetime.Done(): // closing: do not wait for a slow app
	}
}

// onRechecked applies the app's new verdict on an admitted tx.
func (m *Mempool) onRechecked(e *entry, height int64, res *abcitypes.ResponseCheckTx, err error) {
	if err != nil {
		// The connection failed; the node halts. Keep the tx.
		m.logger.Debug("recheck did not complete", "err", err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.elem == nil {
		return // included in a block or flushed meanwhile
	}
	if res.Code == abcitypes.CodeTypeOK {
		e.checkedAt = max(e.checkedAt, height)
		e.gasWanted = res.GasWanted
		return
	}
	m.remove(e)
	if !m.cfg.KeepInvalidTxsInCache {
		m.cache.remove(e.key)
	}
	m.unstore(e)
	m.logger.Debug("recheck dropped a tx the app now rejects", "code", res.Code, "log", res.Log)
}
