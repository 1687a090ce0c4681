package rpc

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// connTracker remembers the connections taken over by websockets, by remote
// address (the subscriber name the event bus knows them by), so that a slow
// client can be disconnected and shutdown can close them all.
type connTracker struct {
	mu     sync.Mutex
	conns  map[string]net.Conn
	closed bool
	active sync.WaitGroup // websocket handlers still running
}

func newConnTracker() *connTracker { return &connTracker{conns: map[string]net.Conn{}} }

// track wraps the websocket handler so that the connection it hijacks is
// recorded while the handler runs.
func (t *connTracker) track(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			http.Error(w, "the server is shutting down", http.StatusServiceUnavailable)
			return
		}
		t.active.Add(1)
		t.mu.Unlock()
		defer t.active.Done()
		rec := &hijackRecorder{ResponseWriter: w, t: t}
		next(rec, r)
		if rec.conn != nil {
			t.remove(rec.conn)
		}
	}
}

func (t *connTracker) add(c net.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		c.Close()
		return
	}
	t.conns[c.RemoteAddr().String()] = c
}

func (t *connTracker) remove(c net.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	addr := c.RemoteAddr().String()
	if t.conns[addr] == c {
		delete(t.conns, addr)
	}
}

// disconnect closes the websocket connection of addr; its handler then
// stops and ends the client's subscriptions.
func (t *connTracker) disconnect(addr string) {
	t.mu.Lock()
	c := t.conns[addr]
	t.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// closeAll closes every websocket connection and refuses new ones.
func (t *connTracker) closeAll() {
	t.mu.Lock()
	t.closed = true
	conns := t.conns
	t.conns = map[string]net.Conn{}
	t.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// wait returns once every websocket handler has finished.
func (t *connTracker) wait() <-chan struct{} {
	done := make(chan struct{})
	go func() { t.active.Wait(); close(done) }()
	return done
}

type hijackRecorder struct {
	http.ResponseWriter
	t    *connTracker
	conn net.Conn
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err == nil {
		h.conn = c
		h.t.add(c)
	}
	return c, brw, err
}
