package e2e

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/bftnode/bftnode/rpc/rpctest"
)

// wsMessage is what arrives on a raw websocket: an answer or an event.
type wsMessage struct {
	raw    []byte
	ID     json.RawMessage `json:"id"`
	Error  *json.RawMessage
	Result struct {
		Query string `json:"query"`
		Data  struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		} `json:"data"`
	} `json:"result"`
}

// wsConn is a raw websocket to a node's /websocket endpoint.
type wsConn struct {
	t    *testing.T
	n    *rpcNet
	conn *websocket.Conn
}

func (n *rpcNet) dialWS(t *testing.T, i int) *wsConn {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.DialContext(n.ctx, "ws://"+n.Nodes[i].RPCAddr+"/websocket", nil)
	if err != nil {
		t.Fatalf("websocket to node %d: %v", i, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &wsConn{t: t, n: n, conn: conn}
}

func (w *wsConn) call(id int, method, query string) {
	w.t.Helper()
	params := map[string]string{}
	if query != "" {
		params["query"] = query
	}
	if err := w.conn.WriteJSON(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params}); err != nil {
		w.t.Fatal(err)
	}
}

// read returns the next message, failing after eventWait.
func (w *wsConn) read() wsMessage {
	w.t.Helper()
	w.conn.SetReadDeadline(time.Now().Add(eventWait))
	_, raw, err := w.conn.ReadMessage()
	if err != nil {
		w.t.Fatalf("reading the websocket: %v\n%s", err, w.n.LogTails(3000))
	}
	var m wsMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		w.t.Fatalf("a websocket message that is not JSON-RPC: %v\n%s", err, raw)
	}
	m.raw = raw
	return m
}

// readAnswer reads until the answer to id, passing the events read on
// the way to onEvent.
func (w *wsConn) readAnswer(id int, onEvent func(wsMessage)) wsMessage {
	w.t.Helper()
	for {
		m := w.read()
		if string(m.ID) == strconv.Itoa(id) && m.Result.Query == "" {
			return m
		}
		onEvent(m)
	}
}

// eventHeight is the height an event's data names.
func eventHeight(t *testing.T, m wsMessage) int64 {
	t.Helper()
	var v struct {
		Block *struct {
			Header struct {
				Height int64 `json:",string"`
			}
		} `json:"block"`
		Header *struct {
			Height int64 `json:",string"`
		} `json:"header"`
		Height *int64 `json:"height,string"`
	}
	if err := json.Unmarshal(m.Result.Data.Value, &v); err != nil {
		t.Fatalf("event data %s: %v", m.Result.Data.Value, err)
	}
	switch {
	case v.Block != nil:
		return v.Block.Header.Height
	case v.Header != nil:
		return v.Header.Height
	case v.Height != nil:
		return *v.Height
	}
	t.Fatalf("event without a height: %s", m.raw)
	return 0
}

