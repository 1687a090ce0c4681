package e2e

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"
)

// kvstore's CheckTx code for a transaction that is not key=value.
const kvInvalidTxFormat = 2

// kvTx is a kvstore transaction setting key to value.
func kvTx(key, value string) types.Tx { return types.Tx(key + "=" + value) }

// checkKVResult checks a transaction result against what kvstore returns
// for key=value: code 0 and two "app" events naming the key and the value.
func checkKVResult(t *testing.T, what string, res abci.ExecTxResult, key, value string) {
	t.Helper()
	if res.Code != abci.CodeTypeOK || len(res.Events) != 2 {
		t.Errorf("%s: code %d, %d events: %+v", what, res.Code, len(res.Events), res)
		return
	}
	for j, want := range []struct{ creator, key string }{{"Cosmoshi Netowoko", key}, {"Cosmoshi", value}} {
		ev := res.Events[j]
		attrs := map[string]string{}
		for _, a := range ev.Attributes {
			attrs[a.Key] = a.Value
		}
		if ev.Type != "app" || attrs["creator"] != want.creator || attrs["key"] != want.key || attrs["index_key"] != "index is working" {
			t.Errorf("%s: event %d is %+v, kvstore emits creator %q key %q", what, j, ev, want.creator, want.key)
		}
	}
}

