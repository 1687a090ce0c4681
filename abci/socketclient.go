package abci

import (
	"bufio"
	"container/list"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	abcicli "github.com/cometbft/cometbft/abci/client"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtnet "github.com/cometbft/cometbft/libs/net"
	"github.com/cometbft/cometbft/libs/service"
)

// socketQueue is how many requests may wait for the writer.
const socketQueue = 1024

// errClientStopped answers requests still waiting when the client stops.
var errClientStopped = errors.New("the ABCI socket client stopped")

// socketClient speaks ABCI's socket protocol (length-delimited protobuf
// requests, answered in order) to one connection of an app. It replaces
// CometBFT's socket client, whose flush timer is armed with 20ns instead of
// 20ms: while its writer is busy the timer re-fires without pause, which
// under a CheckTx flood cost a quarter of the node's CPU and sent the app a
// Flush after nearly every request. Here the writer flushes when its queue
// runs dry: requests that arrive together go out in one write, and a lone
// request is never held back.
type socketClient struct {
	service.BaseService
	addr string
	conn net.Conn

	queue chan *abcicli.ReqRes
	done  chan struct{} // closed when stopping starts

	// enqueue is held (read side) while a request is pushed on queue;
	// stopping takes it exclusively, so nothing lands on queue after the
	// final drain.
	enqueue sync.RWMutex

	mu      sync.Mutex
	sent    *list.List // of *abcicli.ReqRes written and not yet answered, in order
	stopped bool
	err     error
	resCb   abcicli.Callback
	// queued counts requests handed to the writer and not yet written;
	// inflight those written whose answer has not been handled yet
	// (callbacks included). Flush has nothing to wait for when both are 0.
	queued, inflight int
}

var _ abcicli.Client = (*socketClient)(nil)

// newSocketClient returns a client for addr (tcp://host:port or
// unix:///path); Start connects.
func newSocketClient(addr string) *socketClient {
	c := &socketClient{addr: addr, queue: make(chan *abcicli.ReqRes, socketQueue),
		done: make(chan struct{}), sent: list.New()}
	c.BaseService = *service.NewBaseService(nil, "abciSocketClient", c)
	return c
}

// OnStart connects and starts the writer and the reader.
func (c *socketClient) OnStart() error {
	conn, err := cmtnet.Connect(c.addr)
	if err != nil {
		return err
	}
	c.conn = conn
	go c.writeLoop()
	go c.readLoop()
	return nil
}

// OnStop closes the connection and releases every request still waiting;
// their Response stays nil.
func (c *socketClient) OnStop() {
	close(c.done)
	c.enqueue.Lock()
	c.mu.Lock()
	c.stopped = true
	pending := c.sent
	c.sent = list.New()
	c.mu.Unlock()
	c.enqueue.Unlock()
	if c.conn != nil {
		c.conn.Close()
	}
	for e := pending.Front(); e != nil; e = e.Next() {
		e.Value.(*abcicli.ReqRes).Done()
	}
	for {
		select {
		case rr := <-c.queue:
			rr.Done()
		default:
			return
		}
	}
}

// stopForError records the first failure and stops. An error after the
// client began stopping (the reader seeing its connection closed) is the
// stop, not a failure.
func (c *socketClient) stopForError(err error) {
	c.mu.Lock()
	if c.err == nil && !c.stopped {
		c.err = err
	}
	c.mu.Unlock()
	_ = c.Stop()
}

// Error is the failure that stopped the client, if any.
func (c *socketClient) Error() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// SetResponseCallback sets a callback that hears every answer.
func (c *socketClient) SetResponseCallback(cb abcicli.Callback) {
	c.mu.Lock()
	c.resCb = cb
	c.mu.Unlock()
}

// writeLoop writes requests in queue order, recording each as sent just
// before it goes out, and flushes (with a Flush request, so the app writes
// its answers too) whenever the queue runs dry.
func (c *socketClient) writeLoop() {
	w := bufio.NewWriterSize(c.conn, 64<<10)
	for {
		var rr *abcicli.ReqRes
		select {
		case rr = <-c.queue:
		case <-c.done:
			return
		}
		lastWasFlush := false
		for rr != nil {
			if err := c.write(w, rr, true); err != nil {
				c.stopForError(fmt.Errorf("writing to the app: %w", err))
				return
			}
			_, lastWasFlush = rr.Request.Value.(*abcitypes.Request_Flush)
			select {
			case rr = <-c.queue:
			default:
				rr = nil
			}
		}
		if !lastWasFlush {
			if err := c.write(w, abcicli.NewReqRes(abcitypes.ToRequestFlush()), false); err != nil {
				c.stopForError(fmt.Errorf("writing to the app: %w", err))
				return
			}
		}
		if err := w.Flush(); err != nil {
			c.stopForError(fmt.Errorf("writing to the app: %w", err))
			return
		}
	}
}

