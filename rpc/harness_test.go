package rpc

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	"github.com/cometbft/cometbft/p2p"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/indexer"
	"github.com/bftnode/bftnode/mempool"
	"github.com/bftnode/bftnode/state/statetest"
	"github.com/bftnode/bftnode/store"
)

// The test chain has chainHeight blocks; block txBlock holds the three
// transactions of kvTxs, the others none. Its only validator has power 10.
const (
	chainHeight = 5
	txBlock     = 4
)

var kvTxs = []string{"name=satoshi", "async=1", "commit=yes"}

// kvEvents are the events CometBFT's kvstore example app emits for key=value.
func kvEvents(key, value string) []abci.Event {
	ev := func(creator, k string) abci.Event {
		return abci.Event{Type: "app", Attributes: []abci.EventAttribute{
			{Key: "creator", Value: creator, Index: true},
			{Key: "key", Value: k, Index: true},
			{Key: "index_key", Value: "index is working", Index: true},
			{Key: "noindex_key", Value: "index is working", Index: false},
		}}
	}
	return []abci.Event{ev("Cosmoshi Netowoko", key), ev("Cosmoshi", value)}
}

func kvResult(tx types.Tx) *abci.ExecTxResult {
	k, v, _ := strings.Cut(string(tx), "=")
	return &abci.ExecTxResult{Events: kvEvents(k, v)}
}

// fakeApp answers like the kvstore example app.
type fakeApp struct{}

func (fakeApp) Query(_ context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	return &abci.ResponseQuery{Log: "exists", Key: req.Data, Value: []byte("satoshi"), Height: chainHeight}, nil
}

func (fakeApp) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	return &abci.ResponseInfo{Data: `{"size":3}`, Version: "2.0.0", AppVersion: 1, LastBlockHeight: chainHeight, LastBlockAppHash: []byte{6, 0, 0, 0, 0, 0, 0, 0}}, nil
}

// CheckTx refuses transactions containing "bad" with code 2.
func (fakeApp) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	if strings.Contains(string(req.Tx), "bad") {
		return &abci.ResponseCheckTx{Code: 2}, nil
	}
	return &abci.ResponseCheckTx{GasWanted: 1}, nil
}

// fakeMempool keeps admitted transactions; include, when set, is called
// for each one the app accepted, as a block would include it.
type fakeMempool struct {
	mu      sync.Mutex
	seen    map[string]bool
	txs     types.Txs
	include func(tx types.Tx)
	hold    chan struct{} // when set, answers wait for it to close
	// flushErr, when set, is what Flush fails with.
	flushErr error
}

func newFakeMempool(txs ...string) *fakeMempool {
	m := &fakeMempool{seen: map[string]bool{}}
	for _, tx := range txs {
		m.seen[tx] = true
		m.txs = append(m.txs, types.Tx(tx))
	}
	return m
}

func (m *fakeMempool) CheckTxAsync(tx types.Tx) (<-chan mempool.CheckResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[string(tx)] {
		return nil, mempool.ErrTxInCache
	}
	m.seen[string(tx)] = true
	res, _ := fakeApp{}.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx})
	ch := make(chan mempool.CheckResult, 1)
	deliver := func() {
		ch <- mempool.CheckResult{Response: res}
		if res.Code == abci.CodeTypeOK && m.include != nil {
			m.include(tx)
		}
	}
	if res.Code == abci.CodeTypeOK {
		m.txs = append(m.txs, tx)
	}
	if m.hold != nil {
		go func() { <-m.hold; deliver() }()
	} else {
		deliver()
	}
	return ch, nil
}

func (m *fakeMempool) Size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.txs)
}

func (m *fakeMempool) SizeBytes() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, tx := range m.txs {
		n += len(tx)
	}
	return int64(n)
}

func (m *fakeMempool) Txs(limit int) types.Txs {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append(types.Txs(nil), m.txs[:min(limit, len(m.txs))]...)
}

func (m *fakeMempool) Flush() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.flushErr != nil {
		return m.flushErr
	}
	m.txs = nil
	return nil
}

type fakeP2P struct {
	mu    sync.Mutex
	dials []string
}

func (*fakeP2P) NodeInfo() p2p.DefaultNodeInfo {
	return p2p.DefaultNodeInfo{
		ProtocolVersion: p2p.NewProtocolVersion(8, 11, 1),
		DefaultNodeID:   "1d2b0f2a0b5c6e1f8e2d3c4b5a69788796a5b4c3",
		ListenAddr:      "tcp://0.0.0.0:26656",
		Network:         statetest.ChainID,
		Version:         "0.38.26",
		Channels:        cmtbytes.HexBytes{0x40, 0x20, 0x21},
		Moniker:         "test",
		Other:           p2p.DefaultNodeInfoOther{TxIndex: "on", RPCAddress: "tcp://127.0.0.1:26657"},
	}
}

func (*fakeP2P) Listening() (bool, []string) { return true, []string{"Listener(@)"} }
func (*fakeP2P) Peers() []coretypes.Peer     { return nil }

func (f *fakeP2P) DialSeeds(seeds []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dials = append(f.dials, seeds...)
	return nil
}

