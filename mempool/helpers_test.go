package mempool

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bftnode/bftnode/abci"
	"github.com/cometbft/cometbft/abci/example/kvstore"
	abciserver "github.com/cometbft/cometbft/abci/server"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/service"
)

// testApp is an app served by CometBFT's ABCI server on a unix socket, the
// wire protocol of `abci-cli kvstore`.
type testApp struct {
	addr   string
	server service.Service
}

func serveApp(t testing.TB, app abcitypes.Application) *testApp {
	t.Helper()
	dir, err := os.MkdirTemp("", "mp") // unix socket paths must stay short
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	addr := "unix://" + filepath.Join(dir, "app.sock")
	srv := abciserver.NewSocketServer(addr, app)
	srv.SetLogger(abci.CometLogger(nil))
	if err := srv.Start(); err != nil {
		t.Fatalf("start ABCI server: %v", err)
	}
	a := &testApp{addr: addr, server: srv}
	t.Cleanup(a.stop)
	return a
}

func (a *testApp) stop() {
	if a.server.IsRunning() {
		_ = a.server.Stop()
	}
}

func (a *testApp) connect(t testing.TB) *abci.Conns {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conns, err := abci.Connect(ctx, a.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conns.Close() })
	return conns
}

// node is a mempool over a kvstore on a real socket.
type node struct {
	app   *testApp
	conns *abci.Conns
	mp    *Mempool
	dir   string
	cfg   Config
}

func newNode(t testing.TB, cfg Config, app abcitypes.Application) *node {
	t.Helper()
	if app == nil {
		app = kvstore.NewInMemoryApplication()
	}
	n := &node{app: serveApp(t, app), dir: t.TempDir(), cfg: cfg}
	n.conns = n.app.connect(t)
	n.open(t)
	return n
}

// open (re)opens the mempool on the node's store.
func (n *node) open(t testing.TB) {
	t.Helper()
	mp, err := New(n.cfg, n.conns.Mempool, n.dir, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	n.mp = mp
	t.Cleanup(func() { mp.Close() })
}

func (n *node) reopen(t testing.TB) {
	t.Helper()
	if err := n.mp.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	n.open(t)
}

func ctxT(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// admit submits tx and fails the test unless the app accepted it.
func admit(t testing.TB, mp *Mempool, tx string) {
	t.Helper()
	res, err := mp.CheckTx(ctxT(t), []byte(tx), "")
	if err != nil {
		t.Fatalf("CheckTx(%s): %v", tx, err)
	}
	if !res.IsOK() {
		t.Fatalf("CheckTx(%s): app rejected it with code %d", tx, res.Code)
	}
}

// commitBlock executes txs as a block through the app and updates the
// mempool the way the engine does.
func commitBlock(t testing.TB, n *node, height int64, txs ...string) {
	t.Helper()
	ctx := ctxT(t)
	block := make([][]byte, len(txs))
	for i, tx := range txs {
		block[i] = []byte(tx)
	}
	if err := n.mp.Lock(ctx); err != nil {
		t.Fatalf("Lock: %v", err)
	}
	defer n.mp.Unlock()
	fin, err := n.conns.Consensus.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Txs: block, Height: height})
	if err != nil {
		t.Fatalf("FinalizeBlock: %v", err)
	}
	if _, err := n.conns.Consensus.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if err := n.mp.Update(height, block, fin.TxResults); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func strs(txs [][]byte) []string {
	out := make([]string, len(txs))
	for i, tx := range txs {
		out[i] = string(tx)
	}
	return out
}

func txName(i int) string { return fmt.Sprintf("key%05d=value%05d", i, i) }

// eventually polls cond for up to 10s; background work (recheck) has no
// completion signal callers may wait on.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
