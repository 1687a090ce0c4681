package rpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"

	"github.com/bftnode/bftnode/config"
)

// rpcError decodes a JSON-RPC answer that must be an error.
func rpcError(t *testing.T, body []byte) *rpctypes.RPCError {
	t.Helper()
	var resp rpctypes.RPCResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("not a JSON-RPC answer: %v\n%s", err, body)
	}
	if resp.Error == nil {
		t.Fatalf("expected an error, got %s", body)
	}
	return resp.Error
}

func TestErrorsMatchReference(t *testing.T) {
	tn := newTestNode(t, nil)

	// GET of an unknown route: a plain 404.
	status, body := tn.get(t, "/no_such_route")
	if status != http.StatusNotFound || !bytes.Equal(body, reference(t, "err_method.json")) {
		t.Errorf("unknown route: %d %q", status, body)
	}
	// Beyond the chain: CometBFT's text with our height.
	want := bytes.Replace(reference(t, "err_height.json"), []byte("height 16"), []byte(fmt.Sprintf("height %d", chainHeight)), 1)
	if _, body := tn.get(t, "/block?height=99999"); !bytes.Equal(body, want) {
		t.Errorf("height beyond the chain:\n got %s\nwant %s", body, want)
	}
	// The same transaction twice.
	tn.get(t, `/broadcast_tx_sync?tx="dup=1"`)
	if _, body := tn.get(t, `/broadcast_tx_sync?tx="dup=1"`); !bytes.Equal(body, reference(t, "broadcast_tx_sync_dup.json")) {
		t.Errorf("duplicate tx: %s", body)
	}
}

func TestErrorCases(t *testing.T) {
	tn := newTestNode(t, nil)
	hash := strings.Repeat("AB", 32)
	cases := []struct {
		path string
		code int
		data string
	}{
		{"/block?height=0", -32603, "height must be greater than 0, but got 0"},
		{"/header?height=-3", -32603, "height must be greater than 0, but got -3"},
		{"/commit?height=6", -32603, "height 6 must be less than or equal to the current blockchain height 5"},
		{"/block_results?height=6", -32603, "height 6 must be less than or equal to the current blockchain height 5"},
		{"/validators?height=7", -32603, "height 7 must be less than or equal to the current blockchain height 6"},
		{"/block?height=abc", -32602, "error converting http params to arguments"},
		{"/validators?page=2", -32603, "page should be within [1, 1] range, given 2"},
		{"/validators?page=0", -32603, "page should be within [1, 1] range, given 0"},
		{"/tx?hash=0x" + hash, -32603, "tx (" + hash + ") not found"},
		{`/tx_search?query="tx.height=1"&order_by="up"`, -32603, "expected order_by to be either `asc` or `desc` or empty"},
		{`/tx_search?query="tx.height=4"&page=2`, -32603, "page should be within [1, 1] range, given 2"},
		{`/tx_search?query="tx.height=="`, -32603, "wanted number, timestamp, datestamp or string"},
		{`/tx_search?query="` + strings.Repeat("a", 513) + `"`, -32603, "maximum query length exceeded"},
		{`/block_search?query="block.height>1"&order_by="x"`, -32603, "expected order_by"},
		{"/blockchain?minHeight=4&maxHeight=2", -32603, "min height 4 can't be greater than max height 2"},
		{"/blockchain?minHeight=-1", -32603, "heights must be non-negative"},
		{"/genesis_chunked?chunk=1", -32603, "there are 0 chunks, 1 is invalid"},
		{`/dial_peers?peers=["1.2.3.4:26656"]`, -32603, "address (1.2.3.4:26656) does not contain ID"},
		{"/dial_seeds", -32603, "no seeds provided"},
		{"/broadcast_evidence", -32603, "no evidence was provided"},
		{`/subscribe?query="tm.event='NewBlock'"`, -32601, "Method not found"},
	}
	for _, c := range cases {
		_, body := tn.get(t, c.path)
		e := rpcError(t, body)
		if e.Code != c.code || !strings.Contains(e.Data+e.Message, c.data) {
			t.Errorf("%s: got %d %q %q, want %d containing %q", c.path, e.Code, e.Message, e.Data, c.code, c.data)
		}
	}
}

