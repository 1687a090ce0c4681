package node

import (
	"github.com/bftnode/bftnode/mempool"
	"github.com/bftnode/bftnode/p2p"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/types"
)

// sendTxs sends a batch of transactions to one peer.
func (n *Node) sendTxs(peer mempool.PeerID, batch [][]byte) {
	msg, err := wire.EncodeMempool(toTxs(batch))
	if err != nil {
		n.log.Error("encoding a mempool batch", "err", err)
		return
	}
	n.host.Send(p2p.ID(peer), p2p.ChannelMempool, msg)
}

// receiveTxs queues a peer's batch for admission. It runs on the peer's
// read loop, which must not wait for CheckTx: the peer's votes come the
// same way.
func (n *Node) receiveTxs(from p2p.ID, msg []byte) {
	txs, err := wire.DecodeMempool(msg)
	if err != nil {
		n.host.Penalize(from, "mempool batch: "+err.Error())
		return
	}
	batch := make([][]byte, len(txs))
	for i, tx := range txs {
		batch[i] = tx
	}
	if !n.gossip.Deliver(mempool.PeerID(from), batch) {
		n.log.Debug("admissions are behind: dropped a peer's batch", "peer", from, "txs", len(batch),
			"dropped_batches", n.gossip.DroppedBatches())
	}
}

func toTxs(batch [][]byte) types.Txs {
	txs := make(types.Txs, len(batch))
	for i, tx := range batch {
		txs[i] = tx
	}
	return txs
}
