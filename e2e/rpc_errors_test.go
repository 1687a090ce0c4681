package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"

	"github.com/bftnode/bftnode/rpc/rpctest"
)

// The JSON-RPC error codes of CometBFT's transport.
const (
	codeParse          = -32700
	codeInvalidRequest = -32600
	codeMethodNotFound = -32601
	codeInvalidParams  = -32602
	codeInternal       = -32603
)

// badRequest is one malformed or impossible request and the error
// CometBFT answers it with.
type badRequest struct {
	name   string
	get    string // a URI path, or
	post   string // a JSON-RPC body
	status int
	code   int
	data   string // a part of the error's data
}

func badRequests(n *rpcNet, t *testing.T) []badRequest {
	h := n.height(t, 0)
	beyond := h + 1000
	batch := make([]string, 11)
	for i := range batch {
		batch[i] = jsonrpc(i+1, "health", "")
	}
	return []badRequest{
		{name: "unknown method", post: jsonrpc(1, "no_such_method", "{}"), status: 200, code: codeMethodNotFound},
		{name: "websocket-only method over HTTP", post: jsonrpc(1, "subscribe", `{"query":"tm.event='NewBlock'"}`), status: 200, code: codeMethodNotFound},
		{name: "height of the wrong type", post: jsonrpc(1, "block", `{"height":"abc"}`), status: 200, code: codeInvalidParams, data: "error converting json params to arguments"},
		{name: "height as an object", post: jsonrpc(1, "block", `{"height":{"x":1}}`), status: 200, code: codeInvalidParams},
		{name: "positional params of the wrong count", post: jsonrpc(1, "block", `["1","2"]`), status: 200, code: codeInvalidParams},
		{name: "params that are a string", post: jsonrpc(1, "validators", `"x"`), status: 200, code: codeInvalidParams},
		{name: "page of the wrong type", get: "/validators?page=x", status: 500, code: codeInvalidParams, data: "error converting http params to arguments"},
		{name: "hash that is not hex", get: "/tx?hash=0xZZ", status: 500, code: codeInvalidParams},
		{name: "negative genesis chunk", get: "/genesis_chunked?chunk=-1", status: 500, code: codeInvalidParams},
		{name: "lone quote", get: `/block_search?query="`, status: 500, code: codeInvalidParams},
		{name: "height beyond the chain (GET)", get: fmt.Sprintf("/block?height=%d", beyond), status: 500, code: codeInternal,
			data: fmt.Sprintf("height %d must be less than or equal to the current blockchain height", beyond)},
		{name: "height beyond the chain (POST)", post: jsonrpc(1, "commit", fmt.Sprintf(`{"height":"%d"}`, beyond)), status: 200, code: codeInternal,
			data: fmt.Sprintf("height %d must be less than or equal to the current blockchain height", beyond)},
		{name: "block_results beyond the chain", get: fmt.Sprintf("/block_results?height=%d", beyond), status: 500, code: codeInternal, data: "must be less than or equal to the current blockchain height"},
		{name: "validators beyond the chain", get: fmt.Sprintf("/validators?height=%d", beyond), status: 500, code: codeInternal, data: "must be less than or equal to the current blockchain height"},
		{name: "height zero", get: "/header?height=0", status: 500, code: codeInternal, data: "height must be greater than 0, but got 0"},
		{name: "page beyond the results", get: `/tx_search?query="tx.height=1"&page=9`, status: 500, code: codeInternal, data: "page should be within"},
		{name: "query that does not parse", get: `/tx_search?query="tx.height=="`, status: 500, code: codeInternal},
		{name: "blockchain range upside down", get: "/blockchain?minHeight=9&maxHeight=2", status: 500, code: codeInternal, data: "can't be greater than max height"},
		{name: "evidence that is not evidence", post: jsonrpc(1, "broadcast_evidence", `{"evidence":{"type":"tendermint/DuplicateVoteEvidence","value":{}}}`), status: 200, code: codeInternal},
		{name: "unknown hash", get: "/block_by_hash?hash=0x" + strings.Repeat("AB", 32), status: 200},
		{name: "empty transaction", get: `/broadcast_tx_sync?tx=""`, status: 200},
		{name: "malformed JSON", post: `{"jsonrpc":"2.0","id":1,"method":`, status: 500, code: codeParse, data: "error unmarshaling request"},
		{name: "JSON that is not a request", post: `42`, status: 500, code: codeParse},
		{name: "oversized body", post: jsonrpc(1, "broadcast_tx_sync", fmt.Sprintf(`{"tx":"%s"}`, strings.Repeat("A", 1_100_000))), status: 400, code: codeInvalidRequest, data: "request body too large"},
		{name: "batch too large", post: "[" + strings.Join(batch, ",") + "]", status: 200, code: codeInvalidRequest, data: "batch request exceeds maximum (10) allowed number of requests"},
	}
}

