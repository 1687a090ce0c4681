package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// rpcTarget is the node whose RPC the abuse scenario hammers.
const rpcTarget = 0

// maxRSSGrowth bounds how much the target's resident memory may grow over
// the whole abuse.
const maxRSSGrowth = 256 << 20

// rpcAbuse sends, one after the other, each kind of abusive request to a
// validator's RPC. Each must be refused with an error, the node's memory
// must stay bounded, and blocks must keep coming.
func rpcAbuse(ctx context.Context, e *Env) error {
	base := "http://" + e.C.Nodes[rpcTarget].RPCAddr
	rss0, err := rssBytes(e.C.Pid(rpcTarget))
	if err != nil {
		return err
	}
	abuses := []struct {
		name string
		run  func(ctx context.Context, base string) error
	}{
		{"a body over max_body_bytes", oversizedBody},
		{"a 1,000-call batch", hugeBatch},
		{"malformed JSON", malformedJSON},
		{"wrong parameter types", wrongParamTypes},
		{"1,000 connections", manyConnections},
		{"101 websocket clients", manyWebsocketClients},
		{"a websocket reader that never reads", neverReads},
	}
	for _, a := range abuses {
		h0, err := e.C.Height(ctx, rpcTarget)
		if err != nil {
			return err
		}
		e.Fault("RPC abuse: %s", a.name)
		if err := a.run(ctx, base); err != nil {
			return violation("RPC abuse %q: %v", a.name, err)
		}
		if err := waitHeight(ctx, e.C, rpcTarget, h0+1, 30*time.Second); err != nil {
			return violation("no block after RPC abuse %q: %v", a.name, err)
		}
	}
	rss1, err := rssBytes(e.C.Pid(rpcTarget))
	if err != nil {
		return err
	}
	e.Note("resident memory of node %d: %d MiB before the RPC abuse, %d MiB after", rpcTarget, rss0>>20, rss1>>20)
	if rss1-rss0 > maxRSSGrowth {
		return violation("node %d's memory grew by %d MiB under RPC abuse (limit %d MiB)", rpcTarget, (rss1-rss0)>>20, maxRSSGrowth>>20)
	}
	e.Healed()
	return nil
}

// rssBytes reads a process's resident set size from /proc.
func rssBytes(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

var abuseClient = &http.Client{Timeout: 30 * time.Second}

// postRefused posts body and checks the answer is an error: an HTTP error
// status or a JSON-RPC error object, never a result.
func postRefused(ctx context.Context, base string, body io.Reader) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/", body)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := abuseClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("no answer: %w", err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode >= 400 {
		return string(out), nil
	}
	var one struct {
		Error  json.RawMessage `json:"error"`
		Result json.RawMessage `json:"result"`
	}
	if json.Unmarshal(out, &one) == nil && len(one.Error) > 0 && len(one.Result) == 0 {
		return string(out), nil
	}
	return string(out), fmt.Errorf("accepted with status %d: %.200s", res.StatusCode, out)
}

func oversizedBody(ctx context.Context, base string) error {
	// A valid request padded to 2 MB, twice the default max_body_bytes.
	pad := strings.Repeat(" ", 2<<20)
	_, err := postRefused(ctx, base, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"health","params":{}`+pad+`}`))
	return err
}

func hugeBatch(ctx context.Context, base string) error {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := 0; i < 1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"jsonrpc":"2.0","id":%d,"method":"status","params":{}}`, i)
	}
	b.WriteByte(']')
	_, err := postRefused(ctx, base, &b)
	return err
}

func malformedJSON(ctx context.Context, base string) error {
	for _, body := range []string{`{"jsonrpc":"2.0","id":1,"method":`, `[{]`, "\x00\xff"} {
		if _, err := postRefused(ctx, base, strings.NewReader(body)); err != nil {
			return fmt.Errorf("%q: %w", body, err)
		}
	}
	return nil
}

func wrongParamTypes(ctx context.Context, base string) error {
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"block","params":{"height":"abc"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"block","params":{"height":[1]}}`,
		`{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":12}}`,
		`{"jsonrpc":"2.0","id":1,"method":"validators","params":{"per_page":"x"}}`,
	} {
		if _, err := postRefused(ctx, base, strings.NewReader(body)); err != nil {
			return fmt.Errorf("%s: %w", body, err)
		}
	}
	for _, path := range []string{"/block?height=abc", "/tx?hash=zz", "/blockchain?minHeight=%22x%22"} {
		res, err := abuseClient.Get(base + path)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
		res.Body.Close()
		if res.StatusCode < 400 && !bytes.Contains(body, []byte(`"error"`)) {
			return fmt.Errorf("GET %s accepted: %.200s", path, body)
		}
	}
	return nil
}

// manyConnections opens 1,000 idle connections, checks the node still
// answers a request while they are open or at least once they close.
func manyConnections(ctx context.Context, base string) error {
	addr := strings.TrimPrefix(base, "http://")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < 1000; i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			break // refused at the limit: allowed
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := abuseClient.Get(base + "/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the RPC does not answer after 1,000 connections closed: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// manyWebsocketClients subscribes 101 clients; at least one must be
// refused (max_subscription_clients is 100).
func manyWebsocketClients(ctx context.Context, base string) error {
	url := "ws" + strings.TrimPrefix(base, "http") + "/websocket"
	var conns []*websocket.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	refused := 0
	for i := 0; i < 101; i++ {
		c, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
		if err != nil {
			refused++
			continue
		}
		conns = append(conns, c)
		q := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"subscribe","params":{"query":"tm.event='NewBlock' AND block.height > %d"}}`, i, i)
		if err := c.WriteMessage(websocket.TextMessage, []byte(q)); err != nil {
			refused++
			continue
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, msg, err := c.ReadMessage()
		if err != nil || bytes.Contains(msg, []byte(`"error"`)) {
			refused++
		}
	}
	if refused == 0 {
		return fmt.Errorf("101 websocket clients all subscribed; max_subscription_clients is 100")
	}
	return nil
}

// neverReads subscribes to every event and stops reading; the node must
// drop the client rather than buffer for it without bound.
func neverReads(ctx context.Context, base string) error {
	url := "ws" + strings.TrimPrefix(base, "http") + "/websocket"
	d := websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 1024}
	c, _, err := d.DialContext(ctx, url, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if tcp, ok := c.UnderlyingConn().(*net.TCPConn); ok {
		_ = tcp.SetReadBuffer(4096)
	}
	q := `{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"query":"tm.event='Tx' OR tm.event='NewBlock'"}}`
	if err := c.WriteMessage(websocket.TextMessage, []byte(q)); err != nil {
		return err
	}
	// Never read; let blocks and transactions flow for a while.
	return Sleep(ctx, 8*time.Second)
}
