package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawClient is a plain HTTP client for URI and JSON-RPC requests whose
// bodies the tests read as they come.
var rawClient = &http.Client{Timeout: 30 * time.Second}

// get fetches path (with its query) from node i's RPC and returns the
// status and body.
func (n *rpcNet) get(t *testing.T, i int, path string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(n.ctx, http.MethodGet, "http://"+n.Nodes[i].RPCAddr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n.do(t, req)
}

// post sends body as JSON-RPC to node i.
func (n *rpcNet) post(t *testing.T, i int, body string) (int, []byte) {
	t.Helper()
	return n.postReader(t, i, strings.NewReader(body))
}

func (n *rpcNet) postReader(t *testing.T, i int, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(n.ctx, http.MethodPost, "http://"+n.Nodes[i].RPCAddr+"/", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return n.do(t, req)
}

func (n *rpcNet) do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := rawClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, b
}

// jsonrpc is a JSON-RPC request body.
func jsonrpc(id any, method string, params string) string {
	idJSON := fmt.Sprint(id)
	if s, ok := id.(string); ok {
		idJSON = fmt.Sprintf("%q", s)
	}
	if params == "" {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":%q}`, idJSON, method)
	}
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":%q,"params":%s}`, idJSON, method, params)
}
