package e2e

import (
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"
)

// testRestartFullNode stops the full node while the others commit
// transactions and starts it again: while it fetches the blocks it
// missed, every height its status shows has its block and results, and
// once caught up it finds the transactions committed while it was down.
func testRestartFullNode(t *testing.T, n *rpcNet) {
	if err := n.Stop(fullNode); err != nil {
		t.Fatal(err)
	}
	var missed []types.Tx
	for j := 0; j < 5; j++ {
		tx := kvTx(fmt.Sprintf("missed-%s-%d", n.protocol, j), "1")
		res, err := n.clients[j%rpcValidators].BroadcastTxSync(n.ctx, tx)
		if err != nil || res.Code != abci.CodeTypeOK {
			t.Fatalf("broadcast_tx_sync %q: %+v %v", tx, res, err)
		}
		missed = append(missed, tx)
	}
	for _, tx := range missed {
		n.waitTx(t, 0, tx)
	}
	target := n.height(t, 0) + 2
	if err := n.waitHeight(0, target); err != nil {
		t.Fatal(err)
	}
	if err := n.Start(fullNode); err != nil {
		t.Fatal(err)
	}
	cl := n.clients[fullNode]
	err := n.WaitUntil(n.ctx, time.Minute, fmt.Sprintf("the full node to catch up to height %d", target), func() (bool, error) {
		st, err := cl.Status(n.ctx)
		if err != nil {
			return false, err // not serving yet
		}
		h := st.SyncInfo.LatestBlockHeight
		if h == 0 {
			return false, nil
		}
		b, err := cl.Block(n.ctx, &h)
		if err != nil {
			t.Errorf("status shows height %d, block %d: %v", h, h, err)
			return false, nil
		}
		if _, err := cl.BlockResults(n.ctx, &h); err != nil {
			t.Errorf("status shows height %d, block_results %d: %v", h, h, err)
		}
		if !b.BlockID.Equals(types.BlockID{Hash: st.SyncInfo.LatestBlockHash, PartSetHeader: b.BlockID.PartSetHeader}) {
			t.Errorf("status shows block %X at %d, block says %X", st.SyncInfo.LatestBlockHash, h, b.BlockID.Hash)
		}
		return h >= target && !st.SyncInfo.CatchingUp, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range missed {
		got := n.waitTx(t, fullNode, tx)
		checkTxResult(t, n, fullNode, got, tx)
	}
}
