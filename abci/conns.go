package abci

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	abcicli "github.com/cometbft/cometbft/abci/client"
)

// ErrConnFailed marks every error caused by a failed application connection:
// the app went away, answered with an exception, returned an error or broke
// the protocol. Once it is seen the node must stop rather than commit.
var ErrConnFailed = errors.New("application connection failed")

// ErrClosed is returned by calls made after Conns.Close.
var ErrClosed = errors.New("application connections are closed")

// Conns holds the node's four connections to its application. They share
// one failure state: the first failure on any of them fails them all.
type Conns struct {
	Consensus *ConsensusConn
	Mempool   *MempoolConn
	Query     *QueryConn
	Snapshot  *SnapshotConn

	addr   string
	logger *slog.Logger

	// lifetime is cancelled on failure or Close; it bounds every request the
	// clients queue so that none waits forever on a dead connection.
	lifetime context.Context
	cancel   context.CancelFunc

	failOnce sync.Once
	failed   chan struct{}
	err      error // set before failed is closed
	closing  atomic.Bool

	mu      sync.Mutex
	onStop  []func(error)
	clients []abcicli.Client
	closers []func() error
	active  int           // requests in progress (see enter)
	idle    chan struct{} // set by Close, closed when active reaches 0
}

func newConns(addr string, logger *slog.Logger) *Conns {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	lifetime, cancel := context.WithCancel(context.Background())
	return &Conns{
		addr:     addr,
		logger:   logger,
		lifetime: lifetime,
		cancel:   cancel,
		failed:   make(chan struct{}),
	}
}

// Addr is the proxy_app value the connections were opened with.
func (c *Conns) Addr() string { return c.addr }

// Failed is closed when any connection has failed; Err then says why.
func (c *Conns) Failed() <-chan struct{} { return c.failed }

// Err is nil while the connections work, and the first failure afterwards.
// The error wraps ErrConnFailed.
func (c *Conns) Err() error {
	select {
	case <-c.failed:
		return c.err
	default:
		return nil
	}
}

// fail records the first failure, wakes everyone waiting on Failed and tells
// the connections' failure hooks (the mempool connection's pending CheckTx
// callers). It returns the recorded error, with this cause added when an
// earlier failure was recorded first.
func (c *Conns) fail(conn, method string, cause error) error {
	if c.closing.Load() {
		return fmt.Errorf("%s connection: %s: %w", conn, method, ErrClosed)
	}
	first := false
	c.failOnce.Do(func() {
		first = true
		what := "broke"
		if method != "" {
			what = "failed in " + method
		}
		c.err = fmt.Errorf("%w: the %s connection to %s %s: %w; "+
			"the node stops so as not to commit without its application: "+
			"check the app's logs, restart it, then restart the node",
			ErrConnFailed, conn, c.addr, what, cause)
		c.logger.Error("application connection failed", "conn", conn,
			"app", c.addr, "method", method, "err", cause)
		close(c.failed)
		c.cancel()
		c.runStopHooks(c.err)
	})
	if !first && method != "" {
		// Keep this call's own cause visible next to the first failure.
		return fmt.Errorf("%s connection, %s: %v; %w", conn, method, cause, c.err)
	}
	return c.err
}

// whenStopped registers a hook run once, on the first failure or on Close.
func (c *Conns) whenStopped(h func(error)) {
	c.mu.Lock()
	c.onStop = append(c.onStop, h)
	c.mu.Unlock()
}

func (c *Conns) runStopHooks(cause error) {
	c.mu.Lock()
	hooks := c.onStop
	c.onStop = nil
	c.mu.Unlock()
	for _, h := range hooks {
		h(cause)
	}
}

// Close waits (a few seconds at most) for the requests in progress, stops
// the clients and closes a built-in application's database. Later calls
// return ErrClosed; Close does not report a failure. Close the mempool
// before its connection.
func (c *Conns) Close() error {
	c.mu.Lock()
	if c.closing.Swap(true) {
		c.mu.Unlock()
		return nil
	}
	idle := make(chan struct{})
	if c.active == 0 {
		close(idle)
	} else {
		c.idle = idle
	}
	clients, closers := c.clients, c.closers
	c.clients, c.closers = nil, nil
	c.mu.Unlock()

	c.quiesce(idle, clients)
	c.cancel()
	var errs []error
	for _, cl := range clients {
		if cl.IsRunning() {
			if err := cl.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("stop ABCI client: %w", err))
			}
		}
	}
	c.runStopHooks(ErrClosed)
	for _, closeFn := range closers {
		if err := closeFn(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// closeDrainTimeout bounds how long Close waits for the app to answer what
// is in flight.
const closeDrainTimeout = 5 * time.Second

// quiesce lets the connections go quiet before Close stops them, so that
// requests in flight get the app's answer rather than a stop: Close first
// waits for our requests, then flushes every running client twice (a Flush
// returns only once everything queued before it is answered; the second
// covers a flush the client queued on its own behind the first).
func (c *Conns) quiesce(idle <-chan struct{}, clients []abcicli.Client) {
	ctx, cancel := context.WithTimeout(c.lifetime, closeDrainTimeout)
	defer cancel()
	select {
	case <-idle:
	case <-ctx.Done():
		c.logger.Warn("closing the application connections with requests unanswered",
			"app", c.addr, "waited", closeDrainTimeout)
		return
	}
	for _, cl := range clients {
		if !cl.IsRunning() {
			continue
		}
		flushed := make(chan struct{})
		go func() {
			defer close(flushed)
			for range 2 {
				_ = cl.Flush(ctx) // an error means the client died: nothing to wait for
			}
		}()
		select {
		case <-flushed:
		case <-ctx.Done():
			return
		}
	}
}

// enter counts a request in progress so that Close can wait for it; it
// refuses once Close has begun. Every successful enter is paired with exit.
func (c *Conns) enter() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing.Load() {
		return false
	}
	c.active++
	return true
}

func (c *Conns) exit() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active--
	if c.active == 0 && c.idle != nil {
		close(c.idle)
		c.idle = nil
	}
}

// watch reports a failure when a socket client stops on its own: the
// client stops itself when the connection breaks or the app answers with an
// exception, and records why in Error().
func (c *Conns) watch(name string, cl abcicli.Client) {
	select {
	case <-cl.Quit():
		cause := cl.Error()
		if cause == nil {
			cause = errors.New("connection closed")
		}
		c.fail(name, "", cause)
	case <-c.lifetime.Done():
	}
}
