package abci

import (
	"context"
	"errors"
	"fmt"

	abcicli "github.com/cometbft/cometbft/abci/client"
)

// appConn is what every typed connection shares: one CometBFT client and the
// failure state of the Conns it belongs to.
type appConn struct {
	name   string // consensus, mempool, query or snapshot
	client abcicli.Client
	conns  *Conns
}

// usable refuses calls once the connections failed or were closed.
func (c *appConn) usable(method string) error {
	if c.conns.closing.Load() {
		return fmt.Errorf("%s connection: %s: %w", c.name, method, ErrClosed)
	}
	if err := c.conns.Err(); err != nil {
		return fmt.Errorf("%s connection: %s refused: %w", c.name, method, err)
	}
	return nil
}

// fail turns an error from the app or the client into the shared failure.
func (c *appConn) fail(method string, cause error) error {
	return c.conns.fail(c.name, method, cause)
}

// call runs one request. The client call runs on its own goroutine because
// CometBFT's socket client waits for the answer without a context: the
// caller still returns when ctx ends or the connection fails. A panic of an
// in-process app is caught and treated as the app failing, never as the
// node's crash.
//
// An error that is not the caller's ctx ending is a failure of the
// connection: it is reported once to the Conns and wraps ErrConnFailed.
// (A request the dead client queued after draining its queue is never
// answered; its goroutine then stays parked, a cost paid once, on the way
// to halting.)
func call[T any](ctx context.Context, c *appConn, method string,
	fn func(context.Context) (*T, error),
) (*T, error) {
	if err := c.usable(method); err != nil {
		return nil, err
	}
	if !c.conns.enter() {
		return nil, fmt.Errorf("%s connection: %s: %w", c.name, method, ErrClosed)
	}
	type result struct {
		res *T
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer c.conns.exit()
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: fmt.Errorf("application panicked: %v", r)}
			}
		}()
		res, err := fn(c.conns.lifetime)
		done <- result{res: res, err: err}
	}()
	select {
	case r := <-done:
		if r.err == nil && r.res == nil {
			r.err = errors.New("no response (the connection was stopped)")
		}
		if r.err != nil {
			return nil, fmt.Errorf("%s: %w", method, c.fail(method, r.err))
		}
		return r.res, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%s connection: %s: %w", c.name, method, ctx.Err())
	case <-c.conns.failed:
		return nil, fmt.Errorf("%s connection: %s: %w", c.name, method, c.conns.Err())
	}
}

// Echo asks the app to echo msg back; Connect uses it to make sure the
// address speaks ABCI.
func (c *appConn) Echo(ctx context.Context, msg string) (string, error) {
	res, err := call(ctx, c, "Echo", func(ctx context.Context) (*echoResult, error) {
		r, err := c.client.Echo(ctx, msg)
		if err != nil || r == nil {
			return nil, err
		}
		return &echoResult{msg: r.Message}, nil
	})
	if err != nil {
		return "", err
	}
	if res.msg != msg {
		return "", c.fail("Echo", fmt.Errorf("app echoed %q for %q", res.msg, msg))
	}
	return res.msg, nil
}

type echoResult struct{ msg string }

// Flush waits until the app has answered every request sent before it.
func (c *appConn) Flush(ctx context.Context) error {
	_, err := call(ctx, c, "Flush", func(ctx context.Context) (*struct{}, error) {
		if err := c.client.Flush(ctx); err != nil {
			return nil, err
		}
		// The socket client's Flush does not itself report a broken
		// connection; Error does.
		if err := c.client.Error(); err != nil {
			return nil, err
		}
		return &struct{}{}, nil
	})
	return err
}
