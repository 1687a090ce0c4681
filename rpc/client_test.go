package rpc

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/state/statetest"
)

func newClient(t *testing.T, tn *testNode) *rpchttp.HTTP {
	t.Helper()
	c, err := rpchttp.New(tn.url, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitFor polls cond until it holds; it fails the test after a generous
// bound that only a hang would reach.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCometBFTClientInfoRoutes drives the read routes through CometBFT's Go
// client and checks what it decodes against the stored chain.
func TestCometBFTClientInfoRoutes(t *testing.T) {
	tn := newTestNode(t, nil)
	c := newClient(t, tn)
	ctx := context.Background()
	b4 := tn.blocks[txBlock-1]

	if _, err := c.Health(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.SyncInfo.LatestBlockHeight != chainHeight || st.SyncInfo.EarliestBlockHeight != 1 ||
		!bytes.Equal(st.SyncInfo.LatestBlockHash, tn.blocks[chainHeight-1].Hash()) ||
		st.ValidatorInfo.VotingPower != 10 || !st.TxIndexEnabled() || st.NodeInfo.Network != statetest.ChainID {
		t.Errorf("status: %+v", st)
	}
	ni, err := c.NetInfo(ctx)
	if err != nil || !ni.Listening || ni.NPeers != 0 {
		t.Errorf("net_info: %+v %v", ni, err)
	}
	bc, err := c.BlockchainInfo(ctx, 0, 0)
	if err != nil || bc.LastHeight != chainHeight || len(bc.BlockMetas) != chainHeight || bc.BlockMetas[0].Header.Height != chainHeight {
		t.Errorf("blockchain: %+v %v", bc, err)
	}
	gen, err := c.Genesis(ctx)
	if err != nil || gen.Genesis.ChainID != statetest.ChainID || len(gen.Genesis.Validators) != 1 {
		t.Errorf("genesis: %+v %v", gen, err)
	}
	chunk, err := c.GenesisChunked(ctx, 0)
	if err != nil || chunk.TotalChunks != 1 {
		t.Fatalf("genesis_chunked: %+v %v", chunk, err)
	}
	raw, _ := base64.StdEncoding.DecodeString(chunk.Data)
	want, _ := cmtjson.Marshal(tn.env.Genesis)
	if !bytes.Equal(raw, want) {
		t.Error("genesis_chunked does not carry the genesis document")
	}
	h := int64(txBlock)
	blk, err := c.Block(ctx, &h)
	if err != nil || !bytes.Equal(blk.Block.Hash(), b4.Hash()) || len(blk.Block.Txs) != 3 {
		t.Errorf("block: %v", err)
	}
	byHash, err := c.BlockByHash(ctx, b4.Hash())
	if err != nil || byHash.Block.Height != txBlock {
		t.Errorf("block_by_hash: %v", err)
	}
	missing, err := c.BlockByHash(ctx, make([]byte, 32))
	if err != nil || missing.Block != nil {
		t.Errorf("block_by_hash of an unknown hash: %+v %v", missing, err)
	}
	hdr, err := c.Header(ctx, &h)
	if err != nil || hdr.Header.Height != txBlock {
		t.Errorf("header: %v", err)
	}
	hdr, err = c.HeaderByHash(ctx, b4.Hash())
	if err != nil || hdr.Header == nil || hdr.Header.Height != txBlock {
		t.Errorf("header_by_hash: %v", err)
	}
	com, err := c.Commit(ctx, &h)
	if err != nil || !com.CanonicalCommit || com.Commit.Height != txBlock {
		t.Errorf("commit: %+v %v", com, err)
	}
	vals, _ := tn.env.States.LoadValidators(txBlock)
	if err := vals.VerifyCommitLight(statetest.ChainID, com.Commit.BlockID, txBlock, com.Commit); err != nil {
		t.Errorf("the commit of %d does not verify: %v", txBlock, err)
	}
	latest, err := c.Commit(ctx, nil)
	if err != nil || latest.CanonicalCommit || latest.Commit.Height != chainHeight {
		t.Errorf("latest commit: %+v %v", latest, err)
	}
	res, err := c.BlockResults(ctx, &h)
	if err != nil || len(res.TxsResults) != 3 || res.TxsResults[0].Events[0].Type != "app" {
		t.Errorf("block_results: %+v %v", res, err)
	}
	vs, err := c.Validators(ctx, nil, nil, nil)
	if err != nil || vs.Total != 1 || vs.BlockHeight != chainHeight+1 || vs.Validators[0].VotingPower != 10 {
		t.Errorf("validators: %+v %v", vs, err)
	}
	cp, err := c.ConsensusParams(ctx, &h)
	if err != nil || cp.BlockHeight != txBlock || cp.ConsensusParams.Block.MaxBytes == 0 {
		t.Errorf("consensus_params: %+v %v", cp, err)
	}
	cs, err := c.ConsensusState(ctx)
	if err != nil || !strings.Contains(string(cs.RoundState), `"height/round/step":"6/0/1"`) {
		t.Errorf("consensus_state: %s %v", cs.RoundState, err)
	}
	dump, err := c.DumpConsensusState(ctx)
	if err != nil || !json.Valid(dump.RoundState) || len(dump.Peers) != 0 {
		t.Errorf("dump_consensus_state: %s %v", dump.RoundState, err)
	}
	info, err := c.ABCIInfo(ctx)
	if err != nil || info.Response.LastBlockHeight != chainHeight {
		t.Errorf("abci_info: %+v %v", info, err)
	}
	q, err := c.ABCIQueryWithOptions(ctx, "/store", []byte("name"), rpcclient.ABCIQueryOptions{Height: 3, Prove: true})
	if err != nil || string(q.Response.Key) != "name" || string(q.Response.Value) != "satoshi" {
		t.Errorf("abci_query: %+v %v", q, err)
	}
}

func TestCometBFTClientTxRoutes(t *testing.T) {
	tn := newTestNode(t, nil)
	c := newClient(t, tn)
	ctx := context.Background()
	b4 := tn.blocks[txBlock-1]
	commitTx := b4.Txs[2]

	tx, err := c.Tx(ctx, commitTx.Hash(), true)
	if err != nil {
		t.Fatal(err)
	}
	if tx.Height != txBlock || tx.Index != 2 || !bytes.Equal(tx.Tx, commitTx) {
		t.Errorf("tx: %+v", tx)
	}
	if err := tx.Proof.Validate(b4.DataHash); err != nil {
		t.Errorf("the tx proof does not verify against the block's data hash: %v", err)
	}
	bad := tx.Proof
	bad.Data = types.Tx("forged")
	if bad.Validate(b4.DataHash) == nil {
		t.Error("a proof for other data verifies")
	}
	page, perPage := 2, 2
	found, err := c.TxSearch(ctx, "app.index_key = 'index is working'", true, &page, &perPage, "desc")
	if err != nil {
		t.Fatal(err)
	}
	if found.TotalCount != 3 || len(found.Txs) != 1 || found.Txs[0].Index != 0 || found.Txs[0].Proof.Validate(b4.DataHash) != nil {
		t.Errorf("tx_search page 2 of 2 desc: %+v", found)
	}
	found, err = c.TxSearch(ctx, "app.key = 'commit' AND app.creator = 'Cosmoshi Netowoko'", false, nil, nil, "")
	if err != nil || found.TotalCount != 1 || !bytes.Equal(found.Txs[0].Hash, commitTx.Hash()) {
		t.Errorf("tx_search on one event: %+v %v", found, err)
	}
	blocks, err := c.BlockSearch(ctx, "reward.to = 'alice'", nil, nil, "")
	if err != nil || blocks.TotalCount != 1 || blocks.Blocks[0].Block.Height != 2 {
		t.Errorf("block_search: %+v %v", blocks, err)
	}
	blocks, err = c.BlockSearch(ctx, "block.height > 3", nil, nil, "")
	if err != nil || blocks.TotalCount != 2 || blocks.Blocks[0].Block.Height != 5 {
		t.Errorf("block_search default order is descending: %+v %v", blocks, err)
	}
}

func TestCometBFTClientMempoolRoutes(t *testing.T) {
	tn := newTestNode(t, nil)
	c := newClient(t, tn)
	ctx := context.Background()
	res, err := c.BroadcastTxSync(ctx, types.Tx("k=v"))
	if err != nil || res.Code != 0 || !bytes.Equal(res.Hash, types.Tx("k=v").Hash()) {
		t.Errorf("broadcast_tx_sync: %+v %v", res, err)
	}
	res, err = c.BroadcastTxSync(ctx, types.Tx("bad"))
	if err != nil || res.Code != 2 {
		t.Errorf("rejected tx: %+v %v", res, err)
	}
	if _, err := c.BroadcastTxSync(ctx, types.Tx("k=v")); err == nil || !strings.Contains(err.Error(), "tx already exists in cache") {
		t.Errorf("duplicate: %v", err)
	}
	res, err = c.BroadcastTxAsync(ctx, types.Tx("a=1"))
	if err != nil || res.Code != 0 {
		t.Errorf("broadcast_tx_async: %+v %v", res, err)
	}
	chk, err := c.CheckTx(ctx, types.Tx("c=1"))
	if err != nil || chk.Code != 0 || chk.GasWanted != 1 {
		t.Errorf("check_tx: %+v %v", chk, err)
	}
	limit := 2
	un, err := c.UnconfirmedTxs(ctx, &limit)
	if err != nil || un.Count != 2 || un.Total != 3 || un.TotalBytes != int64(len("post=json")+len("k=v")+len("a=1")) {
		t.Errorf("unconfirmed_txs: %+v %v", un, err)
	}
	n, err := c.NumUnconfirmedTxs(ctx)
	if err != nil || n.Total != 3 || n.Txs != nil {
		t.Errorf("num_unconfirmed_txs: %+v %v", n, err)
	}
	tn.mempool.include = func(tx types.Tx) {
		tn.env.EventBus.PublishEventTx(types.EventDataTx{TxResult: abci.TxResult{Height: 6, Tx: tx, Result: *kvResult(tx)}})
	}
	com, err := c.BroadcastTxCommit(ctx, types.Tx("commit=now"))
	if err != nil || com.Height != 6 || com.CheckTx.Code != 0 || com.TxResult.Events[1].Attributes[1].Value != "now" {
		t.Errorf("broadcast_tx_commit: %+v %v", com, err)
	}
	com, err = c.BroadcastTxCommit(ctx, types.Tx("bad=commit"))
	if err != nil || com.CheckTx.Code != 2 || com.Height != 0 {
		t.Errorf("broadcast_tx_commit of a rejected tx: %+v %v", com, err)
	}
}

func TestCometBFTClientUnsafeAndEvidence(t *testing.T) {
	tn := newTestNode(t, nil)
	c := newClient(t, tn)
	ctx := context.Background()
	var seeds, peers struct {
		Log string `json:"log"`
	}
	// The Go client has no methods for the unsafe routes; call them by name
	// with its JSON-RPC client.
	raw, err := jsonrpcclient.New(tn.url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Call(ctx, "dial_seeds", map[string]any{"seeds": []string{"id1@127.0.0.1:26656"}}, &seeds); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Call(ctx, "dial_peers", map[string]any{"peers": []string{"id2@127.0.0.1:26656"}, "persistent": true}, &peers); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(tn.p2p.dials) != "[id1@127.0.0.1:26656 id2@127.0.0.1:26656 persistent=true unconditional=false private=false]" {
		t.Errorf("dials: %v", tn.p2p.dials)
	}
	if !strings.Contains(peers.Log, "Dialing peers in progress") {
		t.Errorf("dial_peers log: %q", peers.Log)
	}
	var flushed struct{}
	if _, err := raw.Call(ctx, "unsafe_flush_mempool", map[string]any{}, &flushed); err != nil || tn.mempool.Size() != 0 {
		t.Errorf("unsafe_flush_mempool: %v, %d left", err, tn.mempool.Size())
	}

	ev, err := types.NewMockDuplicateVoteEvidence(3, statetest.GenesisTime, statetest.ChainID)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.BroadcastEvidence(ctx, ev)
	if err != nil || !bytes.Equal(res.Hash, ev.Hash()) || len(tn.evid.got) != 1 {
		t.Fatalf("broadcast_evidence: %+v %v", res, err)
	}
	ev.VoteB = ev.VoteA // no longer a duplicate vote
	if _, err := c.BroadcastEvidence(ctx, ev); err == nil || !strings.Contains(err.Error(), "evidence.ValidateBasic failed") {
		t.Errorf("invalid evidence: %v", err)
	}
}

// TestCometBFTClientSubscriptions subscribes through the client's websocket
// and checks that events published on the bus arrive.
func TestCometBFTClientSubscriptions(t *testing.T) {
	tn := newTestNode(t, nil)
	c := newClient(t, tn)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	ctx := context.Background()
	blocks, err := c.Subscribe(ctx, "test", types.EventQueryNewBlock.String())
	if err != nil {
		t.Fatal(err)
	}
	txs, err := c.Subscribe(ctx, "test", "tm.event = 'Tx' AND app.key = 'ws'")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two subscriptions", func() bool { return tn.env.EventBus.NumClients() == 1 && subscriptions(tn) == 2 })

	b5 := tn.blocks[chainHeight-1]
	if err := tn.env.EventBus.PublishEventNewBlock(types.EventDataNewBlock{Block: b5, BlockID: types.BlockID{Hash: b5.Hash()}}); err != nil {
		t.Fatal(err)
	}
	for _, tx := range []string{"other=1", "ws=yes"} {
		if err := tn.env.EventBus.PublishEventTx(types.EventDataTx{TxResult: abci.TxResult{Height: 6, Tx: types.Tx(tx), Result: *kvResult(types.Tx(tx))}}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case ev := <-blocks:
		if ev.Data.(types.EventDataNewBlock).Block.Height != chainHeight {
			t.Errorf("NewBlock event: %+v", ev)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no NewBlock event")
	}
	select {
	case ev := <-txs:
		if string(ev.Data.(types.EventDataTx).Tx) != "ws=yes" || ev.Events["tx.hash"][0] != fmt.Sprintf("%X", types.Tx("ws=yes").Hash()) {
			t.Errorf("Tx event: %+v", ev)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no Tx event")
	}
	if err := c.Unsubscribe(ctx, "test", types.EventQueryNewBlock.String()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "one subscription left", func() bool { return subscriptions(tn) == 1 })
	if err := c.UnsubscribeAll(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "no subscriber left", func() bool { return tn.env.EventBus.NumClients() == 0 })
}

// subscriptions counts the websocket client's subscriptions on the bus.
func subscriptions(tn *testNode) int {
	tn.srv.conns.mu.Lock()
	defer tn.srv.conns.mu.Unlock()
	n := 0
	for addr := range tn.srv.conns.conns {
		n += tn.env.EventBus.NumClientSubscriptions(addr)
	}
	return n
}

// /status names the consensus protocol and the protocol schedule in
// node_info.other, beside CometBFT's keys.
func TestStatusNamesTheProtocolAndSchedule(t *testing.T) {
	tn := newTestNode(t, nil)
	code, body := tn.get(t, "/status")
	var res struct {
		Result struct {
			NodeInfo struct {
				Other map[string]string `json:"other"`
			} `json:"node_info"`
		} `json:"result"`
	}
	if err := json.Unmarshal(body, &res); code != 200 || err != nil {
		t.Fatalf("/status: %d %v %s", code, err, body)
	}
	other := res.Result.NodeInfo.Other
	if other["consensus_protocol"] != "tendermint" || other["protocol_schedule"] != "tendermint,pbft@100" || other["tx_index"] != "on" {
		t.Errorf("node_info.other = %v", other)
	}
}
