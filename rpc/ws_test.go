package rpc

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"
	"github.com/gorilla/websocket"
)

func dialWS(t *testing.T, tn *testNode, dialer *websocket.Dialer) *websocket.Conn {
	t.Helper()
	if dialer == nil {
		dialer = websocket.DefaultDialer
	}
	conn, _, err := dialer.Dial("ws://"+tn.srv.Addr().String()+"/websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func wsCall(t *testing.T, conn *websocket.Conn, id int, method string, params any) {
	t.Helper()
	req := map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params}
	if err := conn.WriteJSON(req); err != nil {
		t.Fatal(err)
	}
}

func wsRead(t *testing.T, conn *websocket.Conn) []byte {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, msg, err := conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// TestWebsocketMatchesReference replays the captured websocket session:
// four subscriptions, then NewBlock, NewBlockHeader, NewBlockEvents and Tx
// events, each compared in shape with CometBFT's.
func TestWebsocketMatchesReference(t *testing.T) {
	parts := strings.Split(string(reference(t, "ws.txt")), "-----")
	byID := map[string][]byte{}
	for _, p := range parts[5:] {
		if strings.TrimSpace(p) == "" {
			continue
		}
		var m struct{ ID json.RawMessage }
		if err := json.Unmarshal([]byte(p), &m); err != nil {
			t.Fatal(err)
		}
		byID[string(m.ID)] = []byte(p)
	}
	tn := newTestNode(t, nil)
	conn := dialWS(t, tn, nil)
	queries := []string{"tm.event='NewBlock'", "tm.event='Tx'", "tm.event='NewBlockHeader'", "tm.event='NewBlockEvents'"}
	for i, q := range queries {
		wsCall(t, conn, i+1, "subscribe", map[string]string{"query": q})
		sameShape(t, "subscribe ack", []byte(parts[i]), wsRead(t, conn))
	}
	b, err := tn.env.Blocks.LoadBlock(3) // an empty block, like the capture's
	if err != nil {
		t.Fatal(err)
	}
	id := types.BlockID{Hash: b.Hash()}
	bus := tn.env.EventBus
	check := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	check(bus.PublishEventNewBlock(types.EventDataNewBlock{Block: b, BlockID: id, ResultFinalizeBlock: abci.ResponseFinalizeBlock{AppHash: []byte{8, 0, 0, 0, 0, 0, 0, 0}}}))
	check(bus.PublishEventNewBlockHeader(types.EventDataNewBlockHeader{Header: b.Header}))
	check(bus.PublishEventNewBlockEvents(types.EventDataNewBlockEvents{Height: b.Height}))
	tx := types.Tx("wskey=wsval")
	check(bus.PublishEventTx(types.EventDataTx{TxResult: abci.TxResult{Height: 6, Tx: tx, Result: abci.ExecTxResult{Events: kvEvents("wskey", "wsval")}}}))
	for range queries {
		msg := wsRead(t, conn)
		var m struct{ ID json.RawMessage }
		json.Unmarshal(msg, &m)
		want, ok := byID[string(m.ID)]
		if !ok {
			t.Fatalf("event for unknown subscription: %s", msg)
		}
		sameShape(t, "event "+string(m.ID), want, msg)
	}
	// unsubscribe and unsubscribe_all answer like subscribe.
	wsCall(t, conn, 9, "unsubscribe", map[string]string{"query": queries[0]})
	sameShape(t, "unsubscribe ack", []byte(parts[0]), wsRead(t, conn))
	wsCall(t, conn, 10, "unsubscribe_all", map[string]string{})
	sameShape(t, "unsubscribe_all ack", []byte(parts[0]), wsRead(t, conn))
	waitFor(t, "no subscriber", func() bool { return bus.NumClients() == 0 })
}

func TestWebsocketSubscriptionLimits(t *testing.T) {
	tn := newTestNode(t, nil)
	conn := dialWS(t, tn, nil)
	wsCall(t, conn, 100, "subscribe", map[string]string{"query": "tm.event=="})
	if msg := wsRead(t, conn); !strings.Contains(string(msg), "failed to parse query") {
		t.Errorf("bad query: %s", msg)
	}
	limit := tn.srv.routesConfig().MaxSubscriptionsPerClient
	for i := 0; i < limit; i++ {
		wsCall(t, conn, i, "subscribe", map[string]string{"query": fmt.Sprintf("tm.event='Tx' AND tx.height=%d", i)})
		if msg := wsRead(t, conn); strings.Contains(string(msg), "error") {
			t.Fatalf("subscription %d refused: %s", i, msg)
		}
	}
	wsCall(t, conn, 99, "subscribe", map[string]string{"query": "tm.event='NewBlock'"})
	if msg := wsRead(t, conn); !strings.Contains(string(msg), fmt.Sprintf("max_subscriptions_per_client %d reached", limit)) {
		t.Errorf("subscription beyond the limit: %s", msg)
	}
	wsCall(t, conn, 101, "no_such_method", nil)
	if msg := wsRead(t, conn); !strings.Contains(string(msg), "Method not found") {
		t.Errorf("unknown method: %s", msg)
	}
	// Closing the connection ends its subscriptions.
	conn.Close()
	waitFor(t, "no subscriber after disconnect", func() bool { return tn.env.EventBus.NumClients() == 0 })
}

func TestWebsocketMaxSubscriptionClients(t *testing.T) {
	tn := newTestNode(t, nil)
	limit := tn.srv.routesConfig().MaxSubscriptionClients
	var conns []*websocket.Conn
	for i := 0; i < limit; i++ {
		c := dialWS(t, tn, nil)
		wsCall(t, c, 1, "subscribe", map[string]string{"query": "tm.event='NewBlock'"})
		wsRead(t, c)
		conns = append(conns, c)
	}
	c := dialWS(t, tn, nil)
	wsCall(t, c, 1, "subscribe", map[string]string{"query": "tm.event='NewBlock'"})
	if msg := wsRead(t, c); !strings.Contains(string(msg), fmt.Sprintf("max_subscription_clients %d reached", limit)) {
		t.Errorf("client beyond the limit: %s", msg)
	}
}

// TestSlowWebsocketClientIsDisconnected subscribes a client that never
// reads next to one that does, publishes large events in step with the
// reading one, and checks that it gets every event while the other is
// disconnected.
func TestSlowWebsocketClientIsDisconnected(t *testing.T) {
	tn := newTestNode(t, nil)
	slow := dialWS(t, tn, nil)
	wsCall(t, slow, 1, "subscribe", map[string]string{"query": "tm.event='Tx'"})
	wsRead(t, slow) // the ack; nothing more is read
	fast := dialWS(t, tn, nil)
	wsCall(t, fast, 1, "subscribe", map[string]string{"query": "tm.event='Tx'"})
	wsRead(t, fast)

	big := strings.Repeat("x", 32<<10)
	const events = 1500
	disconnectedAt := 0
	for i := 0; i < events; i++ {
		tx := types.Tx(fmt.Sprintf("%d=%s", i, big))
		if err := tn.env.EventBus.PublishEventTx(types.EventDataTx{TxResult: abci.TxResult{Height: 6, Tx: tx}}); err != nil {
			t.Fatal(err)
		}
		msg := wsRead(t, fast)
		if !strings.Contains(string(msg), `"tx.height":["6"]`) {
			t.Fatalf("fast client got %.200s", msg)
		}
		if disconnectedAt == 0 && tn.env.EventBus.NumClients() == 1 {
			disconnectedAt = i
		}
	}
	waitFor(t, "the slow client's subscription to end", func() bool { return tn.env.EventBus.NumClients() == 1 })
	t.Logf("slow client disconnected after about %d events", disconnectedAt)
	waitFor(t, "the server to drop the slow connection", func() bool {
		tn.srv.conns.mu.Lock()
		defer tn.srv.conns.mu.Unlock()
		_, open := tn.srv.conns.conns[slow.LocalAddr().String()]
		return !open
	})
	// The connection is closed at the server: once the client reads what
	// was sent before, its reads fail.
	slow.SetReadDeadline(time.Now().Add(20 * time.Second))
	for n := 0; ; n++ {
		if _, _, err := slow.ReadMessage(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the slow client's connection is still open after %d messages", n)
			}
			break
		}
	}
}
