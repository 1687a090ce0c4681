package wire

import (
	"github.com/bftnode/bftnode/wire/wirepb"
	"github.com/cometbft/cometbft/types"
)

// MaxTxsPerBatch bounds the transactions of one mempool message.
const MaxTxsPerBatch = 100_000

// EncodeMempool returns the bytes of a batch of transactions for the mempool
// channel. A batch holds at least one transaction and no empty ones.
func EncodeMempool(txs types.Txs) ([]byte, error) {
	if err := checkTxs(len(txs), func(i int) []byte { return txs[i] }); err != nil {
		return nil, err
	}
	batch := &wirepb.Txs{Txs: make([][]byte, len(txs))}
	for i, tx := range txs {
		batch.Txs[i] = tx
	}
	pb := &wirepb.MempoolMessage{Sum: &wirepb.MempoolMessage_Txs{Txs: batch}}
	return pb.Marshal()
}

// DecodeMempool parses and validates bytes from the mempool channel.
func DecodeMempool(b []byte) (types.Txs, error) {
	var pb wirepb.MempoolMessage
	if err := pb.Unmarshal(b); err != nil {
		return nil, invalidf("mempool message: %v", err)
	}
	sum, ok := pb.Sum.(*wirepb.MempoolMessage_Txs)
	if !ok || sum.Txs == nil {
		return nil, invalidf("mempool message of unknown kind %T (a newer peer, or garbage)", pb.Sum)
	}
	raw := sum.Txs.Txs
	if err := checkTxs(len(raw), func(i int) []byte { return raw[i] }); err != nil {
		return nil, err
	}
	// Unmarshal copied each transaction out of b already.
	txs := make(types.Txs, len(raw))
	for i, tx := range raw {
		txs[i] = tx
	}
	return txs, nil
}

func checkTxs(n int, tx func(int) []byte) error {
	if n == 0 {
		return invalidf("mempool message: empty batch")
	}
	if n > MaxTxsPerBatch {
		return invalidf("mempool message: %d transactions; at most %d", n, MaxTxsPerBatch)
	}
	for i := 0; i < n; i++ {
		if len(tx(i)) == 0 {
			return invalidf("mempool message: transaction %d is empty", i)
		}
	}
	return nil
}
