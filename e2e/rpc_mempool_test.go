package e2e

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"
	"github.com/cometbft/cometbft/types"
)

// stalled are the validators paused to stop the chain: without two of
// four validators no quorum forms, so transactions stay in the mempools.
var stalled = []int{2, 3}

// testMempool stops the chain by pausing two validators, so that what the
// mempool routes show is stable: unconfirmed_txs and num_unconfirmed_txs
// list exactly the transactions sent, in order, with their size; the full
// node has them by gossip; unsafe_flush_mempool empties node 0's mempool
// and cache. The chain then resumes and commits them.
func testMempool(t *testing.T, n *rpcNet) {
	for _, i := range []int{0, fullNode} {
		n.waitMempoolSize(t, i, 0)
	}
	for _, i := range stalled {
		if err := n.Pause(i); err != nil {
			t.Fatal(err)
		}
	}
	resumed := false
	resume := func() {
		if resumed {
			return
		}
		resumed = true
		for _, i := range stalled {
			if err := n.Resume(i); err != nil {
				t.Error(err)
			}
		}
	}
	defer resume()

	txs := types.Txs{kvTx("pending-a-"+n.protocol, "1"), kvTx("pending-b-"+n.protocol, "22")}
	for _, tx := range txs {
		if res, err := n.clients[0].BroadcastTxSync(n.ctx, tx); err != nil || res.Code != abci.CodeTypeOK {
			t.Fatalf("broadcast_tx_sync %q: %+v %v", tx, res, err)
		}
	}
	wantBytes := int64(len(txs[0]) + len(txs[1]))
	for _, i := range []int{0, fullNode} {
		n.waitMempoolSize(t, i, len(txs))
		all, err := n.clients[i].UnconfirmedTxs(n.ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkUnconfirmed(t, fmt.Sprintf("node %d unconfirmed_txs", i), all, txs, len(txs), wantBytes)
		one := 1
		first, err := n.clients[i].UnconfirmedTxs(n.ctx, &one)
		if err != nil {
			t.Fatal(err)
		}
		checkUnconfirmed(t, fmt.Sprintf("node %d unconfirmed_txs limit 1", i), first, txs[:1], len(txs), wantBytes)
	}

	// unsafe_flush_mempool empties node 0's mempool and its cache; the
	// full node keeps its copies.
	var flushed coretypes.ResultUnsafeFlushMempool
	if err := n.callUnsafe(t, 0, "unsafe_flush_mempool", map[string]any{}, &flushed); err != nil {
		t.Fatalf("unsafe_flush_mempool: %v", err)
	}
	if num, err := n.clients[0].NumUnconfirmedTxs(n.ctx); err != nil || num.Total != 0 || num.TotalBytes != 0 {
		t.Errorf("num_unconfirmed_txs after unsafe_flush_mempool: %+v %v", num, err)
	}
	if num, err := n.clients[fullNode].NumUnconfirmedTxs(n.ctx); err != nil || num.Total != len(txs) {
		t.Errorf("the full node's num_unconfirmed_txs after node 0 flushed: %+v %v", num, err)
	}
	resume()
	// The flushed cache takes the transactions again (unless a block
	// already carried them there from the others' mempools).
	for _, tx := range txs {
		if _, err := n.clients[0].BroadcastTxSync(n.ctx, tx); err != nil && !strings.Contains(err.Error(), "tx already exists in cache") {
			t.Errorf("broadcast_tx_sync of %q after the flush: %v", tx, err)
		}
	}
	for _, tx := range txs {
		n.waitTx(t, 0, tx)
	}
	for _, i := range []int{0, fullNode} {
		n.waitMempoolSize(t, i, 0)
	}
}

func checkUnconfirmed(t *testing.T, what string, res *coretypes.ResultUnconfirmedTxs, want types.Txs, total int, totalBytes int64) {
	t.Helper()
	if res.Count != len(want) || res.Total != total || res.TotalBytes != totalBytes || len(res.Txs) != len(want) {
		t.Errorf("%s: count %d total %d total_bytes %d, %d txs; want %d, %d, %d", what, res.Count, res.Total, res.TotalBytes, len(res.Txs), len(want), total, totalBytes)
		return
	}
	for j := range want {
		if !bytes.Equal(res.Txs[j], want[j]) {
			t.Errorf("%s: tx %d is %q, want %q", what, j, res.Txs[j], want[j])
		}
	}
}

// waitMempoolSize waits until node i's mempool holds size transactions.
func (n *rpcNet) waitMempoolSize(t *testing.T, i, size int) {
	t.Helper()
	err := n.WaitUntil(n.ctx, time.Minute, fmt.Sprintf("node %d's mempool to hold %d transactions", i, size), func() (bool, error) {
		num, err := n.clients[i].NumUnconfirmedTxs(n.ctx)
		if err != nil {
			return false, err
		}
		if num.Count != num.Total || (num.Total == 0) != (num.TotalBytes == 0) {
			return false, fmt.Errorf("num_unconfirmed_txs is inconsistent: %+v", num)
		}
		return num.Total == size, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// callUnsafe calls a route CometBFT's Go client has no method for.
func (n *rpcNet) callUnsafe(t *testing.T, i int, method string, params map[string]any, result any) error {
	t.Helper()
	cl, err := jsonrpcclient.New("http://" + n.Nodes[i].RPCAddr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.Call(n.ctx, method, params, result)
	return err
}

// testDialRoutes calls dial_seeds and dial_peers on the full node with a
// validator's address (already a peer, so the network stays as it is) and
// with addresses they must refuse.
func testDialRoutes(t *testing.T, n *rpcNet) {
	st, err := n.clients[0].Status(n.ctx)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("%s@127.0.0.1:%d", st.NodeInfo.DefaultNodeID, n.port(0, offsetP2P))
	var seeds coretypes.ResultDialSeeds
	if err := n.callUnsafe(t, fullNode, "dial_seeds", map[string]any{"seeds": []string{addr}}, &seeds); err != nil || !strings.Contains(seeds.Log, "Dialing seeds in progress") {
		t.Errorf("dial_seeds: %+v %v", seeds, err)
	}
	var peers coretypes.ResultDialPeers
	params := map[string]any{"peers": []string{addr}, "persistent": true, "unconditional": false, "private": false}
	if err := n.callUnsafe(t, fullNode, "dial_peers", params, &peers); err != nil || !strings.Contains(peers.Log, "Dialing peers in progress") {
		t.Errorf("dial_peers: %+v %v", peers, err)
	}
	params["peers"] = []string{"127.0.0.1:1"}
	if err := n.callUnsafe(t, fullNode, "dial_peers", params, &peers); err == nil || !strings.Contains(err.Error(), "does not contain ID") {
		t.Errorf("dial_peers without a node ID: %v", err)
	}
	if err := n.callUnsafe(t, fullNode, "dial_seeds", map[string]any{"seeds": []string{}}, &seeds); err == nil || !strings.Contains(err.Error(), "no seeds provided") {
		t.Errorf("dial_seeds without seeds: %v", err)
	}
	// The full node is still connected to node 0 and follows the chain.
	h := n.height(t, 0)
	if err := n.waitHeight(fullNode, h+1); err != nil {
		t.Fatal(err)
	}
	net, err := n.clients[fullNode].NetInfo(n.ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range net.Peers {
		found = found || p.NodeInfo.DefaultNodeID == st.NodeInfo.DefaultNodeID
	}
	if !found {
		t.Errorf("after dial_peers the full node does not list node 0 among its %d peers", net.NPeers)
	}
}