// testWebsocketRaw speaks JSON-RPC over a plain websocket: subscribe
// answers and events have CometBFT's shapes; after unsubscribe the
// node sends no more events of that query while the others go on, and
// after unsubscribe_all none at all.
func testWebsocketRaw(t *testing.T, n *rpcNet) {
	session, err := rpctest.LoadWebsocketSession()
	if err != nil {
		t.Fatal(err)
	}
	w := n.dialWS(t, fullNode)
	queries := []string{"tm.event='NewBlock'", "tm.event='NewBlockHeader'", "tm.event='NewBlockEvents'", "tm.event='Tx'"}
	byID := map[string]string{}
	for k, q := range queries {
		w.call(k+1, "subscribe", q)
		byID[strconv.Itoa(k+1)] = q
		ack := w.readAnswer(k+1, func(wsMessage) {})
		rpctest.SameShape(t, "subscribe answer", session.Acks[0], ack.raw)
	}
	tx := kvTx("wsraw-"+n.protocol, "1")
	if _, err := n.clients[0].BroadcastTxSync(n.ctx, tx); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	latestBlock := int64(0)
	for len(seen) < len(queries) {
		m := w.read()
		q := byID[string(m.ID)]
		if q == "" || m.Result.Query != q {
			t.Fatalf("event for query %q on subscription %s", m.Result.Query, m.ID)
		}
		// The captured NewBlock is of an empty block, whose results
		// have no tx_results.
		if !seen[q] && (q != queries[0] || emptyBlockEvent(t, m)) {
			want, ok := session.EventFor(q)
			if !ok {
				t.Fatalf("no captured event for %q", q)
			}
			sameLiveShapeAs(t, "event "+q, want, m.raw)
			seen[q] = true
		}
		if q == queries[0] {
			latestBlock = max(latestBlock, eventHeight(t, m))
		}
	}

	// Unsubscribe from NewBlock: at most an event already on its way may
	// follow; NewBlockHeader keeps coming for later heights.
	w.call(10, "unsubscribe", queries[0])
	ack := w.readAnswer(10, func(m wsMessage) {
		if m.Result.Query == queries[0] {
			latestBlock = max(latestBlock, eventHeight(t, m))
		}
	})
	rpctest.SameShape(t, "unsubscribe answer", session.Acks[0], ack.raw)
	for {
		m := w.read()
		h := eventHeight(t, m)
		if m.Result.Query == queries[0] && h > latestBlock+1 {
			t.Fatalf("NewBlock %d after unsubscribing at %d", h, latestBlock)
		}
		if m.Result.Query == queries[1] && h >= latestBlock+3 {
			break
		}
	}
	w.call(11, "unsubscribe", queries[0])
	if m := w.readAnswer(11, func(wsMessage) {}); m.Error == nil {
		t.Errorf("unsubscribing from a query twice: %s", m.raw)
	}

	// unsubscribe_all: once two more blocks are decided, a call's answer
	// comes with no event of a later height before it.
	w.call(12, "unsubscribe_all", "")
	top := n.height(t, fullNode)
	rpctest.SameShape(t, "unsubscribe_all answer", session.Acks[0], w.readAnswer(12, func(wsMessage) {}).raw)
	if err := n.waitHeight(fullNode, top+2); err != nil {
		t.Fatal(err)
	}
	// Any route answers over the websocket too.
	if err := w.conn.WriteJSON(map[string]any{"jsonrpc": "2.0", "id": 14, "method": "header", "params": map[string]string{"height": "2"}}); err != nil {
		t.Fatal(err)
	}
	hdr := w.readAnswer(14, func(wsMessage) {})
	var hres struct {
		Result struct {
			Header struct {
				Height string `json:"height"`
			} `json:"header"`
		} `json:"result"`
	}
	if err := json.Unmarshal(hdr.raw, &hres); err != nil || hres.Result.Header.Height != "2" {
		t.Errorf("header over the websocket: %s", hdr.raw)
	}
	rpctest.SameShape(t, "header over the websocket", mustReference(t, "header.json"), hdr.raw)
	w.call(13, "health", "")
	w.readAnswer(13, func(m wsMessage) {
		if h := eventHeight(t, m); h > top+1 {
			t.Errorf("event %s for height %d after unsubscribe_all at %d", m.Result.Query, h, top)
		}
	})
}

// emptyBlockEvent tells whether a NewBlock event is of a block without
// transactions.
func emptyBlockEvent(t *testing.T, m wsMessage) bool {
	t.Helper()
	var v struct {
		Block struct {
			Data struct {
				Txs []string `json:"txs"`
			} `json:"data"`
		} `json:"block"`
	}
	if err := json.Unmarshal(m.Result.Data.Value, &v); err != nil {
		t.Fatalf("NewBlock event data %s: %v", m.Result.Data.Value, err)
	}
	return len(v.Block.Data.Txs) == 0
}

func mustReference(t *testing.T, name string) []byte {
	t.Helper()
	b, err := rpctest.Reference(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
