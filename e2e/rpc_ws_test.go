package e2e

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"
)

// eventWait bounds the wait for one event; blocks come at least every
// empty-block interval.
const eventWait = 30 * time.Second

// testSubscriptions subscribes with CometBFT's Go client to NewBlock,
// NewBlockHeader, NewBlockEvents and to Tx by hash and by an app event
// attribute, sends the transaction and checks each event against the
// chain.
func testSubscriptions(t *testing.T, n *rpcNet) {
	cl, err := rpchttp.New("http://"+n.Nodes[1].RPCAddr, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Start(); err != nil {
		t.Fatal(err)
	}
	defer cl.Stop()
	tx := kvTx("ws-"+n.protocol, "wsv-"+n.protocol)
	queries := map[string]string{
		"block":  types.EventQueryNewBlock.String(),
		"header": types.EventQueryNewBlockHeader.String(),
		"events": types.EventQueryNewBlockEvents.String(),
		"txhash": fmt.Sprintf("tm.event='Tx' AND tx.hash='%X'", tx.Hash()),
		"txattr": fmt.Sprintf("tm.event='Tx' AND app.key='ws-%s'", n.protocol),
	}
	subs := map[string]<-chan coretypes.ResultEvent{}
	for name, q := range queries {
		ch, err := cl.Subscribe(n.ctx, "e2e", q, 100)
		if err != nil {
			t.Fatalf("subscribe %q: %v", q, err)
		}
		subs[name] = ch
	}
	if res, err := n.clients[2].BroadcastTxSync(n.ctx, tx); err != nil || res.Code != abci.CodeTypeOK {
		t.Fatalf("broadcast_tx_sync: %+v %v", res, err)
	}
	committed := n.waitTx(t, 1, tx)
	for _, name := range []string{"txhash", "txattr"} {
		ev := nextEvent(t, n, subs[name], queries[name])
		data, ok := ev.Data.(types.EventDataTx)
		if !ok {
			t.Fatalf("%s event carries %T", name, ev.Data)
		}
		if !bytes.Equal(data.Tx, tx) || data.Height != committed.Height || data.Index != committed.Index {
			t.Errorf("%s event: %q at %d/%d, tx says %d/%d", name, data.Tx, data.Height, data.Index, committed.Height, committed.Index)
		}
		checkKVResult(t, name+" event", data.Result, "ws-"+n.protocol, "wsv-"+n.protocol)
		if got := ev.Events["tx.hash"]; len(got) != 1 || got[0] != fmt.Sprintf("%X", tx.Hash()) {
			t.Errorf("%s event's tx.hash: %v", name, got)
		}
	}
	checkBlockEvents(t, n, subs, queries)
	for _, q := range []string{queries["block"], queries["txhash"]} {
		if err := cl.Unsubscribe(n.ctx, "e2e", q); err != nil {
			t.Errorf("unsubscribe %q: %v", q, err)
		}
	}
	if err := cl.UnsubscribeAll(n.ctx, "e2e"); err != nil {
		t.Errorf("unsubscribe_all: %v", err)
	}
}

// checkBlockEvents reads two consecutive NewBlock, NewBlockHeader and
// NewBlockEvents events and compares them with block and block_results.
func checkBlockEvents(t *testing.T, n *rpcNet, subs map[string]<-chan coretypes.ResultEvent, queries map[string]string) {
	t.Helper()
	var last int64
	for k := 0; k < 2; k++ {
		ev := nextEvent(t, n, subs["block"], queries["block"])
		nb, ok := ev.Data.(types.EventDataNewBlock)
		if !ok {
			t.Fatalf("NewBlock event carries %T", ev.Data)
		}
		h := nb.Block.Height
		if last != 0 && h != last+1 {
			t.Errorf("NewBlock for %d after %d", h, last)
		}
		last = h
		b, err := n.clients[1].Block(n.ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		if !nb.BlockID.Equals(b.BlockID) || !bytes.Equal(nb.Block.Hash(), b.BlockID.Hash) {
			t.Errorf("NewBlock %d: block_id %v, block says %v", h, nb.BlockID, b.BlockID)
		}
		res, err := n.clients[1].BlockResults(n.ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(nb.ResultFinalizeBlock.AppHash, res.AppHash) || len(nb.ResultFinalizeBlock.TxResults) != len(b.Block.Txs) {
			t.Errorf("NewBlock %d: finalize app hash %X with %d results, block_results %X, %d txs", h, nb.ResultFinalizeBlock.AppHash, len(nb.ResultFinalizeBlock.TxResults), res.AppHash, len(b.Block.Txs))
		}
	}
	for {
		ev := nextEvent(t, n, subs["header"], queries["header"])
		hdr, ok := ev.Data.(types.EventDataNewBlockHeader)
		if !ok {
			t.Fatalf("NewBlockHeader event carries %T", ev.Data)
		}
		h := hdr.Header.Height
		b, err := n.clients[1].Block(n.ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(hdr.Header.Hash(), b.BlockID.Hash) {
			t.Errorf("NewBlockHeader %d hashes to %X, block %X", h, hdr.Header.Hash(), b.BlockID.Hash)
		}
		if h >= last {
			break
		}
	}
	for {
		ev := nextEvent(t, n, subs["events"], queries["events"])
		be, ok := ev.Data.(types.EventDataNewBlockEvents)
		if !ok {
			t.Fatalf("NewBlockEvents event carries %T", ev.Data)
		}
		b, err := n.clients[1].Block(n.ctx, &be.Height)
		if err != nil {
			t.Fatal(err)
		}
		if be.NumTxs != int64(len(b.Block.Txs)) {
			t.Errorf("NewBlockEvents %d: num_txs %d, the block has %d", be.Height, be.NumTxs, len(b.Block.Txs))
		}
		if be.Height >= last {
			break
		}
	}
}

func nextEvent(t *testing.T, n *rpcNet, ch <-chan coretypes.ResultEvent, query string) coretypes.ResultEvent {
	t.Helper()
	select {
	case ev := <-ch:
		if ev.Query != query {
			t.Errorf("event for %q on the subscription to %q", ev.Query, query)
		}
		return ev
	case <-time.After(eventWait):
		t.Fatalf("no event for %q within %v\n%s", query, eventWait, n.LogTails(3000))
	}
	return coretypes.ResultEvent{}
}
