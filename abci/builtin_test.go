package abci

import (
	"context"
	"errors"
	"strings"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

func TestBuiltinKVStorePersistsUnderItsDirectory(t *testing.T) {
	dir := t.TempDir()
	conns := connectTest(t, AppKVStore, WithKVStoreDir(dir))
	ctx := testCtx(t)
	if _, err := conns.Consensus.InitChain(ctx, &abcitypes.RequestInitChain{}); err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	fin := runBlock(t, conns, 1, [][]byte{[]byte("name=satoshi")})
	if err := conns.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	reopened := connectTest(t, AppPersistentKVStore, WithKVStoreDir(dir))
	info, err := reopened.Query.Info(ctx, &abcitypes.RequestInfo{})
	if err != nil {
		t.Fatalf("Info after reopening: %v", err)
	}
	if info.LastBlockHeight != 1 || string(info.LastBlockAppHash) != string(fin.AppHash) {
		t.Fatalf("reopened app at height %d hash %X, want 1 and %X",
			info.LastBlockHeight, info.LastBlockAppHash, fin.AppHash)
	}
	q, err := reopened.Query.Query(ctx, &abcitypes.RequestQuery{Data: []byte("name")})
	if err != nil || string(q.Value) != "satoshi" {
		t.Fatalf("Query after reopening = %v, %v", q, err)
	}
}

func TestBuiltinKVStoreDirectoryInUse(t *testing.T) {
	dir := t.TempDir()
	connectTest(t, AppKVStore, WithKVStoreDir(dir))
	_, err := Connect(context.Background(), AppKVStore, nil, WithKVStoreDir(dir))
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second kvstore on %s: %v, want an error naming the directory", dir, err)
	}
}

func TestBuiltinInMemoryAndNoop(t *testing.T) {
	for _, name := range []string{AppKVStore, AppNoop} {
		t.Run(name, func(t *testing.T) {
			conns := connectTest(t, name)
			ctx := testCtx(t)
			if _, err := conns.Consensus.InitChain(ctx, &abcitypes.RequestInitChain{}); err != nil {
				t.Fatalf("InitChain: %v", err)
			}
			fin := runBlock(t, conns, 1, [][]byte{[]byte("a=1")})
			if len(fin.TxResults) != 1 {
				t.Fatalf("%d results for 1 tx", len(fin.TxResults))
			}
			done := make(chan *abcitypes.ResponseCheckTx, 1)
			conns.Mempool.CheckTxAsync(&abcitypes.RequestCheckTx{Tx: []byte("b=2")},
				func(res *abcitypes.ResponseCheckTx, err error) {
					if err != nil {
						t.Errorf("CheckTxAsync: %v", err)
					}
					done <- res
				})
			if res := <-done; res == nil || res.Code != abcitypes.CodeTypeOK {
				t.Fatalf("CheckTxAsync(b=2) = %v", res)
			}
		})
	}
}

// panickingApp panics on a transaction, as a buggy in-process app might on
// a malicious one.
type panickingApp struct{ abcitypes.BaseApplication }

func (panickingApp) CheckTx(_ context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	if string(req.Tx) == "boom" {
		panic("index out of range")
	}
	return &abcitypes.ResponseCheckTx{}, nil
}

func TestInProcessAppPanicIsAFailureNotACrash(t *testing.T) {
	for _, async := range []bool{false, true} {
		conns, err := connectLocal("panicking", panickingApp{}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conns.Close()
		req := &abcitypes.RequestCheckTx{Tx: []byte("boom")}
		if async {
			done := make(chan error, 1)
			conns.Mempool.CheckTxAsync(req, func(_ *abcitypes.ResponseCheckTx, err error) { done <- err })
			err = <-done
		} else {
			_, err = conns.Mempool.CheckTx(testCtx(t), req)
		}
		if !errors.Is(err, ErrConnFailed) || !strings.Contains(err.Error(), "panicked") {
			t.Fatalf("async=%v: CheckTx(boom) = %v, want a failure saying the app panicked", async, err)
		}
		if conns.Err() == nil {
			t.Fatalf("async=%v: the panic did not fail the connections", async)
		}
	}
}
