package bench

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeNode is a JSON-RPC node whose behaviour per transaction is chosen by
// the test: it answers broadcast_tx_sync with code 0 or a refusal, and
// commits a chosen subset of what it acknowledged in a block every few
// milliseconds. It serves no websocket, so the follower polls.
type fakeNode struct {
	mu      sync.Mutex
	blocks  [][][]byte // blocks[h-1] are the txs of height h
	pending [][]byte
	// verdict decides for the i-th broadcast: "ok" commits it, "drop"
	// acknowledges it and never commits it, "refuse" answers code 1.
	verdict func(i int) string
	n       int
}

func newFakeNode(t *testing.T, verdict func(int) string) *httptest.Server {
	f := &fakeNode{verdict: verdict}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				f.mu.Lock()
				f.blocks = append(f.blocks, f.pending)
				f.pending = nil
				f.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { close(stop); srv.Close() })
	return srv
}

func (f *fakeNode) serve(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Method string            `json:"method"`
		Params map[string]string `json:"params"`
	}
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var result any
	switch req.Method {
	case "status":
		result = map[string]any{"sync_info": map[string]string{"latest_block_height": strconv.Itoa(len(f.blocks))}}
	case "broadcast_tx_sync":
		tx, _ := base64.StdEncoding.DecodeString(req.Params["tx"])
		v := f.verdict(f.n)
		f.n++
		code := 0
		switch v {
		case "ok":
			f.pending = append(f.pending, tx)
		case "refuse":
			code = 1
		}
		result = map[string]any{"code": code, "log": "refused by the test"}
	case "block":
		h, _ := strconv.Atoi(req.Params["height"])
		if h < 1 || h > len(f.blocks) {
			writeJSON(w, map[string]any{"error": map[string]any{"code": -32603, "message": "Internal error", "data": "height too high"}})
			return
		}
		result = map[string]any{"block": map[string]any{
			// Two validators take turns, so a run sees two proposers.
			"header": map[string]string{"height": strconv.Itoa(h), "proposer_address": "PROPOSER" + strconv.Itoa(h%2)},
			"data":   map[string]any{"txs": f.blocks[h-1]},
		}}
	default:
		writeJSON(w, map[string]any{"error": map[string]any{"code": -32601, "message": "Method not found"}})
		return
	}
	writeJSON(w, map[string]any{"jsonrpc": "2.0", "id": 1, "result": result})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func fakeConfig(url string) Config {
	return Config{System: "fake", Workload: "test", Endpoints: []string{url}, Senders: 4, TxSize: 40,
		Duration: 500 * time.Millisecond, Grace: time.Second, RequestTimeout: 2 * time.Second}
}

func TestRunCountsCommittedRefusedAndLost(t *testing.T) {
	srv := newFakeNode(t, func(i int) string {
		switch i % 4 {
		case 1:
			return "drop"
		case 2:
			return "refuse"
		}
		return "ok"
	})
	res, err := Run(t.Context(), fakeConfig(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent < 8 {
		t.Fatalf("only %d sent in half a second", res.Sent)
	}
	if res.Sent != res.Acked+res.Rejected+res.RPCErrors {
		t.Errorf("sent %d != acked %d + refused %d + errors %d", res.Sent, res.Acked, res.Rejected, res.RPCErrors)
	}
	// A quarter dropped, a quarter refused, half committed (±1 for the
	// last broadcasts of the window).
	quarter := float64(res.Sent) / 4
	near := func(got int64, want float64) bool { return float64(got) >= want-1 && float64(got) <= want+1 }
	if !near(res.Lost, quarter) || !near(res.Rejected, quarter) || !near(res.Committed, 2*quarter) {
		t.Errorf("of %d sent: lost %d, refused %d, committed %d; want about %.0f, %.0f, %.0f",
			res.Sent, res.Lost, res.Rejected, res.Committed, quarter, quarter, 2*quarter)
	}
	if res.Acked != res.Committed+res.Lost {
		t.Errorf("acked %d != committed %d + lost %d", res.Acked, res.Committed, res.Lost)
	}
	if res.Latency.P50 <= 0 || res.Latency.P50 > res.Latency.P99 || res.Latency.P99 > res.Latency.Max {
		t.Errorf("latency percentiles out of order: %+v", res.Latency)
	}
	total := 0
	for _, b := range res.Histogram {
		total += b.Count
	}
	if int64(total) != res.Committed {
		t.Errorf("histogram holds %d txs, %d committed", total, res.Committed)
	}
	if runtime.GOOS == "linux" && (res.CPU == nil || res.CPU.WindowSec < 0.4 || res.CPU.Generator <= 0 || res.CPU.Nodes != -1) {
		t.Errorf("CPU over the send window %+v (%s); want the generator's and no network's", res.CPU, res.CPUError)
	}
	if res.Refusals["CheckTx code N: refused by the test"] != int(res.Rejected) {
		t.Errorf("refusal texts %v do not account for %d refusals", res.Refusals, res.Rejected)
	}
}

func TestRunHonoursTheRate(t *testing.T) {
	srv := newFakeNode(t, func(int) string { return "ok" })
	cfg := fakeConfig(srv.URL)
	cfg.Rate, cfg.Duration = 100, time.Second
	res, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent < 80 || res.Sent > 101 {
		t.Errorf("sent %d in 1s at 100 tx/s", res.Sent)
	}
	if res.Lost != 0 || res.Committed != res.Sent {
		t.Errorf("committed %d of %d, lost %d", res.Committed, res.Sent, res.Lost)
	}
	if res.Blocks >= 2 && res.Proposers != 2 {
		t.Errorf("%d blocks by two alternating proposers counted as %d proposers", res.Blocks, res.Proposers)
	}
}

func TestRunNeedsANode(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	if _, err := Run(t.Context(), fakeConfig(srv.URL)); err == nil {
		t.Fatal("a run against nothing must fail")
	}
}
