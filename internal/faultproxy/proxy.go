package faultproxy

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is what a proxy does with traffic.
type Mode int32

const (
	// Pass forwards everything.
	Pass Mode = iota
	// Cut closes open connections and refuses new ones.
	Cut
	// Blackhole keeps connections open and drops every byte.
	Blackhole
)

func (m Mode) String() string {
	switch m {
	case Pass:
		return "pass"
	case Cut:
		return "cut"
	case Blackhole:
		return "blackhole"
	}
	return fmt.Sprintf("mode(%d)", int32(m))
}

// Stats count what a proxy did.
type Stats struct {
	Accepted  int64 // connections forwarded to the target
	Refused   int64 // connections closed at once because the link was cut
	Forwarded int64 // bytes delivered, both directions
	Dropped   int64 // bytes discarded while blackholed
}

// Proxy forwards TCP connections from its listener to one target.
type Proxy struct {
	ln     net.Listener
	target string
	mode   atomic.Int32

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup

	accepted, refused, forwarded, dropped atomic.Int64

	// shapes are the link's emulated wide-area behaviour, under mu: up
	// for the bytes the client sends to the target, down for the answer.
	up, down Shape
	seeds    atomic.Uint64 // a jitter seed per shaped connection
}

// DialTimeout bounds how long the proxy waits to reach its target.
const DialTimeout = 2 * time.Second

// Listen starts a proxy on listen (use "127.0.0.1:0" for any free port)
// forwarding to target.
func Listen(listen, target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listening on %s for %s: %w", listen, target, err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		p.seeds.Store(uint64(a.Port) << 32) // proxies jitter independently
	}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr is the address clients dial.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target is the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// Mode reports what the proxy currently does with traffic.
func (p *Proxy) Mode() Mode { return Mode(p.mode.Load()) }

// SetMode changes what the proxy does. Entering Cut closes every open
// connection, so both ends see the link fail at once.
func (p *Proxy) SetMode(m Mode) {
	if Mode(p.mode.Swap(int32(m))) == m || m != Cut {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
}

// SetShape makes connections accepted from now on delay, jitter and
// rate-limit their bytes: up shapes what the client sends to the target,
// down what comes back. Connections already open keep their shapes.
func (p *Proxy) SetShape(up, down Shape) error {
	if err := up.Validate(); err != nil {
		return fmt.Errorf("faultproxy %s→%s upstream: %w", p.Addr(), p.target, err)
	}
	if err := down.Validate(); err != nil {
		return fmt.Errorf("faultproxy %s→%s downstream: %w", p.Addr(), p.target, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up, p.down = up, down
	return nil
}

// Shapes returns the shapes new connections get.
func (p *Proxy) Shapes() (up, down Shape) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.up, p.down
}

// Stats returns the proxy's counters.
func (p *Proxy) Stats() Stats {
	return Stats{Accepted: p.accepted.Load(), Refused: p.refused.Load(),
		Forwarded: p.forwarded.Load(), Dropped: p.dropped.Load()}
}

// Close stops the proxy and closes every connection it holds.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	err := p.ln.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if p.Mode() == Cut {
			p.refused.Add(1)
			_ = c.Close()
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// track registers c so Cut and Close can close it; false if the proxy is
// closed.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	if !p.track(client) {
		_ = client.Close()
		return
	}
	defer p.untrack(client)
	defer client.Close()
	server, err := net.DialTimeout("tcp", p.target, DialTimeout)
	if err != nil {
		p.refused.Add(1)
		return
	}
	if !p.track(server) {
		_ = server.Close()
		return
	}
	defer p.untrack(server)
	defer server.Close()
	// A cut that raced with the dial must still take effect.
	if p.Mode() == Cut {
		p.refused.Add(1)
		return
	}
	p.accepted.Add(1)
	up, down := p.Shapes()
	done := make(chan struct{}, 2)
	go func() { p.pipeShaped(server, client, up); done <- struct{}{} }()
	go func() { p.pipeShaped(client, server, down); done <- struct{}{} }()
	<-done // one direction ended: end both
}

// pipeShaped copies src to dst, through a delay queue when the direction
// is shaped.
func (p *Proxy) pipeShaped(dst, src net.Conn, s Shape) {
	if s.IsZero() {
		p.pipe(dst, src)
		return
	}
	p.shapedPipe(dst, src, s, p.seeds.Add(1))
}

// pipe copies src to dst until either fails, discarding while the proxy
// is blackholed.
func (p *Proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			switch p.Mode() {
			case Pass:
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
				p.forwarded.Add(int64(n))
			case Blackhole:
				p.dropped.Add(int64(n))
			case Cut:
				return
			}
		}
		if err != nil {
			return // EOF or a closed connection: the caller closes both ends
		}
	}
}
