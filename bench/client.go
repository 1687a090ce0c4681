package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxResponseBytes bounds what the client reads of one answer; a block of
// the largest allowed size (100 MB by default in CometBFT) stays far below
// it in practice on a benchmark network, and the bound keeps a broken node
// from exhausting memory.
const maxResponseBytes = 256 << 20

// rpcClient speaks the few JSON-RPC calls the load needs, over HTTP POST
// with kept-alive connections. It is lighter than CometBFT's client: the
// load generator shares the machine with the nodes it measures.
type rpcClient struct {
	http *http.Client
}

func newRPCClient(conns int, timeout time.Duration) *rpcClient {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     30 * time.Second,
	}
	return &rpcClient{http: &http.Client{Transport: tr, Timeout: timeout}}
}

func (c *rpcClient) close() { c.http.CloseIdleConnections() }

// rpcError is a JSON-RPC error answer.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data"`
}

func (e *rpcError) Error() string {
	if e.Data != "" {
		return fmt.Sprintf("%s (%d): %s", e.Message, e.Code, e.Data)
	}
	return fmt.Sprintf("%s (%d)", e.Message, e.Code)
}

type rpcResponse struct {
	Result json.RawMessage `json:"result"`
	Error  *rpcError       `json:"error"`
}

// call posts one JSON-RPC request to endpoint (http://host:port) and
// decodes its result into out.
func (c *rpcClient) call(ctx context.Context, endpoint, method string, params any, out any) error {
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("reading the %s answer: %w", method, err)
	}
	var rr rpcResponse
	if err := json.Unmarshal(raw, &rr); err != nil {
		return fmt.Errorf("%s answered HTTP %d with something that is not JSON-RPC: %.200q", method, res.StatusCode, raw)
	}
	if rr.Error != nil {
		return rr.Error
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(rr.Result, out); err != nil {
		return fmt.Errorf("decoding the %s result: %w", method, err)
	}
	return nil
}

// broadcastResult is the part of broadcast_tx_sync's answer the load uses.
type broadcastResult struct {
	Code uint32 `json:"code"`
	Log  string `json:"log"`
}

func (c *rpcClient) broadcastTxSync(ctx context.Context, endpoint string, tx []byte) (broadcastResult, error) {
	var r broadcastResult
	err := c.call(ctx, endpoint, "broadcast_tx_sync", map[string]string{"tx": base64.StdEncoding.EncodeToString(tx)}, &r)
	return r, err
}

// blockJSON is the part of a block the follower needs; CometBFT encodes
// heights as strings and transactions as base64.
type blockJSON struct {
	Header struct {
		Height          string `json:"height"`
		ProposerAddress string `json:"proposer_address"`
	} `json:"header"`
	Data struct {
		Txs [][]byte `json:"txs"`
	} `json:"data"`
}

func (b *blockJSON) height() (int64, error) {
	h, err := strconv.ParseInt(b.Header.Height, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("block height %q is not a number: %w", b.Header.Height, err)
	}
	return h, nil
}

// block fetches the block at height h.
func (c *rpcClient) block(ctx context.Context, endpoint string, h int64) (*blockJSON, error) {
	var r struct {
		Block *blockJSON `json:"block"`
	}
	if err := c.call(ctx, endpoint, "block", map[string]string{"height": strconv.FormatInt(h, 10)}, &r); err != nil {
		return nil, err
	}
	if r.Block == nil {
		return nil, fmt.Errorf("the node has no block at height %d", h)
	}
	return r.Block, nil
}

// latestHeight asks status for the latest committed height.
func (c *rpcClient) latestHeight(ctx context.Context, endpoint string) (int64, error) {
	var r struct {
		SyncInfo struct {
			LatestBlockHeight string `json:"latest_block_height"`
		} `json:"sync_info"`
	}
	if err := c.call(ctx, endpoint, "status", map[string]string{}, &r); err != nil {
		return 0, err
	}
	h, err := strconv.ParseInt(r.SyncInfo.LatestBlockHeight, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("status: latest_block_height %q is not a number: %w", r.SyncInfo.LatestBlockHeight, err)
	}
	return h, nil
}

// websocketURL turns http://host:port into ws://host:port/websocket.
func websocketURL(endpoint string) string {
	u := strings.TrimSuffix(endpoint, "/")
	switch {
	case strings.HasPrefix(u, "https://"):
		u = "wss://" + strings.TrimPrefix(u, "https://")
	case strings.HasPrefix(u, "http://"):
		u = "ws://" + strings.TrimPrefix(u, "http://")
	}
	return u + "/websocket"
}

// LatestHeight asks the node at endpoint for its latest committed height.
func LatestHeight(ctx context.Context, endpoint string) (int64, error) {
	c := newRPCClient(1, 5*time.Second)
	defer c.close()
	return c.latestHeight(ctx, endpoint)
}
