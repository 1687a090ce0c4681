package rpc

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/config"
)

// TestBroadcastTxCommitWaitersAreBounded holds one broadcast_tx_commit in
// its wait and checks that a second is refused by max_subscription_clients.
func TestBroadcastTxCommitWaitersAreBounded(t *testing.T) {
	tn := newTestNode(t, func(cfg *config.RPCConfig, _ *Env) {
		cfg.MaxSubscriptionClients = 1
		cfg.TimeoutBroadcastTxCommit = 100 * time.Millisecond
	})
	tn.mempool.hold = make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var first []byte
	go func() {
		defer wg.Done()
		_, first = tn.get(t, `/broadcast_tx_commit?tx="held=1"`)
	}()
	waitFor(t, "the first waiter to subscribe", func() bool { return tn.env.EventBus.NumClients() == 1 })
	_, body := tn.get(t, `/broadcast_tx_commit?tx="second=1"`)
	if e := rpcError(t, body); e.Data != "max_subscription_clients 1 reached" {
		t.Errorf("second waiter: %s", body)
	}
	// Released, the first one times out waiting for a block and frees its
	// place.
	close(tn.mempool.hold)
	wg.Wait()
	if e := rpcError(t, first); e.Data != "timed out waiting for tx to be included in a block" {
		t.Errorf("first waiter: %s", first)
	}
	waitFor(t, "the waiter to unsubscribe", func() bool { return tn.env.EventBus.NumClients() == 0 })
}

func TestBroadcastTxCommitTimesOut(t *testing.T) {
	tn := newTestNode(t, func(cfg *config.RPCConfig, _ *Env) { cfg.TimeoutBroadcastTxCommit = 50 * time.Millisecond })
	_, body := tn.get(t, `/broadcast_tx_commit?tx="never=included"`)
	if e := rpcError(t, body); e.Data != "timed out waiting for tx to be included in a block" {
		t.Errorf("got %s", body)
	}
}

// TestShutdownEndsWaitersAndWebsockets shuts the server down while a
// broadcast_tx_commit waits and a websocket client is subscribed.
func TestShutdownEndsWaitersAndWebsockets(t *testing.T) {
	tn := newTestNode(t, func(cfg *config.RPCConfig, _ *Env) { cfg.TimeoutBroadcastTxCommit = time.Hour })
	done := make(chan []byte)
	go func() {
		resp, err := http.Get(tn.url + `/broadcast_tx_commit?tx="waiting=1"`)
		if err != nil {
			done <- []byte(err.Error())
			return
		}
		defer resp.Body.Close()
		var b strings.Builder
		fmt.Fprint(&b, resp.StatusCode)
		done <- []byte(b.String())
	}()
	ws := dialWS(t, tn, nil)
	wsCall(t, ws, 1, "subscribe", map[string]string{"query": "tm.event='NewBlock'"})
	wsRead(t, ws)
	waitFor(t, "both subscribers", func() bool { return tn.env.EventBus.NumClients() == 2 })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tn.srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	select {
	case got := <-done:
		t.Logf("the waiting request ended with %s", got)
	case <-time.After(10 * time.Second):
		t.Fatal("broadcast_tx_commit still waits after shutdown")
	}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := ws.ReadMessage(); err == nil {
		t.Error("the websocket is still open after shutdown")
	}
	waitFor(t, "no subscriber", func() bool { return tn.env.EventBus.NumClients() == 0 })
	if _, err := http.Get(tn.url + "/health"); err == nil {
		t.Error("the server still answers after shutdown")
	}
}

func TestBelowBaseHeights(t *testing.T) {
	tn := newTestNode(t, nil)
	if _, err := tn.env.Blocks.PruneBlocks(3); err != nil {
		t.Fatal(err)
	}
	_, body := tn.get(t, "/block?height=2")
	if e := rpcError(t, body); e.Data != "height 2 is not available, lowest height is 3" {
		t.Errorf("below base: %s", body)
	}
	_, body = tn.get(t, "/blockchain")
	if !strings.Contains(string(body), `"height":"3"`) || strings.Contains(string(body), `"height":"2"`) {
		t.Errorf("blockchain after pruning: %.300s", body)
	}
}

