package mempool

import (
	"errors"
	"fmt"
)

// ErrTxInCache refuses a transaction the mempool already holds or has seen
// recently (possibly already committed).
var ErrTxInCache = errors.New("tx already exists in cache")

// ErrClosed is returned after Close.
var ErrClosed = errors.New("mempool is closed")

// ErrTxTooLarge refuses a transaction longer than max_tx_bytes.
type ErrTxTooLarge struct {
	Max    int
	Actual int
}

func (e ErrTxTooLarge) Error() string {
	return fmt.Sprintf("tx too large: %d bytes, max_tx_bytes is %d", e.Actual, e.Max)
}

// ErrMempoolIsFull refuses a transaction that does not fit: admitting it
// would exceed size or max_txs_bytes. The counts include transactions still
// being checked, which hold their place until the app answers.
type ErrMempoolIsFull struct {
	NumTxs      int
	MaxTxs      int
	TxsBytes    int64
	MaxTxsBytes int64
}

func (e ErrMempoolIsFull) Error() string {
	return fmt.Sprintf("mempool is full: %d txs (max %d), %d bytes (max %d); "+
		"retry after the next block", e.NumTxs, e.MaxTxs, e.TxsBytes, e.MaxTxsBytes)
}
