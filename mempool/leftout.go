package mempool

import "github.com/bftnode/bftnode/abci"

// BlockRoom is what a block of Height used and could hold: the bytes of
// its transactions (counted as ReapMaxBytesMaxGas counts them) and their
// gas_wanted, against the limits it was proposed under (-1: no limit).
type BlockRoom struct {
	Height             int64
	UsedBytes, UsedGas int64
	MaxBytes, MaxGas   int64
}

// FirstLeftOut reports the transaction a block left out although an
// honest proposer reaping this mempool would have put it in: the first one
// in arrival order (Update already took out the block's own), provided it
// was here before the block's previous height was committed (so the
// proposer had a block's time to hear of it) and it fits in the room the
// block had left. It is the fact PBFT's request timer runs on: only a
// transaction that would have fit counts, so under saturation, when
// blocks are full of older transactions, nothing does.
//
// Call it after Update for the block's height.
func (m *Mempool) FirstLeftOut(b BlockRoom) (TxKey, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el := m.txs.Front()
	if el == nil {
		return TxKey{}, false
	}
	e := el.Value.(*entry)
	if e.admittedAt > b.Height-2 {
		return TxKey{}, false // arrived too late for the proposer to know of it
	}
	if b.MaxBytes > -1 && b.UsedBytes+abci.ProtoTxSize(len(e.tx)) > b.MaxBytes {
		return TxKey{}, false
	}
	if b.MaxGas > -1 && b.UsedGas+e.gasWanted > b.MaxGas {
		return TxKey{}, false
	}
	return e.key, true
}