// testBadInput sends malformed and impossible requests to every node and
// checks that each gets CometBFT's error, with CometBFT's shape, and that
// every node keeps committing afterwards.
func testBadInput(t *testing.T, n *rpcNet) {
	errShape, err := rpctest.Reference("err_height.json")
	if err != nil {
		t.Fatal(err)
	}
	// An unknown URI route is a plain 404, as in CometBFT.
	notFound, err := rpctest.Reference("err_method.json")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n.Nodes {
		if status, body := n.get(t, i, "/no_such_route"); status != http.StatusNotFound || !bytes.Equal(body, notFound) {
			t.Errorf("node %d GET of an unknown route: %d %q", i, status, body)
		}
	}
	before := make([]int64, len(n.Nodes))
	for i := range n.Nodes {
		before[i] = n.height(t, i)
	}
	for _, c := range badRequests(n, t) {
		for i := range n.Nodes {
			var status int
			var body []byte
			if c.get != "" {
				status, body = n.get(t, i, c.get)
			} else {
				status, body = n.post(t, i, c.post)
			}
			name := fmt.Sprintf("node %d %s", i, c.name)
			if status != c.status {
				t.Errorf("%s: status %d, want %d: %s", name, status, c.status, body)
			}
			if c.code == 0 {
				continue
			}
			checkRPCError(t, name, body, c.code, c.data)
			single := body
			if bytes.HasPrefix(body, []byte("[")) {
				var batch []json.RawMessage
				if err := json.Unmarshal(body, &batch); err != nil || len(batch) != 1 {
					t.Errorf("%s: a batch error that is not one answer: %s", name, body)
					continue
				}
				single = batch[0]
			}
			sameErrorShape(t, name, errShape, single)
		}
	}
	badWebsocketInput(t, n)
	if err := n.Alive(); err != nil {
		t.Fatal(err)
	}
	for i := range n.Nodes {
		if err := n.waitHeight(i, before[i]+2); err != nil {
			t.Fatalf("node %d stopped committing after bad input: %v", i, err)
		}
	}
}

// checkRPCError checks that body is a JSON-RPC error (or a batch of one)
// with code whose data contains data.
func checkRPCError(t *testing.T, name string, body []byte, code int, data string) {
	t.Helper()
	var resp rpctypes.RPCResponse
	if bytes.HasPrefix(body, []byte("[")) {
		var batch []rpctypes.RPCResponse
		if err := json.Unmarshal(body, &batch); err != nil || len(batch) == 0 {
			t.Errorf("%s: not a JSON-RPC batch answer: %v\n%s", name, err, body)
			return
		}
		resp = batch[0]
	} else if err := json.Unmarshal(body, &resp); err != nil {
		t.Errorf("%s: not a JSON-RPC answer: %v\n%s", name, err, body)
		return
	}
	if resp.Error == nil || resp.Error.Code != code || !strings.Contains(resp.Error.Data, data) {
		t.Errorf("%s: want error %d with %q, got %s", name, code, data, body)
	}
}

// sameErrorShape compares an error answer with CometBFT's. The id echoes
// the request's, so its kind follows the request, and CometBFT leaves it
// out when the request could not be read; it leaves the error's data out
// when it has none (method not found).
func sameErrorShape(t *testing.T, name string, want, got []byte) {
	t.Helper()
	var w, g map[string]any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s: %v\n%s", name, err, got)
		return
	}
	if _, ok := g["id"]; ok {
		g["id"] = w["id"]
	} else {
		delete(w, "id")
	}
	we, _ := w["error"].(map[string]any)
	ge, _ := g["error"].(map[string]any)
	if _, ok := ge["data"]; !ok && we != nil && ge != nil && ge["code"] == float64(codeMethodNotFound) {
		delete(we, "data")
	}
	if d := rpctest.Diff("$", w, g); len(d) > 0 {
		t.Errorf("%s: the error's shape differs from CometBFT's: %v\n%s", name, d, got)
	}
}

// badWebsocketInput sends a websocket what is no request, a request for an
// unknown method and a message beyond max_body_bytes: the first two get
// CometBFT's errors on a connection that goes on working, the last closes
// the connection.
func badWebsocketInput(t *testing.T, n *rpcNet) {
	w := n.dialWS(t, 1)
	if err := w.conn.WriteMessage(websocket.TextMessage, []byte(`{"jsonrpc":"2.0","id":`)); err != nil {
		t.Fatal(err)
	}
	if m := w.read(); !bytes.Contains(m.raw, []byte(fmt.Sprint(codeParse))) {
		t.Errorf("malformed JSON over the websocket: %s", m.raw)
	}
	w.call(2, "no_such_method", "")
	if m := w.readAnswer(2, func(wsMessage) {}); !bytes.Contains(m.raw, []byte(fmt.Sprint(codeMethodNotFound))) {
		t.Errorf("unknown method over the websocket: %s", m.raw)
	}
	w.call(3, "health", "")
	if m := w.readAnswer(3, func(wsMessage) {}); m.Error != nil {
		t.Errorf("health after bad input over the websocket: %s", m.raw)
	}
	huge := jsonrpc(4, "broadcast_tx_sync", fmt.Sprintf(`{"tx":"%s"}`, strings.Repeat("A", 1_100_000)))
	if err := w.conn.WriteMessage(websocket.TextMessage, []byte(huge)); err != nil {
		return // closed while writing: what the limit does
	}
	w.conn.SetReadDeadline(time.Now().Add(eventWait))
	if _, msg, err := w.conn.ReadMessage(); err == nil {
		t.Errorf("a websocket message beyond max_body_bytes was answered: %.200s", msg)
	}
}
