package p2p

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	tmp2p "github.com/cometbft/cometbft/proto/tendermint/p2p"
)

// ChannelPEX carries peer exchange: a request for addresses and the
// answer, CometBFT's PexRequest and PexAddrs messages.
const ChannelPEX byte = 0x01

// PEX limits.
const (
	// maxPEXAddrs is the most addresses one answer may carry; an answer
	// with more is dropped whole.
	maxPEXAddrs = 100
	// maxPEXMessageBytes is the PEX channel's message limit: a full
	// answer is about 7 KB.
	maxPEXMessageBytes = 32 << 10
	// farewellWrite bounds how long a node spends telling a peer it
	// refuses (it is full, or a seed) where else to go.
	farewellWrite = time.Second
)

// pexState is what the host remembers of peer exchange with each node, by
// node ID, so that it outlives connections (a seed is asked, hangs up and
// is asked again later).
type pexState struct {
	mu sync.Mutex
	// askedAt is when this node last asked a node for addresses;
	// awaiting counts the answers due from it (at most maxAwaited).
	askedAt  map[ID]time.Time
	awaiting map[ID]int
	// answeredAt is when this node answered a node's last two requests.
	answeredAt map[ID][2]time.Time

	dropped  uint64 // PEX messages dropped: malformed, too large, unasked, too early
	rejected uint64 // addresses in answers that were not kept
}

func newPEXState() *pexState {
	return &pexState{askedAt: map[ID]time.Time{}, awaiting: map[ID]int{}, answeredAt: map[ID][2]time.Time{}}
}

// mayAsk tells whether id may be asked for addresses now, and if so
// records the request as sent. A node is asked at most once per interval,
// and not again while its answer is due (one answer is awaited per node),
// unless the answer is so late that it was lost with its connection.
func (s *pexState) mayAsk(id ID, now time.Time, every time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.askedAt[id]; ok && (now.Sub(t) < every || s.awaiting[id] > 0 && now.Sub(t) < 4*every) {
		return false
	}
	s.askedAt[id] = now
	s.awaiting[id] = min(s.awaiting[id]+1, maxAwaited)
	return true
}

// maxAwaited bounds the answers awaited from one node: an answer taken
// for lost may still come after the node was asked again.
const maxAwaited = 2

// answerDue tells whether id's answer is awaited, and clears it.
func (s *pexState) answerDue(id ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	due := s.awaiting[id] > 0
	if s.awaiting[id] <= 1 {
		delete(s.awaiting, id)
	} else {
		s.awaiting[id]--
	}
	return due
}

// mayAnswer tells whether id's request may be answered now. An honest
// node asks once per interval; two requests may arrive closer than that
// when the first was held up on the way, but never three within one
// interval.
func (s *pexState) mayAnswer(id ID, now time.Time, every time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	last := s.answeredAt[id]
	if !last[0].IsZero() && now.Sub(last[0]) < every {
		return false
	}
	s.answeredAt[id] = [2]time.Time{last[1], now}
	return true
}

// recentlyAsked tells whether id was asked for addresses within every.
func (s *pexState) recentlyAsked(id ID, now time.Time, every time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.askedAt[id]
	return ok && now.Sub(t) < every
}

func (s *pexState) drop() {
	s.mu.Lock()
	s.dropped++
	s.mu.Unlock()
}

func (s *pexState) reject(n int) {
	s.mu.Lock()
	s.rejected += uint64(n)
	s.mu.Unlock()
}

func (s *pexState) counts() (dropped, rejected uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped, s.rejected
}

func encodePEXRequest() []byte {
	m := tmp2p.Message{Sum: &tmp2p.Message_PexRequest{PexRequest: &tmp2p.PexRequest{}}}
	b, _ := m.Marshal() // an empty request always encodes
	return b
}

func encodePEXAddrs(entries []*bookEntry) []byte {
	addrs := make([]tmp2p.NetAddress, len(entries))
	for i, e := range entries {
		addrs[i] = tmp2p.NetAddress{ID: string(e.id), IP: e.addr.Addr().String(), Port: uint32(e.addr.Port())}
	}
	m := tmp2p.Message{Sum: &tmp2p.Message_PexAddrs{PexAddrs: &tmp2p.PexAddrs{Addrs: addrs}}}
	b, _ := m.Marshal() // IDs and IPs are valid strings
	return b
}

// receivePEX handles a message on the PEX channel. Nothing a peer sends
// here can crash the node or grow its memory without bound: a message
// that does not decode costs the peer a penalty; an answer nobody asked
// for, one with too many addresses and a request sooner than the interval
// allows are dropped and counted; addresses that are malformed or not
// acceptable are skipped and counted.
func (h *Host) receivePEX(from ID, msg []byte) {
	var m tmp2p.Message
	if err := m.Unmarshal(msg); err != nil {
		h.pex.drop()
		h.Penalize(from, fmt.Sprintf("malformed PEX message: %v", err))
		return
	}
	switch sum := m.Sum.(type) {
	case *tmp2p.Message_PexRequest:
		h.answerPEX(from)
	case *tmp2p.Message_PexAddrs:
		h.takeAddrs(from, sum.PexAddrs.Addrs)
	default:
		h.pex.drop()
		h.Penalize(from, "PEX message of an unknown kind")
	}
}

