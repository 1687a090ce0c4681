package p2p

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

var errStopped = errors.New("p2p host stopped")

// acceptLoop accepts inbound connections until the listener closes.
func (h *Host) acceptLoop() {
	delay := 5 * time.Millisecond
	for {
		raw, err := h.listener.Accept()
		if err != nil {
			if h.ctx.Err() != nil {
				return
			}
			// Out of file descriptors and the like: back off, keep serving.
			h.log.Warn("accept failed", "err", err, "retry_in", delay)
			select {
			case <-time.After(delay):
			case <-h.ctx.Done():
				return
			}
			delay = min(2*delay, time.Second)
			continue
		}
		delay = 5 * time.Millisecond
		if !h.trackPending(raw, true) {
			h.refused.Add(1)
			_ = raw.Close()
			continue
		}
		if !h.spawn(func() { h.serve(raw, false, "") }) {
			h.untrackPending(raw)
			_ = raw.Close()
		}
	}
}

// trackPending records a connection in its handshake so Stop can close it.
// An inbound one is refused when MaxInboundPeers inbound handshakes are
// already running, so a flood of idle connections cannot exhaust the node.
func (h *Host) trackPending(c net.Conn, inbound bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return false
	}
	if inbound {
		n := 0
		for _, in := range h.pending {
			if in {
				n++
			}
		}
		if n >= h.cfg.MaxInboundPeers {
			return false
		}
	}
	h.pending[c] = inbound
	return true
}

func (h *Host) untrackPending(c net.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.pending, c)
}

// serve runs the handshake on a tracked connection, registers the peer and
// serves it until the connection ends. It returns an error if the peer was
// never registered, and otherwise how long it stayed connected.
func (h *Host) serve(raw net.Conn, outbound bool, want ID) (connected time.Duration, err error) {
	c, hello, err := handshake(raw, h.key, h.hello(), want, h.cfg.HandshakeTimeout)
	h.untrackPending(raw)
	if err != nil {
		h.refused.Add(1) // counted before the peer can see the close
		_ = raw.Close()
		if errors.Is(err, errRefused) {
			// A peer of another chain or schedule: the operator must hear
			// of it, or the node would just seem to have no peers.
			h.log.Warn("peer refused in the handshake", "remote", raw.RemoteAddr(), "outbound", outbound, "err", err)
		} else {
			h.log.Debug("handshake failed", "remote", raw.RemoteAddr(), "outbound", outbound, "err", err)
		}
		return 0, err
	}
	p := newPeer(h, c, PeerInfo{
		ID: ID(hello.NodeID), RemoteAddr: raw.RemoteAddr().String(), LocalAddr: raw.LocalAddr().String(), ListenAddr: hello.ListenAddr,
		Version: hello.Version, Validator: hello.Validator, Outbound: outbound, Since: time.Now(),
	})
	if err := h.register(p); err != nil {
		h.refused.Add(1)
		if errors.Is(err, errFull) {
			h.farewell(c, p.info.ID) // politely: where else to try
			lingerClose(raw, farewellWrite)
		} else {
			_ = raw.Close()
		}
		h.log.Debug("peer refused", "peer", p.info.ID, "outbound", outbound, "err", err)
		return 0, err
	}
	h.log.Info("peer connected", "peer", p.info.ID, "remote", p.info.RemoteAddr, "outbound", outbound)
	if h.book != nil {
		h.notePeer(p)
	}
	h.callUp(p.snapshot())
	err = p.run()
	h.unregister(p, err)
	if h.book != nil {
		h.wakeDialer() // a peer fewer: find another
	}
	return time.Since(p.info.Since), nil
}

// register adds p to the peers, or refuses it. When a connection to the same
// peer exists, both nodes keep the same one of the two: the one dialed by
// the node with the smaller ID (the newer one if the same node dialed both,
// since a node dials only when it believes it has no connection).
func (h *Host) register(p *peer) error {
	id := p.info.ID
	for {
		h.mu.Lock()
		if h.stopped {
			h.mu.Unlock()
			return errStopped
		}
		if id == h.id {
			h.mu.Unlock()
			return wrongPeerf("connected to itself")
		}
		if until := h.bannedUntilLocked(id); !until.IsZero() {
			h.mu.Unlock()
			return refusedf("peer %s is banned until %s", id, until.Format(time.RFC3339))
		}
		_, persistent := h.persistent[id]
		old := h.peers[id]
		if old == nil {
			if err := h.checkRoomLocked(p, persistent); err != nil {
				h.mu.Unlock()
				return err
			}
			p.persistent.Store(persistent)
			h.peers[id] = p
			h.mu.Unlock()
			return nil
		}
		if h.dialer(p) > h.dialer(old) {
			h.mu.Unlock()
			return refusedf("peer %s is already connected", id)
		}
		h.mu.Unlock()
		h.log.Debug("replacing duplicate connection", "peer", id)
		old.stop()
		<-old.done
	}
}

// checkRoomLocked refuses a peer that is not persistent when the peers
// connected in its direction already reach the configured maximum.
func (h *Host) checkRoomLocked(p *peer, persistent bool) error {
	if persistent {
		return nil
	}
	n := 0
	for _, q := range h.peers {
		if q.info.Outbound == p.info.Outbound && !q.persistent.Load() {
			n++
		}
	}
	if p.info.Outbound && n >= h.cfg.MaxOutboundPeers {
		return refusedf("already %d outbound peers (MaxOutboundPeers)", n)
	}
	if !p.info.Outbound && n >= h.cfg.MaxInboundPeers {
		return fmt.Errorf("%w (%w): already %d inbound peers (MaxInboundPeers)", errRefused, errFull, n)
	}
	return nil
}