func TestCORSAndPprof(t *testing.T) {
	tn := newTestNode(t, func(cfg *config.RPCConfig, _ *Env) {
		cfg.CORSAllowedOrigins = []string{"https://app.example"}
		cfg.PprofListenAddress = "127.0.0.1:0"
	})
	req, _ := http.NewRequest(http.MethodOptions, tn.url+"/health", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "GET")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "https://app.example" {
		t.Errorf("CORS preflight: Access-Control-Allow-Origin %q", got)
	}
	req.Header.Set("Origin", "https://other.example")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("a foreign origin was allowed: %q", got)
	}
	resp, err = http.Get("http://" + tn.srv.PprofAddr().String() + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("pprof index: %d", resp.StatusCode)
	}
}

func TestStartChecksItsInput(t *testing.T) {
	tn := newTestNode(t, nil)
	env := *tn.env
	env.Mempool = nil
	if _, err := Start(context.Background(), testConfig(), &env, nil); err == nil {
		t.Error("an environment without a mempool was accepted")
	}
	cfg := testConfig()
	cfg.ListenAddress = "127.0.0.1:1"
	if _, err := Start(context.Background(), cfg, tn.env, nil); err == nil || !strings.Contains(err.Error(), "laddr") {
		t.Errorf("an address without a scheme: %v", err)
	}
	cfg.ListenAddress = ""
	srv, err := Start(context.Background(), cfg, tn.env, nil)
	if err != nil || srv.Addr() != nil {
		t.Fatalf("empty laddr: %v %v", srv, err)
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

// TestContextEndStopsTheServer: Start's context ending shuts the server.
func TestContextEndStopsTheServer(t *testing.T) {
	tn := newTestNode(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Start(ctx, testConfig(), tn.env, nil)
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + srv.Addr().String() + "/health"
	if resp, err := http.Get(url); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	cancel()
	waitFor(t, "the server to stop", func() bool {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
		}
		return err != nil
	})
}

// TestBroadcastTxAsyncDoesNotWaitForTheCheck holds every check in the
// mempool: broadcast_tx_async still answers with the hash, over both the
// general transport and the fast path, while broadcast_tx_sync waits for
// the app's answer.
func TestBroadcastTxAsyncDoesNotWaitForTheCheck(t *testing.T) {
	tn := newTestNode(t, nil)
	tn.mempool.hold = make(chan struct{})
	_, body := tn.get(t, `/broadcast_tx_async?tx="held=1"`)
	if want := fmt.Sprintf("%X", types.Tx("held=1").Hash()); !strings.Contains(string(body), want) {
		t.Errorf("broadcast_tx_async (general transport) while the check is held: %s, want hash %s", body, want)
	}
	_, body = tn.post(t, `{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_async","params":{"tx":"`+b64("held=2")+`"}}`)
	if want := fmt.Sprintf("%X", types.Tx("held=2").Hash()); !strings.Contains(string(body), want) {
		t.Errorf("broadcast_tx_async (fast path) while the check is held: %s, want hash %s", body, want)
	}
	synced := make(chan []byte, 1)
	go func() {
		_, body := tn.get(t, `/broadcast_tx_sync?tx="held=3"`)
		synced <- body
	}()
	select {
	case body := <-synced:
		t.Fatalf("broadcast_tx_sync answered before the app did: %s", body)
	case <-time.After(100 * time.Millisecond):
	}
	close(tn.mempool.hold)
	if body := <-synced; !strings.Contains(string(body), `"code":0`) {
		t.Errorf("broadcast_tx_sync once the check was released: %s", body)
	}
}