func TestJSONRPCErrors(t *testing.T) {
	tn := newTestNode(t, func(cfg *config.RPCConfig, _ *Env) {
		cfg.MaxBodyBytes = 2000
		cfg.MaxRequestBatchSize = 3
	})
	cases := []struct {
		name, body string
		code       int
		data       string
	}{
		{"unknown method", `{"jsonrpc":"2.0","id":1,"method":"nope"}`, -32601, ""},
		{"malformed JSON", `{"jsonrpc":"2.0","id":1,"method":`, -32700, "error unmarshaling request"},
		{"wrong param type", `{"jsonrpc":"2.0","id":1,"method":"block","params":{"height":"x"}}`, -32602, "error converting json params to arguments"},
		{"wrong param count", `{"jsonrpc":"2.0","id":1,"method":"block","params":["1","2"]}`, -32602, "expected 1 parameters ([height]), got 2"},
		{"websocket-only method", `{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["tm.event='Tx'"]}`, -32601, ""},
		{"oversized body", `{"jsonrpc":"2.0","id":1,"method":"check_tx","params":{"tx":"` + strings.Repeat("A", 3000) + `"}}`, -32600, "request body too large"},
	}
	for _, c := range cases {
		_, body := tn.post(t, c.body)
		e := rpcError(t, body)
		if e.Code != c.code || !strings.Contains(e.Data, c.data) {
			t.Errorf("%s: got %d %q %q, want %d with %q", c.name, e.Code, e.Message, e.Data, c.code, c.data)
		}
	}
	var batch []string
	for i := 0; i < 4; i++ {
		batch = append(batch, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"health"}`, i))
	}
	// CometBFT answers a refused batch with a single error object.
	_, body := tn.post(t, "["+strings.Join(batch, ",")+"]")
	if e := rpcError(t, body); e.Code != -32600 || e.Data != "batch request exceeds maximum (3) allowed number of requests" {
		t.Errorf("too large batch: %s", body)
	}
	var resps []rpctypes.RPCResponse
	_, body = tn.post(t, "["+strings.Join(batch[:3], ",")+"]")
	if err := json.Unmarshal(body, &resps); err != nil || len(resps) != 3 {
		t.Errorf("batch at the limit: %s", body)
	}
}

func TestOversizedHeaderRefused(t *testing.T) {
	tn := newTestNode(t, func(cfg *config.RPCConfig, _ *Env) { cfg.MaxHeaderBytes = 1024 })
	req, _ := http.NewRequest(http.MethodGet, tn.url+"/health", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 16<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d for an oversized header", resp.StatusCode)
	}
}

func TestIndexingDisabled(t *testing.T) {
	tn := newTestNode(t, func(_ *config.RPCConfig, env *Env) { env.TxIndexer, env.BlockIndexer = nil, nil })
	for path, want := range map[string]string{
		"/tx?hash=0xAB":                     "transaction indexing is disabled",
		`/tx_search?query="tx.height=1"`:    "transaction indexing is disabled",
		`/block_search?query="tx.height=1"`: "block indexing is disabled",
	} {
		_, body := tn.get(t, path)
		if e := rpcError(t, body); e.Data != want {
			t.Errorf("%s: %q, want %q", path, e.Data, want)
		}
	}
}

func TestUnsafeRoutesNeedUnsafe(t *testing.T) {
	tn := newTestNode(t, func(cfg *config.RPCConfig, _ *Env) { cfg.Unsafe = false })
	for _, path := range []string{"/dial_seeds", "/dial_peers", "/unsafe_flush_mempool"} {
		if status, _ := tn.get(t, path); status != http.StatusNotFound {
			t.Errorf("%s served without [rpc] unsafe: %d", path, status)
		}
	}
	_, body := tn.post(t, `{"jsonrpc":"2.0","id":1,"method":"unsafe_flush_mempool"}`)
	if e := rpcError(t, body); e.Code != -32601 {
		t.Errorf("unsafe_flush_mempool by POST: %s", body)
	}
}

// TestRequestsTheTransportWouldPanicOn: CometBFT's transport panics on these
// (and answers with a recovered internal error); bftnode answers them.
func TestRequestsTheTransportWouldPanicOn(t *testing.T) {
	tn := newTestNode(t, nil)
	_, body := tn.get(t, `/block?height="`)
	if e := rpcError(t, body); e.Code != -32602 || !strings.Contains(e.Data, "lone double quote") {
		t.Errorf("lone quote: %s", body)
	}
	for _, req := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"header"}`,
		`{"jsonrpc":"2.0","id":1,"method":"header","params":null}`,
		`[{"jsonrpc":"2.0","id":1,"method":"header"}]`,
	} {
		_, body := tn.post(t, req)
		if !strings.Contains(string(body), fmt.Sprintf(`"height":"%d"`, chainHeight)) {
			t.Errorf("%s without params: %.200s", req, body)
		}
	}
	_, body = tn.post(t, `{"jsonrpc":"2.0","id":1,"method":"header","Params":["2"]}`)
	if !strings.Contains(string(body), `"height":"2"`) {
		t.Errorf("params spelled Params: %.200s", body)
	}
}

// TestFlushFailureIsReported: a mempool that cannot flush (its store
// failed) makes unsafe_flush_mempool fail and say why, rather than answer
// success with the transactions still there.
func TestFlushFailureIsReported(t *testing.T) {
	tn := newTestNode(t, nil)
	tn.mempool.flushErr = errors.New("disk on fire")
	_, body := tn.get(t, "/unsafe_flush_mempool")
	if e := rpcError(t, body); e.Code != -32603 || e.Data != "flushing the mempool: disk on fire" {
		t.Errorf("unsafe_flush_mempool with a failing mempool: %s", body)
	}
	if tn.mempool.Size() == 0 {
		t.Error("the failing mempool was emptied")
	}
}
