package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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
	deliver  func(height int64, proposer string, txs [][]byte, at time.Time)

	subscribed atomic.Bool
	height     atomic.Int64 // last delivered height
	lastErr    atomic.Value // string: the last error, for the report
}

func newFollower(c *rpcClient, endpoint string, from int64, deliver func(int64, string, [][]byte, time.Time)) *follower {
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
			if ev.height < f.next {
				continue // already fetched by polling
			}
			f.fill(ctx, ev.height-1)
			if ev.height == f.next {
				f.fetch(ctx, ev.at)
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
		if !f.fetch(ctx, time.Now()) {
			return
		}
	}
}

// fetch fetches block next and delivers it as seen at at.
func (f *follower) fetch(ctx context.Context, at time.Time) bool {
	b, err := f.c.block(ctx, f.endpoint, f.next)
	if err != nil {
		f.note(fmt.Errorf("fetching block %d: %w", f.next, err))
		return false
	}
	f.emit(f.next, b.Header.ProposerAddress, b.Data.Txs, at)
	return true
}

func (f *follower) emit(h int64, proposer string, txs [][]byte, at time.Time) {
	f.deliver(h, proposer, txs, at)
	f.height.Store(h)
	f.next = h + 1
}

func (f *follower) note(err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		f.lastErr.Store(err.Error())
	}
}

// headerEvent is the part of a NewBlockHeader event the follower needs.
// It follows headers and fetches each block once: a NewBlock event
// carries every transaction's result as well, and encoding those for the
// subscription cost the measured node a quarter of its CPU.
type headerEvent struct {
	Result struct {
		Data struct {
			Value struct {
				Header *struct {
					Height string `json:"height"`
				} `json:"header"`
			} `json:"value"`
		} `json:"data"`
	} `json:"result"`
	Error *rpcError `json:"error"`
}

// seenBlock is a block height from the subscription and when it arrived.
type seenBlock struct {
	height int64
	at     time.Time
}

// listen keeps a websocket subscription to NewBlockHeader events open
// until ctx ends, redialling when it breaks, and passes each height on.
func (f *follower) listen(ctx context.Context, out chan<- seenBlock) {
	for ctx.Err() == nil {
		if err := f.subscribe(ctx, out); err != nil && ctx.Err() == nil {
			f.note(fmt.Errorf("NewBlockHeader subscription: %w", err))
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
		"params": map[string]string{"query": "tm.event='NewBlockHeader'"}}
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
		var ev headerEvent
		if err := json.Unmarshal(msg, &ev); err != nil {
			return fmt.Errorf("an event that is not JSON-RPC: %w", err)
		}
		if ev.Error != nil {
			return ev.Error
		}
		f.subscribed.Store(true)
		if hd := ev.Result.Data.Value.Header; hd != nil {
			h, err := strconv.ParseInt(hd.Height, 10, 64)
			if err != nil {
				return fmt.Errorf("header height %q is not a number: %w", hd.Height, err)
			}
			select {
			case out <- seenBlock{h, at}:
			case <-ctx.Done():
				return nil
			}
		}
	}
}
