package abci

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	abciserver "github.com/cometbft/cometbft/abci/server"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/service"
)

// socketApp is an app served over a real socket by CometBFT's ABCI server,
// the same wire protocol `abci-cli kvstore` speaks.
type socketApp struct {
	addr   string
	server service.Service
}

// startSocketApp serves app on a unix socket ("unix") or a loopback TCP
// port ("tcp") until the test ends or stop is called.
func startSocketApp(t testing.TB, app abcitypes.Application, proto string) *socketApp {
	t.Helper()
	var addr string
	switch proto {
	case "unix":
		// Short path: unix socket paths are limited to about 100 bytes.
		dir, err := os.MkdirTemp("", "abci")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		addr = "unix://" + filepath.Join(dir, "app.sock")
	case "tcp":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = fmt.Sprintf("tcp://%s", ln.Addr())
		ln.Close()
	default:
		t.Fatalf("unknown proto %q", proto)
	}
	srv := abciserver.NewSocketServer(addr, app)
	srv.SetLogger(CometLogger(nil))
	if err := srv.Start(); err != nil {
		t.Fatalf("start ABCI server at %s: %v", addr, err)
	}
	s := &socketApp{addr: addr, server: srv}
	t.Cleanup(s.stop)
	return s
}

func (s *socketApp) stop() {
	if s.server.IsRunning() {
		_ = s.server.Stop()
	}
}

func connectTest(t testing.TB, proxyApp string, opts ...Option) *Conns {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conns, err := Connect(ctx, proxyApp, nil, opts...)
	if err != nil {
		t.Fatalf("Connect(%s): %v", proxyApp, err)
	}
	t.Cleanup(func() { conns.Close() })
	return conns
}

func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newKVStore() *kvstore.Application { return kvstore.NewInMemoryApplication() }

// waitFailed waits for the connections to report a failure.
func waitFailed(t *testing.T, conns *Conns) error {
	t.Helper()
	select {
	case <-conns.Failed():
		return conns.Err()
	case <-time.After(10 * time.Second):
		t.Fatal("connections did not report the failure within 10s")
		return nil
	}
}
