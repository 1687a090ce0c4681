package mempool

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"

	"github.com/bftnode/bftnode/abci"
	"github.com/cometbft/cometbft/abci/example/kvstore"
	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// oncePerKeyApp is a kvstore whose CheckTx refuses to set a key that a
// committed block already set, so a block can make a valid tx invalid.
type oncePerKeyApp struct {
	*kvstore.Application
	rechecks atomic.Int64
}

const codeKeyTaken = 7

func newOncePerKeyApp() *oncePerKeyApp {
	return &oncePerKeyApp{Application: kvstore.NewInMemoryApplication()}
}

func (a *oncePerKeyApp) CheckTx(ctx context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	if req.Type == abcitypes.CheckTxType_Recheck {
		a.rechecks.Add(1)
	}
	res, err := a.Application.CheckTx(ctx, req)
	if err != nil || !res.IsOK() {
		return res, err
	}
	key, _, _ := bytes.Cut(req.Tx, []byte("="))
	q, err := a.Application.Query(ctx, &abcitypes.RequestQuery{Data: key})
	if err != nil {
		return nil, err
	}
	if q.Value != nil {
		return &abcitypes.ResponseCheckTx{Code: codeKeyTaken, Log: "key already set"}, nil
	}
	return res, nil
}

// gatedRecheckApp holds every recheck until the gate opens.
type gatedRecheckApp struct {
	*oncePerKeyApp
	gate chan struct{}
}

func (a *gatedRecheckApp) CheckTx(ctx context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	if req.Type == abcitypes.CheckTxType_Recheck {
		<-a.gate
	}
	return a.oncePerKeyApp.CheckTx(ctx, req)
}

// manualConn is an app connection whose answers the test releases by hand.
type manualConn struct {
	mu      sync.Mutex
	waiting []manualCheck
	arrived chan struct{}
}

type manualCheck struct {
	req  *abcitypes.RequestCheckTx
	done abci.CheckTxDone
}

func newManualConn() *manualConn { return &manualConn{arrived: make(chan struct{}, 1000)} }

func (c *manualConn) CheckTxAsync(req *abcitypes.RequestCheckTx, done abci.CheckTxDone) {
	c.mu.Lock()
	c.waiting = append(c.waiting, manualCheck{req, done})
	c.mu.Unlock()
	c.arrived <- struct{}{}
}

func (c *manualConn) Flush(context.Context) error { return nil }

// answerAll accepts every waiting check.
func (c *manualConn) answerAll() {
	c.mu.Lock()
	waiting := c.waiting
	c.waiting = nil
	c.mu.Unlock()
	for _, w := range waiting {
		w.done(&abcitypes.ResponseCheckTx{GasWanted: 1}, nil)
	}
}
