package rpc

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	rpcserver "github.com/cometbft/cometbft/rpc/jsonrpc/server"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
)

// fuzzMux is the server's mux over the test chain, without the recovery
// handler, so that a panic on any input fails the fuzz target.
func fuzzMux(f *testing.F) http.Handler {
	tn := newTestNode(f, nil)
	cfg := testConfig()
	cfg.TimeoutBroadcastTxCommit = 0
	s := &Server{conns: newConnTracker(), cfg: cfg}
	rt, err := newRoutes(tn.env, cfg, slog.New(slog.DiscardHandler), s.conns)
	if err != nil {
		f.Fatal(err)
	}
	return s.newMux(rt, transportConfig(cfg), slog.New(slog.DiscardHandler))
}

// checkAnswer fails unless body is a JSON-RPC answer (or a batch of them)
// whose status agrees with it carrying an error or not.
func checkAnswer(t *testing.T, status int, body []byte) {
	if status == http.StatusNotFound && string(body) == "404 page not found\n" {
		return
	}
	var one rpctypes.RPCResponse
	if err := json.Unmarshal(body, &one); err == nil {
		if status == http.StatusOK && one.Error == nil && one.Result == nil {
			t.Fatalf("status 200 without result or error: %s", body)
		}
		if status != http.StatusOK && one.Error == nil {
			t.Fatalf("status %d without an error: %s", status, body)
		}
		return
	}
	var many []rpctypes.RPCResponse
	if err := json.Unmarshal(body, &many); err != nil {
		t.Fatalf("status %d, not a JSON-RPC answer: %q", status, body)
	}
}

var fuzzRoutes = []string{
	"block", "header", "commit", "block_results", "validators", "consensus_params", "blockchain",
	"tx", "tx_search", "block_search", "block_by_hash", "header_by_hash", "abci_query", "check_tx",
	"broadcast_tx_sync", "broadcast_tx_async", "unconfirmed_txs", "genesis_chunked",
	"dial_peers", "dial_seeds", "broadcast_evidence", "broadcast_tx_commit",
}

// FuzzURIParams sends arbitrary query strings to the routes that take
// parameters: heights, hashes, queries, transaction bytes, pages.
func FuzzURIParams(f *testing.F) {
	seeds := []struct {
		route byte
		query string
	}{
		{0, "height=3"}, {0, "height=-1"}, {0, "height=99999999999999999999"}, {0, `height="3"`},
		{7, "hash=0xABCD"}, {7, `hash="q83v"&prove=true`}, {8, `query="tx.height>1 AND app.key='x'"&page=2&per_page=1&order_by="desc"`},
		{9, `query="block.height>=1"&page=-1`}, {10, "hash=0x00"}, {12, `path="/a"&data=0x6e61&height=2&prove=true`},
		{14, `tx="a=b"`}, {14, "tx=0xFF00"}, {6, "minHeight=1&maxHeight=0"}, {17, "chunk=18446744073709551615"},
		{18, `peers=["a@1.2.3.4:1"]&persistent=true`}, {20, `evidence={"type":"tendermint/DuplicateVoteEvidence"}`},
	}
	for _, s := range seeds {
		f.Add(s.route, s.query)
	}
	mux := fuzzMux(f)
	f.Fuzz(func(t *testing.T, route byte, query string) {
		target := "/" + fuzzRoutes[int(route)%len(fuzzRoutes)] + "?" + query
		req, err := http.NewRequest(http.MethodGet, "http://x"+target, nil)
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		checkAnswer(t, rec.Code, rec.Body.Bytes())
	})
}

// FuzzJSONRPC posts arbitrary bodies to the JSON-RPC endpoint, single
// requests and batches, with named and positional parameters.
func FuzzJSONRPC(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"block","params":{"height":"2"}}`,
		`{"jsonrpc":"2.0","id":"x","method":"tx_search","params":["tx.height=4",true,"1","5","asc"]}`,
		`[{"jsonrpc":"2.0","id":1,"method":"health"},{"jsonrpc":"2.0","id":2,"method":"validators","params":{"page":"0"}}]`,
		`{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":"////"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"header_by_hash","params":{"hash":"zz"}}`,
		`{"jsonrpc":"2.0","method":"health"}`, `[]`, `{`, `null`,
	} {
		f.Add(s)
	}
	mux := fuzzMux(f)
	tc := transportConfig(testConfig())
	handler := rpcserver.PreChecksHandler(mux, tc)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Body.Len() == 0 {
			return // notifications and empty bodies get no JSON answer
		}
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			return // an empty request lists the routes
		}
		checkAnswer(t, rec.Code, rec.Body.Bytes())
	})
}
