package rpc

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/mempool"
)

// answer is how the mempool answers every check: res, or a refusal err.
type answer struct {
	res *abci.ResponseCheckTx
	err error
}

// answeringMempool answers every check alike.
type answeringMempool struct {
	*fakeMempool
	answer
}

func (m *answeringMempool) CheckTxAsync(types.Tx) (<-chan mempool.CheckResult, error) {
	if m.err != nil {
		return nil, m.err
	}
	ch := make(chan mempool.CheckResult, 1)
	ch <- mempool.CheckResult{Response: m.res}
	return ch, nil
}

// serveBoth sends body through the general transport and through the
// fast path, each over its own mempool answering a, and returns
// both recordings.
func serveBoth(t *testing.T, tn *testNode, a answer, body string) (general, fast *httptest.ResponseRecorder) {
	t.Helper()
	record := func(useFast bool) *httptest.ResponseRecorder {
		env := *tn.env
		env.Mempool = &answeringMempool{fakeMempool: newFakeMempool(), answer: a}
		s := &Server{conns: newConnTracker()}
		cfg := testConfig()
		rt, err := newRoutes(&env, cfg, slog.New(slog.DiscardHandler), s.conns)
		if err != nil {
			t.Fatal(err)
		}
		fastPath := func(http.ResponseWriter, *http.Request, []byte) bool { return false }
		if useFast {
			fastPath = rt.fastBroadcast
		}
		h := guardParams(s.transportMux(rt, transportConfig(cfg), slog.New(slog.DiscardHandler)), fastPath)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)))
		return rec
	}
	return record(false), record(true)
}

func TestFastBroadcastAnswersExactlyAsTheTransport(t *testing.T) {
	tn := newTestNode(t, nil)
	tx := `"` + b64("fast=1") + `"`
	ok := answer{res: &abci.ResponseCheckTx{}}
	rich := answer{res: &abci.ResponseCheckTx{
		Code: 7, Data: []byte{0xab, 0x01, 0xfe}, Log: "<b>&\"quoted\"\n\tü\u2028\x01", Codespace: "sdk<&>",
	}}
	full := answer{err: errors.New("mempool is full: <10> & more")}
	cases := []struct {
		name string
		mp   answer
		body string
	}{
		{"named", ok, `{"jsonrpc":"2.0","id":7,"method":"broadcast_tx_sync","params":{"tx":` + tx + `}}`},
		{"positional", ok, `{"jsonrpc":"2.0","id":0,"method":"broadcast_tx_sync","params":[` + tx + `]}`},
		{"async", ok, `{"jsonrpc":"2.0","id":-12,"method":"broadcast_tx_async","params":{"tx":` + tx + `}}`},
		{"string id", ok, `{"jsonrpc":"2.0","id":"a<b>\u00e9","method":"broadcast_tx_sync","params":{"tx":` + tx + `}}`},
		{"spaces and case", ok, " \n{ \"ID\" : 3 , \"Method\":\"broadcast_tx_sync\",\"params\" : { \"tx\" : " + tx + " } }\n"},
		{"extra params", ok, `{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":` + tx + `,"other":1}}`},
		{"app fields", rich, `{"jsonrpc":"2.0","id":2,"method":"broadcast_tx_sync","params":{"tx":` + tx + `}}`},
		{"refused", full, `{"jsonrpc":"2.0","id":3,"method":"broadcast_tx_sync","params":{"tx":` + tx + `}}`},
		// Declined by the fast path: the general path answers both.
		{"float id", ok, `{"jsonrpc":"2.0","id":4.5,"method":"broadcast_tx_sync","params":{"tx":` + tx + `}}`},
		{"huge id", ok, `{"jsonrpc":"2.0","id":123456789012345678901,"method":"broadcast_tx_sync","params":{"tx":` + tx + `}}`},
		{"notification", ok, `{"jsonrpc":"2.0","method":"broadcast_tx_sync","params":{"tx":` + tx + `}}`},
		{"null id", ok, `{"jsonrpc":"2.0","id":null,"method":"broadcast_tx_sync","params":{"tx":` + tx + `}}`},
		{"no params", ok, `{"jsonrpc":"2.0","id":5,"method":"broadcast_tx_sync"}`},
		{"bad base64", ok, `{"jsonrpc":"2.0","id":5,"method":"broadcast_tx_sync","params":{"tx":"%%%"}}`},
		{"tx not a string", ok, `{"jsonrpc":"2.0","id":5,"method":"broadcast_tx_sync","params":{"tx":12}}`},
		{"two positional", ok, `{"jsonrpc":"2.0","id":5,"method":"broadcast_tx_sync","params":[` + tx + `,` + tx + `]}`},
		{"batch", ok, `[{"jsonrpc":"2.0","id":6,"method":"broadcast_tx_sync","params":{"tx":` + tx + `}}]`},
		{"other method", ok, `{"jsonrpc":"2.0","id":6,"method":"health","params":{}}`},
		{"not json", ok, `{"jsonrpc":`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			general, fast := serveBoth(t, tn, c.mp, c.body)
			if general.Code != fast.Code || !bytes.Equal(general.Body.Bytes(), fast.Body.Bytes()) ||
				general.Header().Get("Content-Type") != fast.Header().Get("Content-Type") {
				t.Fatalf("the transport answered %d %q (%s)\nthe fast path answered %d %q (%s)",
					general.Code, general.Body, general.Header().Get("Content-Type"),
					fast.Code, fast.Body, fast.Header().Get("Content-Type"))
			}
		})
	}
}

// FuzzFastBroadcast checks that whatever the fast path answers, the
// general transport answers the same.
func FuzzFastBroadcast(f *testing.F) {
	f.Add(`{"jsonrpc":"2.0","id":7,"method":"broadcast_tx_sync","params":{"tx":"YT0x"}}`, "log")
	f.Add(`{"id":"x","method":"broadcast_tx_async","params":["YT0x"]}`, "")
	f.Add(`{"id":-0,"method":"broadcast_tx_sync","params":{"tx":"YT0x","tx":"Yj0y"}}`, "\x00")
	f.Add(`{"id":1,"method":"broadcast_tx_sync","params":{"tx":""}}`, "")
	f.Add(`{"id":1,"method":"broadcast_tx_sync","params":{"tx":"YT0x="}}`, "")
	f.Add(`{"id":1,"method":"broadcast_tx_sync","params":{"tx":"YQ=="}}`, "")
	f.Add(`{"id":1,"method":"broadcast_tx_sync","params":{"tx":"Y=Q="}}`, "")
	tn := newTestNode(f, nil)
	f.Fuzz(func(t *testing.T, body, log string) {
		a := answer{res: &abci.ResponseCheckTx{Log: log, Data: []byte(log)}}
		general, fast := serveBoth(t, tn, a, body)
		if general.Code != fast.Code || !bytes.Equal(general.Body.Bytes(), fast.Body.Bytes()) {
			t.Fatalf("body %q: the transport answered %d %q, the fast path %d %q",
				body, general.Code, general.Body, fast.Code, fast.Body)
		}
	})
}