func (f *fakeP2P) DialPeers(peers []string, persistent, unconditional, private bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range peers {
		f.dials = append(f.dials, fmt.Sprintf("%s persistent=%v unconditional=%v private=%v", p, persistent, unconditional, private))
	}
	return nil
}

type fakeConsensus struct{}

func (fakeConsensus) IsCatchingUp() bool { return false }
func (fakeConsensus) RoundState() RoundState {
	return RoundState{Protocol: "tendermint", HeightRoundStep: "6/0/1", StartTime: statetest.GenesisTime,
		Votes: []RoundVotes{{Prevotes: []string{"nil-Vote"}, PrevotesBitArray: "BA{1:_} 0/10 = 0.00", Precommits: []string{"nil-Vote"}, PrecommitsBitArray: "BA{1:_} 0/10 = 0.00"}}}
}
func (fakeConsensus) PeerStates() []coretypes.PeerStateInfo { return nil }
func (fakeConsensus) Protocol() (string, string)            { return "tendermint", "tendermint,pbft@100" }

type fakeEvidence struct {
	mu  sync.Mutex
	got []types.Evidence
}

func (f *fakeEvidence) AddEvidence(ev types.Evidence) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, ev)
	return nil
}

// testNode is a server over a stored chain with fakes for the rest.
type testNode struct {
	env     *Env
	srv     *Server
	url     string // http://127.0.0.1:port
	mempool *fakeMempool
	p2p     *fakeP2P
	evid    *fakeEvidence
	index   *indexer.Indexer
	blocks  []*types.Block
}

func testConfig() config.RPCConfig {
	cfg := config.DefaultConfig().RPC
	cfg.ListenAddress = "tcp://127.0.0.1:0"
	cfg.Unsafe = true
	cfg.TimeoutBroadcastTxCommit = 5 * time.Second
	return cfg
}

// newTestNode stores the test chain and serves it with cfg (testConfig when
// nil); adjust runs before the server starts.
func newTestNode(t testing.TB, adjust func(*config.RPCConfig, *Env)) *testNode {
	t.Helper()
	dir := t.TempDir()
	bs, err := store.OpenBlockStore(filepath.Join(dir, "blockstore.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bs.Close() })
	ss, err := store.OpenStateStore(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	idx, err := indexer.Open(filepath.Join(dir, "tx_index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })

	gen, keys := statetest.Genesis(10)
	if err := gen.ValidateAndComplete(); err != nil {
		t.Fatal(err)
	}
	s, _ := statetest.GenesisState(t, 10)
	s.Version.Consensus.App = 1 // as the kvstore app reports it in the handshake
	if err := ss.Save(s); err != nil {
		t.Fatal(err)
	}
	tn := &testNode{mempool: newFakeMempool("post=json"), p2p: &fakeP2P{}, evid: &fakeEvidence{}, index: idx}
	var lastCommit *types.Commit
	for h := int64(1); h <= chainHeight; h++ {
		var txs []types.Tx
		resp := &abci.ResponseFinalizeBlock{AppHash: []byte{byte(h), 0, 0, 0, 0, 0, 0, 0}}
		if h == txBlock {
			for _, tx := range kvTxs {
				txs = append(txs, types.Tx(tx))
				resp.TxResults = append(resp.TxResults, kvResult(types.Tx(tx)))
			}
		}
		if h == 2 {
			resp.Events = []abci.Event{{Type: "reward", Attributes: []abci.EventAttribute{{Key: "to", Value: "alice", Index: true}}}}
		}
		step := statetest.NextBlock(t, s, keys, lastCommit, txs, resp)
		if err := bs.SaveBlock(step.Block, step.Parts, step.Commit); err != nil {
			t.Fatal(err)
		}
		if err := ss.SaveFinalizeBlockResponse(h, step.Response); err != nil {
			t.Fatal(err)
		}
		if err := ss.Save(step.After); err != nil {
			t.Fatal(err)
		}
		if err := idx.Index(h, step.Block.Txs, step.Response); err != nil {
			t.Fatal(err)
		}
		tn.blocks = append(tn.blocks, step.Block)
		s, lastCommit = step.After, step.Commit
	}
	bus := types.NewEventBus()
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Stop() })
	tn.env = &Env{
		Genesis: gen, Blocks: bs, States: ss, EventBus: bus,
		TxIndexer: idx, BlockIndexer: idx,
		Mempool: tn.mempool, App: fakeApp{}, P2P: tn.p2p, Consensus: fakeConsensus{}, Evidence: tn.evid,
		PubKey: statetest.Key(0).PubKey(),
	}
	cfg := testConfig()
	if adjust != nil {
		adjust(&cfg, tn.env)
	}
	srv, err := Start(context.Background(), cfg, tn.env, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	tn.srv = srv
	tn.url = "http://" + srv.Addr().String()
	return tn
}

// get fetches url path and returns status and body.
func (tn *testNode) get(t testing.TB, path string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(tn.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// post sends body to / and returns status and body.
func (tn *testNode) post(t testing.TB, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(tn.url+"/", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// routesConfig is the configuration the server's routes run with.
func (s *Server) routesConfig() config.RPCConfig { return s.cfg }