// answerPEX sends a sample of the book to a peer that asked. A seed then
// hangs up: it is there to hand out addresses, not to keep connections.
func (h *Host) answerPEX(from ID) {
	if !h.pex.mayAnswer(from, time.Now(), h.cfg.PEXRequestInterval) {
		h.pex.drop()
		h.log.Debug("PEX request dropped: asked again too soon", "peer", from)
		return
	}
	answer := encodePEXAddrs(h.book.sample(maxPEXAddrs, from))
	if h.cfg.SeedMode {
		h.sendThenClose(from, ChannelPEX, answer)
		return
	}
	h.Send(from, ChannelPEX, answer)
}

// takeAddrs adds the addresses of an answer to the book.
func (h *Host) takeAddrs(from ID, addrs []tmp2p.NetAddress) {
	if !h.pex.answerDue(from) {
		h.pex.drop()
		h.log.Debug("PEX addresses dropped: not asked for", "peer", from)
		return
	}
	if len(addrs) > maxPEXAddrs {
		h.pex.drop()
		h.log.Debug("PEX addresses dropped: too many", "peer", from, "addrs", len(addrs))
		return
	}
	added, rejected := 0, 0
	for _, a := range addrs {
		ok, err := h.book.add(ID(a.ID), a.IP, a.Port, from)
		switch {
		case err != nil:
			rejected++
		case ok:
			added++
		}
	}
	h.pex.reject(rejected)
	h.log.Debug("PEX addresses received", "peer", from, "added", added, "rejected", rejected, "book", h.book)
	if h.cfg.SeedMode {
		h.disconnectIfOutbound(from) // a crawl: the answer was all it was for
	}
	if added > 0 {
		h.wakeDialer()
	}
}

// notePeer records a new connection in the book: an outbound peer's
// address works; an inbound peer's is the listen address it gave in its
// hello (on the address it came from when it gave none or an unspecified
// one). It asks outbound peers for addresses while the book is short of
// what the node wants to dial, and always when crawling as a seed.
func (h *Host) notePeer(p *peer) {
	now := time.Now()
	if p.info.Outbound {
		h.book.connected(p.info.ID, p.info.RemoteAddr, now)
		if h.cfg.SeedMode || h.bookShort() {
			h.askForAddrs(p.info.ID, now)
		}
		return
	}
	if ip, port, ok := advertisedAddr(p.info); ok {
		if added, _ := h.book.add(p.info.ID, ip, port, h.id); added {
			h.wakeDialer()
		}
	}
}

// advertisedAddr is where an inbound peer says it listens.
func advertisedAddr(info PeerInfo) (string, uint32, bool) {
	listen, err := netip.ParseAddrPort(info.ListenAddr)
	if err != nil || listen.Port() == 0 {
		return "", 0, false
	}
	ip := listen.Addr()
	if ip.IsUnspecified() {
		remote, err := netip.ParseAddrPort(info.RemoteAddr)
		if err != nil {
			return "", 0, false
		}
		ip = remote.Addr()
	}
	return ip.String(), uint32(listen.Port()), true
}

// askForAddrs sends a PEX request to id unless it was asked within the
// request interval.
func (h *Host) askForAddrs(id ID, now time.Time) bool {
	if !h.pex.mayAsk(id, now, h.cfg.PEXRequestInterval) {
		return false
	}
	return h.Send(id, ChannelPEX, encodePEXRequest())
}

// bookShort tells whether the book holds fewer addresses than the node
// would dial.
func (h *Host) bookShort() bool { return h.book.size() < h.cfg.MaxOutboundPeers }

// farewell tells a peer the node refuses (it has as many inbound peers as
// it accepts) where else to try, then the caller hangs up. The peer is not
// registered, so the frame goes straight onto the connection.
func (h *Host) farewell(c *secureConn, to ID) {
	if h.book == nil {
		return
	}
	msg := encodePEXAddrs(h.book.sample(maxPEXAddrs, to))
	if c.raw.SetWriteDeadline(time.Now().Add(farewellWrite)) != nil {
		return
	}
	if writeFrame(c.w, ChannelPEX, msg) == nil {
		_ = c.flush()
	}
}

// setUpPEX makes the address book, reloading the file of the last run,
// and takes the PEX channel. Persistent peers go into the book too, so
// that they are handed out to peers that ask.
func (h *Host) setUpPEX() {
	h.book = newAddrBook(h.id, h.cfg.AddrBookStrict)
	h.pex = newPEXState()
	h.pexWake = make(chan struct{}, 1)
	h.handlers[ChannelPEX] = h.receivePEX
	if path := h.cfg.AddrBookPath; path != "" {
		loaded, skipped, err := h.book.load(path)
		switch {
		case err != nil:
			h.book.dirty = true
			h.log.Warn("address book not loaded", "err", err)
		case skipped > 0:
			h.log.Warn("address book loaded; entries that are malformed or not acceptable were left out",
				"file", path, "loaded", loaded, "left_out", skipped, "addr_book_strict", h.cfg.AddrBookStrict)
		default:
			h.log.Info("address book loaded", "file", path, "addresses", loaded)
		}
	}
	for _, s := range h.cfg.PersistentPeers {
		a, _ := ParseAddress(s) // validated by New
		if ip, port, err := splitGossip(a.HostPort); err == nil {
			_, _ = h.book.add(a.ID, ip, port, h.id)
		}
	}
}
