package mempool

import (
	"errors"
	"sync"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// readmit puts the stored transactions through CheckTx again, all in
// flight at once and in their stored order, and waits for every answer.
// What the app rejects now, or what no longer fits the limits, is deleted
// from the store; a failed app connection leaves the store untouched.
func (m *Mempool) readmit(persisted []persistedTx) {
	if len(persisted) == 0 {
		return
	}
	var (
		wg                                     sync.WaitGroup
		mu                                     sync.Mutex
		admitted, rejected, dropped, committed int
	)
	for _, p := range persisted {
		e, err := m.reserve(p.tx, "", p.seq)
		if errors.Is(err, ErrTxInCache) {
			// A recent block committed it after it was stored.
			m.store.submit(storeOp{kind: opDelete, seq: p.seq})
			committed++
			continue
		}
		if err != nil {
			m.logger.Warn("dropping a stored tx that no longer fits the mempool",
				"seq", p.seq, "bytes", len(p.tx), "err", err)
			m.store.submit(storeOp{kind: opDelete, seq: p.seq})
			dropped++
			continue
		}
		result := make(chan CheckResult, 1)
		wg.Add(1)
		m.send(e, abcitypes.CheckTxType_New, func(res *abcitypes.ResponseCheckTx, err error) {
			m.onChecked(e, res, err, true, result)
		})
		go func() {
			defer wg.Done()
			r := <-result
			mu.Lock()
			defer mu.Unlock()
			switch {
			case r.Err != nil:
				m.logger.Error("could not re-admit a stored tx; it stays stored for the next start",
					"seq", p.seq, "err", r.Err)
			case r.Response.Code != abcitypes.CodeTypeOK:
				rejected++
			default:
				admitted++
			}
		}()
	}
	wg.Wait()
	m.logger.Info("re-admitted the stored mempool", "admitted", admitted,
		"rejected_by_app", rejected, "dropped_over_limits", dropped, "already_committed", committed)
}
