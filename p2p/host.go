package p2p

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/bftnode/bftnode/wire/wirepb"
	"github.com/cometbft/cometbft/crypto/ed25519"
)

// Handler receives a message a peer sent on a channel. It runs on that
// peer's connection goroutine: while it runs, no further message from the
// same peer is read, so a slow handler slows only its peer (and one stuck
// for longer than the peer's write timeout gets the connection dropped);
// hand heavy work to another goroutine. It owns msg.
type Handler func(from ID, msg []byte)

// Counters are the host's totals for metrics.
type Counters struct {
	Penalties        uint64 // offences: malformed or oversized frames, Penalize calls
	Bans             uint64 // peers banned for repeated offences
	DroppedSends     uint64 // messages Send or Broadcast could not queue
	DroppedUnhandled uint64 // messages received on a channel without a handler
	RefusedConns     uint64 // connections that failed the handshake or were refused
	PEXDropped       uint64 // PEX messages dropped: malformed, unasked, too many addresses, too early
	AddrsRejected    uint64 // addresses in PEX answers not kept: malformed, unroutable, the node's own
}

// Host is a node's network endpoint: it accepts and dials connections and
// moves messages between them and the handlers.
type Host struct {
	cfg   Config
	key   *NodeKey
	id    ID
	log   *slog.Logger
	lanes map[byte]int // channel → index in cfg.Channels and in send queues

	hmu      sync.RWMutex
	handlers map[byte]Handler
	ups      []func(PeerInfo)
	downs    []func(PeerInfo)

	mu         sync.Mutex
	started    bool
	stopped    bool
	listener   net.Listener
	advertised string
	peers      map[ID]*peer
	pending    map[net.Conn]bool // connections in their handshake
	dialing    int               // dials not yet connected
	dialingIDs map[ID]bool       // the nodes of one-off dials not yet connected
	persistent map[ID]Address
	seeds      map[ID]bool
	offences   map[ID]*offence

	// Peer exchange (nil without PEX).
	book    *addrBook
	pex     *pexState
	pexWake chan struct{}

	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopOnce sync.Once
	unwatch  func() bool

	penalties, bans, droppedSends, droppedUnhandled, refused atomic.Uint64
}

// New returns a host for the node with key. It does not touch the network
// until Start.
func New(cfg Config, key *NodeKey, logger *slog.Logger) (*Host, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if key == nil {
		return nil, errors.New("p2p: no node key")
	}
	if _, ok := key.PrivKey.(ed25519.PrivKey); !ok {
		return nil, fmt.Errorf("p2p: node key is %T; want ed25519", key.PrivKey)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Host{
		cfg: cfg, key: key, id: IDOf(key.PubKey()), lanes: map[byte]int{},
		handlers: map[byte]Handler{}, peers: map[ID]*peer{}, pending: map[net.Conn]bool{},
		dialingIDs: map[ID]bool{}, persistent: map[ID]Address{}, seeds: map[ID]bool{}, offences: map[ID]*offence{},
	}
	h.log = logger.With("module", "p2p", "node", h.id)
	for i, ch := range cfg.Channels {
		h.lanes[ch.ID] = i
	}
	for _, s := range cfg.Seeds {
		a, _ := ParseAddress(s) // validated above
		h.seeds[a.ID] = true
	}
	if cfg.PEX {
		h.setUpPEX()
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	return h, nil
}

// ID is this node's ID.
func (h *Host) ID() ID { return h.id }

// ListenAddr is the address the host listens on once started (with the
// port the system chose if the configured one was 0), or "".
func (h *Host) ListenAddr() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.listener == nil {
		return ""
	}
	return h.listener.Addr().String()
}

// Handle routes the messages of channel ch to fn, replacing any earlier
// handler. Register handlers before Start so that no message is dropped.
func (h *Host) Handle(ch byte, fn Handler) error {
	if _, ok := h.lanes[ch]; !ok {
		return fmt.Errorf("p2p: channel %#x is not configured; add it to Config.Channels", ch)
	}
	h.hmu.Lock()
	defer h.hmu.Unlock()
	h.handlers[ch] = fn
	return nil
}

// OnPeer registers callbacks for peers connecting and disconnecting. For any
// one connection, up runs before down, and a replaced connection's down
// runs before its successor's up. Either may be nil. Callbacks run on the
// connection's goroutine and may call the host.
func (h *Host) OnPeer(up, down func(PeerInfo)) {
	h.hmu.Lock()
	defer h.hmu.Unlock()
	if up != nil {
		h.ups = append(h.ups, up)
	}
	if down != nil {
		h.downs = append(h.downs, down)
	}
}

// Start listens (when ListenAddr is set) and dials the persistent peers.
// Cancelling ctx stops the host as Stop does.
func (h *Host) Start(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.started || h.stopped {
		return errors.New("p2p: host already started or stopped; make a new one")
	}
	if h.cfg.ListenAddr != "" {
		ln, err := net.Listen("tcp", h.cfg.ListenAddr)
		if err != nil {
			return fmt.Errorf("p2p: listen on %s: %w (is another node using the port?)", h.cfg.ListenAddr, err)
		}
		h.listener = ln
		h.advertised = ln.Addr().String()
	}
	if h.cfg.ExternalAddr != "" {
		h.advertised = h.cfg.ExternalAddr
	}
	h.started = true
	if h.listener != nil {
		h.spawnLocked(h.acceptLoop)
	}
	for _, s := range h.cfg.PersistentPeers {
		a, _ := ParseAddress(s) // validated by New
		h.addPersistentLocked(a)
	}
	if h.book != nil {
		h.spawnLocked(h.dialLoop)
	}
	h.unwatch = context.AfterFunc(ctx, h.Stop)
	h.log.Info("p2p started", "listen", h.advertised, "persistent_peers", len(h.cfg.PersistentPeers),
		"pex", h.cfg.PEX, "seeds", len(h.cfg.Seeds), "seed_mode", h.cfg.SeedMode)
	return nil
}

// Stop closes the listener and every connection, stops dialing and waits
// for all of the host's goroutines to end. It is safe to call more than once.
func (h *Host) Stop() {
	h.stopOnce.Do(func() {
		h.cancel() // first, so the accept loop knows its listener's error is Stop's doing
		h.mu.Lock()
		h.stopped = true
		if h.listener != nil {
			_ = h.listener.Close()
		}
		for c := range h.pending {
			_ = c.Close()
		}
		peers := make([]*peer, 0, len(h.peers))
		for _, p := range h.peers {
			peers = append(peers, p)
		}
		h.mu.Unlock()
		for _, p := range peers {
			p.stop()
		}
		h.wg.Wait()
		if h.book != nil {
			h.saveBook()
		}
		if h.unwatch != nil {
			h.unwatch()
		}
		h.log.Info("p2p stopped")
	})
}

// spawnLocked runs fn in a goroutine Stop waits for. h.mu must be held; it
// reports false once the host is stopping.
func (h *Host) spawnLocked(fn func()) bool {
	if h.stopped {
		return false
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		fn()
	}()
	return true
}

func (h *Host) spawn(fn func()) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.spawnLocked(fn)
}

