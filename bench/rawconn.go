package bench

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// rawConn is one sender's kept-alive HTTP/1.1 connection to one node. It
// writes each broadcast_tx_sync request itself and reads the answer on the
// sender's own goroutine: net/http's client hands every request and answer
// between goroutines, which costs the shared machine more than the request
// itself. It speaks plain http only; https endpoints use rpcClient.
type rawConn struct {
	host    string // host:port to dial
	timeout time.Duration

	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	body []byte // the request body being built, reused
	// lastUse is when the last request ended.
	lastUse time.Time
	maxIdle time.Duration
}

// maxIdle is how long a connection may rest before a sender dials anew
// rather than reuse it: servers close idle connections (CometBFT's after
// its 10 s read timeout), and a request written as the server closes is
// lost in flight.
const maxIdle = 3 * time.Second

// newRawConn prepares a connection to endpoint, an http:// URL; it dials
// on first use. ok is false for an endpoint it cannot serve.
func newRawConn(endpoint string, timeout time.Duration) (c *rawConn, ok bool) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, false
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	return &rawConn{host: host, timeout: timeout, maxIdle: maxIdle}, true
}

// broadcastTxSync sends tx and returns the node's answer. Any failure
// closes the connection; the next call dials again.
func (c *rawConn) broadcastTxSync(tx []byte) (broadcastResult, error) {
	if c.conn != nil && time.Since(c.lastUse) > c.maxIdle {
		c.close() // the server may be closing it right now
	}
	res, err := c.roundTrip(tx)
	if err != nil {
		c.close()
	}
	c.lastUse = time.Now()
	return res, err
}

func (c *rawConn) roundTrip(tx []byte) (broadcastResult, error) {
	if c.conn == nil {
		conn, err := net.DialTimeout("tcp", c.host, c.timeout)
		if err != nil {
			return broadcastResult{}, err
		}
		c.conn, c.r, c.w = conn, bufio.NewReaderSize(conn, 4096), bufio.NewWriterSize(conn, 4096)
	}
	if err := c.conn.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return broadcastResult{}, err
	}
	c.body = append(c.body[:0], `{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":"`...)
	c.body = base64.StdEncoding.AppendEncode(c.body, tx)
	c.body = append(c.body, `"}}`...)
	fmt.Fprintf(c.w, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", c.host, len(c.body))
	c.w.Write(c.body)
	if err := c.w.Flush(); err != nil {
		return broadcastResult{}, err
	}
	res, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return broadcastResult{}, err
	}
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes))
	res.Body.Close()
	if err != nil {
		return broadcastResult{}, fmt.Errorf("reading the broadcast_tx_sync answer: %w", err)
	}
	if res.Close {
		c.close()
	}
	var rr rpcResponse
	if err := json.Unmarshal(raw, &rr); err != nil {
		return broadcastResult{}, fmt.Errorf("broadcast_tx_sync answered HTTP %d with something that is not JSON-RPC: %.200q", res.StatusCode, raw)
	}
	if rr.Error != nil {
		return broadcastResult{}, rr.Error
	}
	var out broadcastResult
	if err := json.Unmarshal(rr.Result, &out); err != nil {
		return broadcastResult{}, fmt.Errorf("decoding the broadcast_tx_sync result: %w", err)
	}
	return out, nil
}

func (c *rawConn) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// senderConns are one sender's connections, one per endpoint, made on
// first use; endpoints they cannot serve go through the shared client.
type senderConns struct {
	conns   map[string]*rawConn
	timeout time.Duration
}

func newSenderConns(timeout time.Duration) *senderConns {
	return &senderConns{conns: map[string]*rawConn{}, timeout: timeout}
}

// get returns the connection for endpoint, nil if it needs net/http.
func (s *senderConns) get(endpoint string) *rawConn {
	c, seen := s.conns[endpoint]
	if !seen {
		c, _ = newRawConn(endpoint, s.timeout)
		s.conns[endpoint] = c
	}
	return c
}

func (s *senderConns) close() {
	for _, c := range s.conns {
		if c != nil {
			c.close()
		}
	}
}