// waitTx waits until node i has indexed the transaction and returns it.
func (n *rpcNet) waitTx(t *testing.T, i int, tx types.Tx) *coretypes.ResultTx {
	t.Helper()
	var res *coretypes.ResultTx
	err := n.WaitUntil(n.ctx, time.Minute, fmt.Sprintf("node %d to index tx %q", i, tx), func() (bool, error) {
		var err error
		res, err = n.clients[i].Tx(n.ctx, tx.Hash(), true)
		return err == nil, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// testBroadcastAndTx sends transactions with each broadcast route to
// different nodes and checks what tx, abci_query and block_results say of
// them afterwards on every node; tx proofs verify against the block's data
// hash.
func testBroadcastAndTx(t *testing.T, n *rpcNet) {
	p := n.protocol
	sync, async, commit := kvTx("sync-"+p, "s1"), kvTx("async-"+p, "a1"), kvTx("commit-"+p, "c1")

	res, err := n.clients[1].BroadcastTxSync(n.ctx, sync)
	if err != nil || res.Code != abci.CodeTypeOK || !bytes.Equal(res.Hash, sync.Hash()) {
		t.Fatalf("broadcast_tx_sync: %+v %v", res, err)
	}
	if _, err := n.clients[1].BroadcastTxSync(n.ctx, sync); err == nil || !strings.Contains(err.Error(), "tx already exists in cache") {
		t.Errorf("broadcast_tx_sync of a transaction again: %v", err)
	}
	bad, err := n.clients[1].BroadcastTxSync(n.ctx, types.Tx("no-equals-sign-"+p))
	if err != nil || bad.Code != kvInvalidTxFormat {
		t.Errorf("broadcast_tx_sync of an invalid transaction: %+v %v", bad, err)
	}
	ares, err := n.clients[fullNode].BroadcastTxAsync(n.ctx, async)
	if err != nil || !bytes.Equal(ares.Hash, async.Hash()) {
		t.Fatalf("broadcast_tx_async: %+v %v", ares, err)
	}
	cres, err := n.clients[2].BroadcastTxCommit(n.ctx, commit)
	if err != nil {
		t.Fatalf("broadcast_tx_commit: %v", err)
	}
	if cres.CheckTx.Code != abci.CodeTypeOK || cres.CheckTx.GasWanted != 1 || cres.Height <= 0 || !bytes.Equal(cres.Hash, commit.Hash()) {
		t.Errorf("broadcast_tx_commit: %+v", cres)
	}
	checkKVResult(t, "broadcast_tx_commit", cres.TxResult, "commit-"+p, "c1")

	for _, c := range []struct {
		tx         types.Tx
		key, value string
	}{{sync, "sync-" + p, "s1"}, {async, "async-" + p, "a1"}, {commit, "commit-" + p, "c1"}} {
		for i := range n.clients {
			got := n.waitTx(t, i, c.tx)
			checkTxResult(t, n, i, got, c.tx)
			checkKVResult(t, fmt.Sprintf("node %d tx %s", i, c.key), got.TxResult, c.key, c.value)
			if bytes.Equal(c.tx, commit) && got.Height != cres.Height {
				t.Errorf("node %d: tx says height %d, broadcast_tx_commit said %d", i, got.Height, cres.Height)
			}
			checkQuery(t, n, i, c.key, c.value, got.Height)
		}
	}
	if _, err := n.clients[0].Tx(n.ctx, types.Tx("never-sent").Hash(), false); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("tx of an unknown hash: %v", err)
	}
}

// checkTxResult checks a tx answer against the block it names: the
// transaction is there at that index, its proof verifies against the data
// hash, and block_results holds the same result.
func checkTxResult(t *testing.T, n *rpcNet, i int, got *coretypes.ResultTx, tx types.Tx) {
	t.Helper()
	if !bytes.Equal(got.Tx, tx) || !bytes.Equal(got.Hash, tx.Hash()) {
		t.Fatalf("node %d tx %X: got %q (hash %X)", i, tx.Hash(), got.Tx, got.Hash)
	}
	b, err := n.clients[i].Block(n.ctx, &got.Height)
	if err != nil {
		t.Fatal(err)
	}
	if int(got.Index) >= len(b.Block.Txs) || !bytes.Equal(b.Block.Txs[got.Index], tx) {
		t.Fatalf("node %d: tx says %q is transaction %d of block %d, which holds %q", i, tx, got.Index, got.Height, b.Block.Txs)
	}
	if err := got.Proof.Validate(b.Block.DataHash); err != nil {
		t.Errorf("node %d: the proof of %q does not verify against block %d's data hash: %v", i, tx, got.Height, err)
	}
	if !bytes.Equal(got.Proof.Data, tx) {
		t.Errorf("node %d: the proof of %q proves %q", i, tx, got.Proof.Data)
	}
	res, err := n.clients[i].BlockResults(n.ctx, &got.Height)
	if err != nil {
		t.Fatal(err)
	}
	want, err := res.TxsResults[got.Index].Marshal()
	if err != nil {
		t.Fatal(err)
	}
	have, err := got.TxResult.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, have) {
		t.Errorf("node %d: tx %q result %+v, block_results %+v", i, tx, got.TxResult, res.TxsResults[got.Index])
	}
}

// checkQuery checks abci_query for key on node i, plain and with the
// options CometBFT's client sends (prove, height).
func checkQuery(t *testing.T, n *rpcNet, i int, key, value string, txHeight int64) {
	t.Helper()
	q, err := n.clients[i].ABCIQuery(n.ctx, "", []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	r := q.Response
	if r.Code != abci.CodeTypeOK || string(r.Value) != value || string(r.Key) != key || r.Log != "exists" || r.Height < txHeight {
		t.Errorf("node %d abci_query %s: %+v (tx at height %d)", i, key, r, txHeight)
	}
	opts := rpcclient.ABCIQueryOptions{Height: txHeight, Prove: true}
	q, err = n.clients[i].ABCIQueryWithOptions(n.ctx, "", []byte(key), opts)
	if err != nil {
		t.Fatal(err)
	}
	// kvstore answers with its latest state whatever the height, and
	// with index -1 when asked for a proof.
	r = q.Response
	if string(r.Value) != value || r.Index != -1 || r.Height < txHeight {
		t.Errorf("node %d abci_query %s prove height %d: %+v", i, key, txHeight, r)
	}
	q, err = n.clients[i].ABCIQuery(n.ctx, "", []byte("no-such-key"))
	if err != nil || q.Response.Value != nil || q.Response.Log != "does not exist" {
		t.Errorf("node %d abci_query of a missing key: %+v %v", i, q, err)
	}
}

// testCheckTx checks check_tx: the app's verdict without the mempool.
func testCheckTx(t *testing.T, n *rpcNet) {
	for i, cl := range n.clients {
		tx := kvTx(fmt.Sprintf("check-%s-%d", n.protocol, i), "x")
		res, err := cl.CheckTx(n.ctx, tx)
		if err != nil || res.Code != abci.CodeTypeOK || res.GasWanted != 1 {
			t.Errorf("node %d check_tx of a valid transaction: %+v %v", i, res, err)
		}
		res, err = cl.CheckTx(n.ctx, types.Tx("a=b=c"))
		if err != nil || res.Code != kvInvalidTxFormat {
			t.Errorf("node %d check_tx of an invalid transaction: %+v %v", i, res, err)
		}
		// check_tx leaves the mempool alone: the same transaction is
		// still new to broadcast_tx_sync.
		if _, err := cl.CheckTx(n.ctx, tx); err != nil {
			t.Errorf("node %d check_tx again: %v", i, err)
		}
		if r, err := cl.BroadcastTxSync(n.ctx, tx); err != nil || r.Code != abci.CodeTypeOK {
			t.Errorf("node %d broadcast_tx_sync after check_tx: %+v %v", i, r, err)
		}
	}
}

// testBatchAndEdges sends a JSON-RPC batch with CometBFT's Go client, asks
// for hashes that no block has, and sends transactions kvstore refuses
// through broadcast_tx_commit and broadcast_tx_async.
func testBatchAndEdges(t *testing.T, n *rpcNet) {
	cl := n.clients[fullNode]
	batch := cl.NewBatch()
	h := int64(2)
	st, err1 := batch.Status(n.ctx)
	blk, err2 := batch.Block(n.ctx, &h)
	info, err3 := batch.ABCIInfo(n.ctx)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			t.Fatal(err)
		}
	}
	results, err := batch.Send(n.ctx)
	if err != nil || len(results) != 3 {
		t.Fatalf("batch: %d results, %v", len(results), err)
	}
	if st.SyncInfo.LatestBlockHeight < h || blk.Block.Height != h || info.Response.LastBlockHeight < h {
		t.Errorf("batch answers: status at %d, block %d, app at %d", st.SyncInfo.LatestBlockHeight, blk.Block.Height, info.Response.LastBlockHeight)
	}
	single, err := cl.Block(n.ctx, &h)
	if err != nil || !single.BlockID.Equals(blk.BlockID) {
		t.Errorf("block %d in a batch is %v, alone %v (%v)", h, blk.BlockID, single.BlockID, err)
	}

	unknown := bytes.Repeat([]byte{0xAB}, 32)
	if b, err := cl.BlockByHash(n.ctx, unknown); err != nil || b.Block != nil {
		t.Errorf("block_by_hash of an unknown hash: %+v %v", b, err)
	}
	if hdr, err := cl.HeaderByHash(n.ctx, unknown); err != nil || hdr.Header != nil {
		t.Errorf("header_by_hash of an unknown hash: %+v %v", hdr, err)
	}

	// A transaction the app refuses: broadcast_tx_commit answers with the
	// check at once, without waiting for a block.
	bad := types.Tx("refused-" + n.protocol)
	res, err := cl.BroadcastTxCommit(n.ctx, bad)
	if err != nil || res.CheckTx.Code != kvInvalidTxFormat || res.Height != 0 || !bytes.Equal(res.Hash, bad.Hash()) {
		t.Errorf("broadcast_tx_commit of a refused transaction: %+v %v", res, err)
	}
	// broadcast_tx_async answers before the check; the refused
	// transaction never reaches the mempool.
	async := types.Tx("refused-async-" + n.protocol)
	if r, err := cl.BroadcastTxAsync(n.ctx, async); err != nil || !bytes.Equal(r.Hash, async.Hash()) {
		t.Errorf("broadcast_tx_async of a refused transaction: %+v %v", r, err)
	}
	unconfirmed, err := cl.UnconfirmedTxs(n.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range unconfirmed.Txs {
		if bytes.Equal(tx, async) || bytes.Equal(tx, bad) {
			t.Errorf("the mempool holds refused transaction %q", tx)
		}
	}
}
