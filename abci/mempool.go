package abci

import (
	"context"
	"fmt"
	"sync"

	abcicli "github.com/cometbft/cometbft/abci/client"
	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// CheckTxDone receives the outcome of one asynchronous CheckTx: the app's
// response, or the error that ended the connection. A response with a
// non-zero Code is the app rejecting the transaction, not an error.
//
// It may run on the connection's reader goroutine, so it must not block and
// must not call back into the connection.
type CheckTxDone func(res *abcitypes.ResponseCheckTx, err error)

// MempoolConn carries CheckTx. Its asynchronous form lets many checks be in
// flight on one socket at once instead of one round trip each.
type MempoolConn struct {
	appConn

	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]CheckTxDone
	stopped error // set once the connection failed or closed
}

func newMempoolConn(base appConn) *MempoolConn {
	c := &MempoolConn{appConn: base, pending: make(map[uint64]CheckTxDone)}
	base.conns.whenStopped(c.failPending)
	return c
}

// CheckTx checks one transaction and waits for the answer.
func (c *MempoolConn) CheckTx(ctx context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	return call(ctx, &c.appConn, "CheckTx", func(ctx context.Context) (*abcitypes.ResponseCheckTx, error) {
		return c.client.CheckTx(ctx, req)
	})
}

// CheckTxAsync sends a CheckTx without waiting for the answer and calls done
// exactly once, with the response or with the error that failed or closed
// the connection. Requests reach the app in the order CheckTxAsync was
// called. The socket client sends the requests queued together in one
// write and ends it with a Flush of its own, so answers come back without
// a call to Flush; the in-process client answers at once.
func (c *MempoolConn) CheckTxAsync(req *abcitypes.RequestCheckTx, done CheckTxDone) {
	if err := c.usable("CheckTx"); err != nil {
		done(nil, err)
		return
	}
	id, ok := c.track(done)
	if !ok {
		done(nil, c.stoppedErr())
		return
	}
	reqRes, err := c.send(req)
	if err != nil {
		c.finish(id, nil, c.fail("CheckTx", err))
		return
	}
	reqRes.SetCallback(func(res *abcitypes.Response) {
		if r := res.GetCheckTx(); r != nil {
			c.finish(id, r, nil)
			return
		}
		c.finish(id, nil, c.fail("CheckTx", fmt.Errorf("app answered CheckTx with %T", res.GetValue())))
	})
}

// send queues the request on the client. An in-process app runs right here,
// so its panic is caught and reported like any other app failure.
func (c *MempoolConn) send(req *abcitypes.RequestCheckTx) (reqRes *abcicli.ReqRes, err error) {
	defer func() {
		if r := recover(); r != nil {
			reqRes, err = nil, fmt.Errorf("application panicked: %v", r)
		}
	}()
	reqRes, err = c.client.CheckTxAsync(c.conns.lifetime, req)
	if err == nil && reqRes == nil {
		err = fmt.Errorf("client returned no request handle")
	}
	return reqRes, err
}

// track registers a request until finish or failPending answers it.
func (c *MempoolConn) track(done CheckTxDone) (uint64, bool) {
	if !c.conns.enter() {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped != nil {
		c.conns.exit()
		return 0, false
	}
	c.nextID++
	c.pending[c.nextID] = done
	return c.nextID, true
}

// finish calls the request's done unless failPending already did.
func (c *MempoolConn) finish(id uint64, res *abcitypes.ResponseCheckTx, err error) {
	c.mu.Lock()
	done, ok := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if ok {
		c.conns.exit()
		done(res, err)
	}
}

func (c *MempoolConn) stoppedErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped != nil {
		return c.stopped
	}
	return fmt.Errorf("mempool connection: CheckTx: %w", ErrClosed) // Close has begun
}

// failPending answers every request still waiting when the connection
// fails or closes: CometBFT's client drops them without a callback.
func (c *MempoolConn) failPending(cause error) {
	c.mu.Lock()
	c.stopped = fmt.Errorf("mempool connection: CheckTx: %w", cause)
	pending := c.pending
	c.pending = make(map[uint64]CheckTxDone)
	c.mu.Unlock()
	for _, done := range pending {
		c.conns.exit()
		done(nil, c.stopped)
	}
}