// dialer is the ID of the node that dialed p's connection.
func (h *Host) dialer(p *peer) ID {
	if p.info.Outbound {
		return h.id
	}
	return p.info.ID
}

// unregister removes p after its connection ended and runs the down
// callbacks. A protocol violation counts as an offence.
func (h *Host) unregister(p *peer, cause error) {
	if isViolation(cause) {
		h.recordOffence(p.info.ID, cause.Error())
	}
	h.mu.Lock()
	if h.peers[p.info.ID] == p {
		delete(h.peers, p.info.ID)
	}
	h.mu.Unlock()
	h.log.Info("peer disconnected", "peer", p.info.ID, "reason", cause)
	h.callDown(p.snapshot())
	close(p.done)
}

func (h *Host) callUp(info PeerInfo) {
	h.hmu.RLock()
	ups := h.ups
	h.hmu.RUnlock()
	for _, fn := range ups {
		fn(info)
	}
}

func (h *Host) callDown(info PeerInfo) {
	h.hmu.RLock()
	downs := h.downs
	h.hmu.RUnlock()
	for _, fn := range downs {
		fn(info)
	}
}

// Dial connects to peers ("id@host:port"). Persistent ones are redialed
// whenever their connection drops, forever; others are dialed once. It
// returns once the dials are under way, or an error naming every malformed
// address (then nothing is dialed).
func (h *Host) Dial(addrs []string, persistent bool) error {
	parsed := make([]Address, 0, len(addrs))
	var errs []error
	for _, s := range addrs {
		a, err := ParseAddress(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		parsed = append(parsed, a)
	}
	if len(errs) > 0 {
		return fmt.Errorf("p2p: dial: %w", errors.Join(errs...))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.started || h.stopped {
		return errors.New("p2p: dial: host is not running")
	}
	for _, a := range parsed {
		if persistent {
			h.addPersistentLocked(a)
			continue
		}
		if a.ID == h.id || h.peers[a.ID] != nil {
			continue
		}
		h.dialing++
		h.spawnLocked(func() {
			if _, err := h.dial(a); err != nil {
				h.log.Info("dial failed", "peer", a, "err", err)
			}
		})
	}
	return nil
}

// addPersistentLocked starts redialing a unless it is already persistent.
func (h *Host) addPersistentLocked(a Address) {
	if _, ok := h.persistent[a.ID]; ok || a.ID == h.id {
		return
	}
	h.persistent[a.ID] = a
	if p := h.peers[a.ID]; p != nil {
		p.persistent.Store(true)
	}
	h.spawnLocked(func() { h.keepDialing(a) })
}

// dial connects to a and serves the connection until it ends. The caller
// has counted the dial in h.dialing, in the same critical section in which
// it found no connection to a, so that no moment exists where neither the
// dial nor its connection is visible.
func (h *Host) dial(a Address) (time.Duration, error) {
	d := net.Dialer{Timeout: h.cfg.DialTimeout}
	raw, err := d.DialContext(h.ctx, "tcp", a.HostPort)
	tracked := err == nil && h.trackPending(raw, false)
	h.mu.Lock()
	h.dialing--
	delete(h.dialingIDs, a.ID)
	h.mu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("dial %s: %w", a, err)
	}
	if !tracked {
		_ = raw.Close()
		return 0, errStopped
	}
	return h.serve(raw, true, a.ID)
}

// keepDialing keeps a connection to a persistent peer: it waits while one
// exists (whoever dialed it) and otherwise dials, backing off exponentially
// while attempts fail or connections end quickly.
func (h *Host) keepDialing(a Address) {
	attempt := 0
	for h.ctx.Err() == nil {
		h.mu.Lock()
		p, until := h.peers[a.ID], h.bannedUntilLocked(a.ID)
		if p == nil && until.IsZero() {
			h.dialing++
		}
		h.mu.Unlock()
		if p != nil {
			h.sleepUntil(p.done, 0)
			continue
		}
		if !until.IsZero() {
			h.sleepUntil(nil, time.Until(until))
			continue
		}
		lasted, err := h.dial(a)
		if err == nil && lasted >= h.cfg.RedialMax {
			attempt = 0
		}
		if err != nil && !errors.Is(err, errStopped) {
			h.log.Debug("persistent peer dial failed", "peer", a, "attempt", attempt, "err", err)
		}
		h.sleepUntil(nil, redialDelay(attempt, h.cfg.RedialMin, h.cfg.RedialMax, h.cfg.Jitter))
		attempt++
	}
}

// sleepUntil waits until done is closed, d elapses (when positive) or the
// host stops.
func (h *Host) sleepUntil(done <-chan struct{}, d time.Duration) {
	var timer <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-done:
	case <-timer:
	case <-h.ctx.Done():
	}
}

// lingerClose closes a connection after what was written reached the
// peer: it half-closes, reads until the peer hangs up too or d passes,
// then closes. Closing at once with unread input would reset the
// connection and could discard the last frame before the peer reads it.
func lingerClose(raw net.Conn, d time.Duration) {
	if tc, ok := raw.(interface{ CloseWrite() error }); ok && tc.CloseWrite() == nil {
		if raw.SetReadDeadline(time.Now().Add(d)) == nil {
			_, _ = io.Copy(io.Discard, raw)
		}
	}
	_ = raw.Close()
}
