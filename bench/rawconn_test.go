package bench

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRawConnDialsAnewRatherThanReuseAnIdleConnection(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, `{"jsonrpc":"2.0","id":1,"result":{"code":0,"data":"","log":"","codespace":"","hash":"AB"}}`)
	}))
	srv.Config.IdleTimeout = 50 * time.Millisecond
	srv.Start()
	defer srv.Close()
	c, ok := newRawConn(srv.URL, 5*time.Second)
	if !ok {
		t.Fatalf("cannot serve %s", srv.URL)
	}
	defer c.close()
	c.maxIdle = 20 * time.Millisecond
	for i := 0; i < 3; i++ {
		if _, err := c.broadcastTxSync([]byte("a=1")); err != nil {
			t.Fatalf("broadcast %d: %v", i, err)
		}
		time.Sleep(100 * time.Millisecond) // the server closes the connection meanwhile
	}
}

func TestRawConnServesOnlyPlainHTTP(t *testing.T) {
	for _, ep := range []string{"https://127.0.0.1:1", "http://127.0.0.1:1/rpc", "127.0.0.1:1"} {
		if _, ok := newRawConn(ep, time.Second); ok {
			t.Errorf("%s taken for a plain http endpoint", ep)
		}
	}
}
