package p2p

import (
	"errors"
	"time"
)

// minDialRound is the first pause between two rounds of the dialer while
// the node lacks peers; it doubles per round up to PEXInterval.
const minDialRound = 500 * time.Millisecond

// bookSaveInterval is the least time between two writes of the address
// book file by the dialer.
const bookSaveInterval = 10 * time.Second

// dialLoop keeps the node connected, as CometBFT's PEX reactor does: each
// round it dials addresses from the book until its outbound peers reach
// MaxOutboundPeers, asks a peer for more addresses when the book runs
// short, and dials the seeds when it has no other peer. Rounds follow each
// other quickly while the node lacks peers and every PEXInterval once it
// has them; a new address or a lost peer starts one at once. A seed
// instead crawls: it dials the addresses it knows to ask for theirs, and
// hangs up on peers it has held long enough.
func (h *Host) dialLoop() {
	pause := minDialRound
	satisfied := false
	var saved time.Time
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-timer.C:
		case <-h.pexWake:
		}
		wasSatisfied := satisfied
		if h.cfg.SeedMode {
			satisfied = h.crawlRound()
		} else {
			satisfied = h.dialRound()
		}
		// The book changes with every dial; writing it at most every
		// bookSaveInterval (and at Stop) keeps the disk quiet.
		if now := time.Now(); now.Sub(saved) >= bookSaveInterval {
			h.saveBook()
			saved = now
		}
		switch {
		case satisfied:
			pause = h.cfg.PEXInterval
		case wasSatisfied: // peers lost: look for others quickly again
			pause = minDialRound
		default:
			pause = min(2*pause, h.cfg.PEXInterval)
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(pause)
	}
}

// wakeDialer starts a dialer round soon.
func (h *Host) wakeDialer() {
	select {
	case h.pexWake <- struct{}{}:
	default:
	}
}

// dialRound is one round of a node that is not a seed. It reports whether
// the node has all the outbound peers it wants.
func (h *Host) dialRound() bool {
	now := time.Now()
	need, others := h.outboundRoom()
	if need <= 0 {
		return true
	}
	picked := h.book.toDial(need, now, h.skipDial)
	for _, a := range picked {
		h.dialFromBook(a, now)
	}
	if len(picked) < need {
		h.askSomePeer(now)
		if others == 0 && len(picked) == 0 {
			h.dialSeeds(now)
		}
	}
	return false
}

// outboundRoom is how many more outbound peers the node wants (persistent
// ones aside, dials under way included) and how many peers it has that
// are not seeds.
func (h *Host) outboundRoom() (need, others int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.dialing
	for _, p := range h.peers {
		if p.info.Outbound && !p.persistent.Load() {
			out++
		}
		if !h.seeds[p.info.ID] {
			others++
		}
	}
	return h.cfg.MaxOutboundPeers - out, others
}

// skipDial tells whether id is not to be dialed now: itself, connected,
// being dialed, or banned.
func (h *Host) skipDial(id ID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, persistent := h.persistent[id]
	return id == h.id || h.peers[id] != nil || h.dialingIDs[id] || persistent || !h.bannedUntilLocked(id).IsZero()
}

// dialFromBook dials a once (not redialed when it drops) and records how
// it went in the book.
func (h *Host) dialFromBook(a Address, now time.Time) {
	h.book.attempted(a.ID, now)
	h.dialOnce(a, func(err error) {
		switch {
		case err == nil:
		case errors.Is(err, errWrongPeer):
			h.book.forget(a.ID) // another node, or another chain, answers there
		default:
			h.book.failed(a.ID)
		}
	})
}

// dialOnce dials a in a goroutine of its own, unless it is connected or
// being dialed, and calls done with the outcome once the connection (if
// any) ends.
func (h *Host) dialOnce(a Address, done func(error)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.started || h.stopped || a.ID == h.id || h.peers[a.ID] != nil || h.dialingIDs[a.ID] {
		return
	}
	h.dialing++
	h.dialingIDs[a.ID] = true
	h.spawnLocked(func() {
		_, err := h.dial(a)
		if err != nil && !errors.Is(err, errStopped) {
			h.log.Debug("dial failed", "peer", a, "err", err)
		}
		if done != nil {
			done(err)
		}
	})
}

// askSomePeer asks one connected peer for addresses: an outbound one if
// possible (an inbound peer chose to come, so it could be one of many
// run by someone who wants to fill the node's book).
func (h *Host) askSomePeer(now time.Time) {
	for _, outbound := range []bool{true, false} {
		for _, p := range h.Peers() {
			if p.Outbound == outbound && h.askForAddrs(p.ID, now) {
				return
			}
		}
	}
}

// dialSeeds dials every seed not asked within the request interval; once
// connected, the node asks it for addresses and the seed hangs up after
// answering.
func (h *Host) dialSeeds(now time.Time) {
	for _, s := range h.cfg.Seeds {
		a, _ := ParseAddress(s) // validated by New
		if h.pex.recentlyAsked(a.ID, now, h.cfg.PEXRequestInterval) {
			continue
		}
		h.dialOnce(a, nil)
	}
}

// crawlRound is one round of a seed: dial a few addresses of the book to
// ask for theirs, and hang up on peers held longer than PEXInterval. It
// always reports that a seed has what it wants: it crawls every
// PEXInterval.
func (h *Host) crawlRound() bool {
	now := time.Now()
	for _, p := range h.Peers() {
		if !p.Persistent && now.Sub(p.Since) > h.cfg.PEXInterval {
			h.disconnect(p.ID)
		}
	}
	need, _ := h.outboundRoom()
	for _, a := range h.book.toDial(min(need, seedCrawlsPerRound), now, func(id ID) bool {
		return h.skipDial(id) || h.pex.recentlyAsked(id, now, h.cfg.PEXInterval)
	}) {
		h.dialFromBook(a, now)
	}
	return true
}

// seedCrawlsPerRound bounds how many nodes a seed dials per round.
const seedCrawlsPerRound = 10

// disconnect closes the connection to id, if any, without blame.
func (h *Host) disconnect(id ID) {
	h.mu.Lock()
	p := h.peers[id]
	h.mu.Unlock()
	if p != nil {
		p.stop()
	}
}

// disconnectIfOutbound closes the connection to id if this node dialed it.
func (h *Host) disconnectIfOutbound(id ID) {
	h.mu.Lock()
	p := h.peers[id]
	h.mu.Unlock()
	if p != nil && p.info.Outbound {
		p.closeWhenSent()
	}
}

// saveBook writes the address book file if the book changed.
func (h *Host) saveBook() {
	if h.cfg.AddrBookPath == "" {
		return
	}
	if err := h.book.save(h.cfg.AddrBookPath); err != nil {
		h.log.Warn("could not save the address book", "err", err)
	}
}
