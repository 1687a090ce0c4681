package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Polling intervals of the follower: slow while the websocket delivers
// blocks (polling only fills gaps), fast when it does not, so a missing
// subscription costs at most a few milliseconds of measured latency.
const (
	pollWhileSubscribed = 250 * time.Millisecond
	pollWithoutEvents   = 10 * time.Millisecond
	redialPause         = 500 * time.Millisecond
)

// follower delivers every committed block from a starting height on, in
// height order, each with the time it was first seen.
type follower struct {
	c        *rpcClient
	endpoint string
	next     int64 // the next height to deliver
	deliver  func(height int64, txs [][]byte, at time.Time)

	subscribed atomic.Bool
	height     atomic.Int64 // last delivered height
	lastErr    atomic.Value // string: the last error, for the report
}

func newFollower(c *rpcClient, endpoint string, from int64, deliver func(int64, [][]byte, time.Time)) *follower {
	f := &follower{c: c, endpoint: endpoint, next: from, deliver: deliver}
	f.height.Store(from - 1)
	return f
}

// run follows blocks until ctx ends.
func (f *follower) run(ctx context.Context) {
	events := make(chan seenBlock, 64)
	go f.listen(ctx, events)
	poll := time.NewTimer(0)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			h, err := ev.b.height()
			if err != nil {
				f.note(err)
				continue
			}
			if h < f.next {
				continue // already fetched by polling
			}
			f.fill(ctx, h-1)
			if h == f.next {
				f.emit(h, ev.b.Data.Txs, ev.at)
			}
		case <-poll.C:
			if latest, err := f.c.latestHeight(ctx, f.endpoint); err != nil {
				f.note(err)
			} else {
				f.fill(ctx, latest)
			}
			if f.subscribed.Load() {
				poll.Reset(pollWhileSubscribed)
			} else {
				poll.Reset(pollWithoutEvents)
			}
		}
	}
}

// fill fetches and delivers the blocks from next up to and including to.
func (f *follower) fill(ctx context.Context, to int64) {
	for f.next <= to && ctx.Err() == nil {
		b, err := f.c.block(ctx, f.endpoint, f.next)
		if err != nil {
			f.note(fmt.Errorf("fetching block %d: %w", f.next, err))
			return
		}
		f.emit(f.next, b.Data.Txs, time.Now())
	}
}

func (f *follower) emit(h int64, txs [][]byte, at time.Time) {
	f.deliver(h, txs, at)
	f.height.Store(h)
	f.next = h + 1
}

func (f *follower) note(err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		f.lastErr.Store(err.Error())
	}
}

// newBlockEvent is the part of a NewBlock event the follower needs.
type newBlockEvent struct {
	Result struct {
		Data struct {
			Value struct {
				Block *blockJSON `json:"block"`
			} `json:"value"`
		} `json:"data"`
	} `json:"result"`
	Error *rpcError `json:"error"`
}

// seenBlock is a block from the subscription and when it arrived.
type seenBlock struct {
	b  *blockJSON
	at time.Time
}

// listen keeps a websocket subscription to NewBlock events open until ctx
// ends, redialling when it breaks, and passes each block on.
func (f *follower) listen(ctx context.Context, out chan<- seenBlock) {
	for ctx.Err() == nil {
		if err := f.subscribe(ctx, out); err != nil && ctx.Err() == nil {
			f.note(fmt.Errorf("NewBlock subscription: %w", err))
		}
		select {
		case <-ctx.Done():
		case <-time.After(redialPause):
		}
	}
}

func (f *follower) subscribe(ctx context.Context, out chan<- seenBlock) error {
	dialer := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, _, err := dialer.DialContext(ctx, websocketURL(f.endpoint), nil)
	if err != nil {
		return err
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			// Say goodbye so the node logs a normal closure, not an error.
			bye := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
			_ = conn.WriteControl(websocket.CloseMessage, bye, time.Now().Add(time.Second))
		case <-done:
		}
		conn.Close()
	}()
	conn.SetReadLimit(maxResponseBytes)
	sub := map[string]any{"jsonrpc": "2.0", "id": 0, "method": "subscribe",
		"params": map[string]string{"query": "tm.event='NewBlock'"}}
	if err := conn.WriteJSON(sub); err != nil {
		return err
	}
	defer f.subscribed.Store(false)
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		at := time.Now()
		var ev newBlockEvent
		if err := json.Unmarshal(msg, &ev); err != nil {
			return fmt.Errorf("an event that is not JSON-RPC: %w", err)
		}
		if ev.Error != nil {
			return ev.Error
		}
		f.subscribed.Store(true)
		if b := ev.Result.Data.Value.Block; b != nil {
			select {
			case out <- seenBlock{b, at}:
			case <-ctx.Done():
				return nil
			}
		}
	}
}