// write records rr as sent and writes it; fromQueue says it came through
// queue (not the writer's own Flush), so it leaves the queued count.
func (c *socketClient) write(w *bufio.Writer, rr *abcicli.ReqRes, fromQueue bool) error {
	c.mu.Lock()
	if fromQueue {
		c.queued--
	}
	if c.stopped {
		c.mu.Unlock()
		rr.Done()
		return errClientStopped
	}
	c.sent.PushBack(rr)
	c.inflight++
	c.mu.Unlock()
	return abcitypes.WriteMessage(rr.Request, w)
}

// readLoop matches each answer with the oldest request sent.
func (c *socketClient) readLoop() {
	r := bufio.NewReaderSize(c.conn, 64<<10)
	for {
		res := &abcitypes.Response{}
		if err := abcitypes.ReadMessage(r, res); err != nil {
			c.stopForError(fmt.Errorf("reading from the app: %w", err))
			return
		}
		if ex, ok := res.Value.(*abcitypes.Response_Exception); ok {
			c.stopForError(fmt.Errorf("the app answered with an exception: %s", ex.Exception.Error))
			return
		}
		if err := c.answer(res); err != nil {
			c.stopForError(err)
			return
		}
	}
}

func (c *socketClient) answer(res *abcitypes.Response) error {
	c.mu.Lock()
	front := c.sent.Front()
	if front == nil {
		c.mu.Unlock()
		return fmt.Errorf("the app sent a %T nobody asked for", res.Value)
	}
	rr := front.Value.(*abcicli.ReqRes)
	if !answers(rr.Request, res) {
		c.mu.Unlock()
		return fmt.Errorf("the app answered a %T with a %T", rr.Request.Value, res.Value)
	}
	c.sent.Remove(front)
	cb := c.resCb
	c.mu.Unlock()
	rr.Response = res
	if cb != nil {
		cb(rr.Request, res)
	}
	rr.InvokeCallback()
	c.mu.Lock()
	c.inflight--
	c.mu.Unlock()
	// Waiters go last: a caller whose Flush returns finds its own request,
	// callbacks and all, already off the books, so a Flush right after it
	// has nothing to wait for.
	rr.Done()
	return nil
}

// queueRequest hands req to the writer.
func (c *socketClient) queueRequest(ctx context.Context, req *abcitypes.Request) (*abcicli.ReqRes, error) {
	c.enqueue.RLock()
	defer c.enqueue.RUnlock()
	c.mu.Lock()
	stopped, err := c.stopped, c.err
	c.queued++
	c.mu.Unlock()
	if stopped || !c.IsRunning() {
		c.unqueue()
		return nil, stoppedError(err)
	}
	rr := abcicli.NewReqRes(req)
	select {
	case c.queue <- rr:
		return rr, nil
	case <-ctx.Done():
		c.unqueue()
		return nil, ctx.Err()
	case <-c.done:
		c.unqueue()
		return nil, stoppedError(c.Error())
	}
}

func (c *socketClient) unqueue() {
	c.mu.Lock()
	c.queued--
	c.mu.Unlock()
}

// answered reports whether every request handed to the client so far has
// its answer.
func (c *socketClient) answered() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.stopped && c.queued == 0 && c.inflight == 0
}

func stoppedError(cause error) error {
	if cause != nil {
		return fmt.Errorf("%w: %w", errClientStopped, cause)
	}
	return errClientStopped
}

// roundTrip sends req and waits for its answer.
func (c *socketClient) roundTrip(ctx context.Context, req *abcitypes.Request) (*abcitypes.Response, error) {
	rr, err := c.queueRequest(ctx, req)
	if err != nil {
		return nil, err
	}
	rr.Wait()
	if rr.Response == nil {
		return nil, stoppedError(c.Error())
	}
	return rr.Response, nil
}

// CheckTxAsync queues a CheckTx; its ReqRes completes with the answer, or
// with a nil Response if the client stops first.
func (c *socketClient) CheckTxAsync(ctx context.Context, req *abcitypes.RequestCheckTx) (*abcicli.ReqRes, error) {
	return c.queueRequest(ctx, abcitypes.ToRequestCheckTx(req))
}

// Flush waits until the app answered every request sent before it. With
// nothing unanswered there is nothing to wait for, and the app is spared
// the round trip: the writer already ends every burst with a Flush.
func (c *socketClient) Flush(ctx context.Context) error {
	if c.answered() {
		return nil
	}
	_, err := c.roundTrip(ctx, abcitypes.ToRequestFlush())
	return err
}