// Send queues msg for peer on channel ch. It never blocks; it returns false
// when the peer is not connected, the channel's queue to it is full, the
// channel is unknown or msg exceeds the channel's limit. The host keeps a
// reference to msg: do not modify it afterwards.
func (h *Host) Send(to ID, ch byte, msg []byte) bool {
	lane, ok := h.lanes[ch]
	if !ok || len(msg) > h.cfg.Channels[lane].MaxMessageBytes {
		h.droppedSends.Add(1)
		return false
	}
	h.mu.Lock()
	p := h.peers[to]
	h.mu.Unlock()
	if p == nil {
		return false
	}
	if !p.q.push(lane, msg) {
		h.droppedSends.Add(1)
		return false
	}
	return true
}

// sendThenClose queues msg for peer and hangs up once it is sent.
func (h *Host) sendThenClose(to ID, ch byte, msg []byte) {
	h.Send(to, ch, msg)
	h.mu.Lock()
	p := h.peers[to]
	h.mu.Unlock()
	if p != nil {
		p.closeWhenSent()
	}
}

// Broadcast queues msg for every connected peer on channel ch and returns
// how many peers it was queued for. Like Send it never blocks, and msg must
// not be modified afterwards.
func (h *Host) Broadcast(ch byte, msg []byte) int {
	lane, ok := h.lanes[ch]
	if !ok || len(msg) > h.cfg.Channels[lane].MaxMessageBytes {
		h.droppedSends.Add(1)
		return 0
	}
	h.mu.Lock()
	peers := make([]*peer, 0, len(h.peers))
	for _, p := range h.peers {
		peers = append(peers, p)
	}
	h.mu.Unlock()
	n := 0
	for _, p := range peers {
		if p.q.push(lane, msg) {
			n++
		} else {
			h.droppedSends.Add(1)
		}
	}
	return n
}

// Peers describes the connected peers, ordered by ID.
func (h *Host) Peers() []PeerInfo {
	h.mu.Lock()
	peers := make([]*peer, 0, len(h.peers))
	for _, p := range h.peers {
		peers = append(peers, p)
	}
	h.mu.Unlock()
	out := make([]PeerInfo, len(peers))
	for i, p := range peers {
		out[i] = p.snapshot()
	}
	slices.SortFunc(out, func(a, b PeerInfo) int { return cmpID(a.ID, b.ID) })
	return out
}

// Counters returns the host's totals.
func (h *Host) Counters() Counters {
	c := Counters{
		Penalties: h.penalties.Load(), Bans: h.bans.Load(), DroppedSends: h.droppedSends.Load(),
		DroppedUnhandled: h.droppedUnhandled.Load(), RefusedConns: h.refused.Load(),
	}
	if h.pex != nil {
		c.PEXDropped, c.AddrsRejected = h.pex.counts()
	}
	return c
}

func cmpID(a, b ID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// channelLimit is the largest message allowed on ch, for the frame reader.
func (h *Host) channelLimit(ch byte) (int, bool) {
	if ch == controlChannel {
		return 0, true // keepalives only, once the hello is done
	}
	lane, ok := h.lanes[ch]
	if !ok {
		return 0, false
	}
	return h.cfg.Channels[lane].MaxMessageBytes, true
}

func (h *Host) dispatch(from ID, ch byte, msg []byte) {
	h.hmu.RLock()
	fn := h.handlers[ch]
	h.hmu.RUnlock()
	if fn == nil {
		h.droppedUnhandled.Add(1)
		return
	}
	fn(from, msg)
}

func (h *Host) hello() *wirepb.Hello {
	h.mu.Lock()
	defer h.mu.Unlock()
	return &wirepb.Hello{
		NodeID: string(h.id), ChainID: h.cfg.ChainID, ListenAddr: h.advertised,
		Version: h.cfg.Version, Validator: h.cfg.Validator, Schedule: h.cfg.Schedule,
	}
}
