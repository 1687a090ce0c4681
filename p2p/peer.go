package p2p

import (
	"sync"
	"sync/atomic"
	"time"
)

// PeerInfo describes a connected peer: what /net_info reports.
type PeerInfo struct {
	ID         ID
	RemoteAddr string // the socket's remote address
	LocalAddr  string // the socket's local address
	ListenAddr string // where the peer says it accepts connections
	Version    string
	Validator  bool
	Outbound   bool // this node dialed it
	Persistent bool
	Since      time.Time // when the connection was established

	BytesIn, BytesOut uint64 // framed message bytes, before encryption
	MsgsIn, MsgsOut   uint64
	Queued            map[byte]int // messages waiting per channel
}

// peer is one established connection. Its reader runs in the goroutine that
// established it; its writer in a second goroutine.
type peer struct {
	h    *Host
	info PeerInfo // the fields that do not change
	c    *secureConn
	q    *sendQueue

	bytesIn, bytesOut, msgsIn, msgsOut atomic.Uint64
	persistent                         atomic.Bool
	// closing makes the writer hang up once its queues are empty (a seed
	// that answered, a crawl that got its answer).
	closing atomic.Bool

	quit     chan struct{}
	quitOnce sync.Once
	// done is closed once the peer is unregistered and its down callbacks
	// returned.
	done chan struct{}
}

func newPeer(h *Host, c *secureConn, info PeerInfo) *peer {
	return &peer{h: h, info: info, c: c, q: newSendQueue(h.cfg.Channels), quit: make(chan struct{}), done: make(chan struct{})}
}

// stop closes the connection; the reader and writer then exit.
func (p *peer) stop() {
	p.quitOnce.Do(func() {
		close(p.quit)
		p.q.close()
		_ = p.c.raw.Close()
	})
}

// closeWhenSent hangs up once what is queued has been sent.
func (p *peer) closeWhenSent() {
	p.closing.Store(true)
	select {
	case p.q.ready <- struct{}{}:
	default:
	}
}

// snapshot returns the peer's info with current counters.
func (p *peer) snapshot() PeerInfo {
	info := p.info
	info.Persistent = p.persistent.Load()
	info.BytesIn, info.BytesOut = p.bytesIn.Load(), p.bytesOut.Load()
	info.MsgsIn, info.MsgsOut = p.msgsIn.Load(), p.msgsOut.Load()
	info.Queued = p.q.lengths()
	return info
}

// run serves the connection until it ends and returns the reason.
func (p *peer) run() error {
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		p.writeLoop()
	}()
	err := p.readLoop()
	p.stop()
	<-writerDone
	return err
}

func (p *peer) readLoop() error {
	idle := p.h.cfg.IdleTimeout
	for {
		if err := p.c.raw.SetReadDeadline(time.Now().Add(idle)); err != nil {
			return err
		}
		ch, msg, err := readFrame(p.c.r, p.h.channelLimit)
		if err != nil {
			return err
		}
		p.bytesIn.Add(uint64(frameSize(len(msg))))
		if ch == controlChannel {
			continue // a keepalive: channelLimit allows it no payload
		}
		p.msgsIn.Add(1)
		p.h.dispatch(p.info.ID, ch, msg)
	}
}

func (p *peer) writeLoop() {
	defer p.stop()
	ping := time.NewTicker(p.h.cfg.PingInterval)
	defer ping.Stop()
	timeout := p.h.cfg.WriteTimeout
	for {
		ch, msg, ok := p.q.pop()
		if ok {
			if p.c.raw.SetWriteDeadline(time.Now().Add(timeout)) != nil || writeFrame(p.c.w, ch, msg) != nil {
				return
			}
			p.bytesOut.Add(uint64(frameSize(len(msg))))
			p.msgsOut.Add(1)
			continue
		}
		// Queues are empty: push out what is buffered, then sleep.
		if p.c.raw.SetWriteDeadline(time.Now().Add(timeout)) != nil || p.c.flush() != nil {
			return
		}
		if p.closing.Load() {
			p.hangUp()
			return
		}
		select {
		case <-p.q.ready:
		case <-ping.C:
			if writeFrame(p.c.w, controlChannel, nil) != nil {
				return
			}
		case <-p.quit:
			return
		}
	}
}

// hangUp ends a connection whose last frames were flushed: it half-closes
// and waits for the peer to hang up too (the reader, still reading, then
// stops the peer) or for farewellWrite, so the peer reads those frames
// before the connection closes.
func (p *peer) hangUp() {
	if tc, ok := p.c.raw.(interface{ CloseWrite() error }); ok && tc.CloseWrite() == nil {
		t := time.NewTimer(farewellWrite)
		defer t.Stop()
		select {
		case <-p.quit:
		case <-t.C:
		}
	}
}

// frameSize is the bytes a frame holding n message bytes takes.
func frameSize(n int) int {
	size := 2 // the channel byte and the length's last byte
	for v := uint64(n); v >= 0x80; v >>= 7 {
		size++
	}
	return size + n
}
