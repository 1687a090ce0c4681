package p2p

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Channel IDs, as CometBFT numbers its reactors' channels. Channel 0 is the
// connection's own (hello and keepalives).
const (
	ChannelConsensus byte = 0x20
	ChannelMempool   byte = 0x30
	ChannelEvidence  byte = 0x38
	ChannelBlocksync byte = 0x40
	// ChannelSnapshot and ChannelChunk carry state sync: which snapshots a
	// peer serves, and their chunks.
	ChannelSnapshot byte = 0x60
	ChannelChunk    byte = 0x61

	controlChannel byte = 0x00
)

// ChannelSpec describes one channel. The order of Config.Channels is the
// sending priority: a queued message on an earlier channel always goes out
// before one on a later channel.
type ChannelSpec struct {
	ID   byte
	Name string
	// MaxMessageBytes is the largest message accepted on the channel. A peer
	// sending more is disconnected and penalized; Send refuses more.
	MaxMessageBytes int
	// QueueSize is how many messages may wait to be sent to one peer on this
	// channel; Send returns false when the queue is full.
	QueueSize int
}

// DefaultChannels returns the consensus, blocksync, mempool, evidence,
// snapshot, chunk and PEX channels in that priority order. The state sync
// channels take CometBFT's limits (wire.MaxSnapshotsMessageBytes and
// wire.MaxChunkMessageBytes). The consensus and blocksync channels
// carry whole blocks, so their limit is the largest block plus 1 MiB (2 MiB
// for blocksync, whose responses also carry a commit); a mempool batch is
// at most one 1 MiB beyond the largest transaction; evidence comes in
// lists of at most 1 MiB, CometBFT's default limit of evidence per block.
func DefaultChannels(maxBlockBytes, maxTxBytes int) []ChannelSpec {
	const mib = 1 << 20
	return []ChannelSpec{
		{ID: ChannelConsensus, Name: "consensus", MaxMessageBytes: maxBlockBytes + mib, QueueSize: 1000},
		{ID: ChannelBlocksync, Name: "blocksync", MaxMessageBytes: maxBlockBytes + 2*mib, QueueSize: 100},
		{ID: ChannelMempool, Name: "mempool", MaxMessageBytes: maxTxBytes + mib, QueueSize: 1000},
		{ID: ChannelEvidence, Name: "evidence", MaxMessageBytes: mib, QueueSize: 100},
		{ID: ChannelSnapshot, Name: "snapshot", MaxMessageBytes: 4_000_000, QueueSize: 10},
		{ID: ChannelChunk, Name: "chunk", MaxMessageBytes: 16_000_000, QueueSize: 16},
		{ID: ChannelPEX, Name: "pex", MaxMessageBytes: maxPEXMessageBytes, QueueSize: 10},
	}
}

// Config configures a Host. Zero durations and counts take the defaults
// listed on each field.
type Config struct {
	// ListenAddr is where to accept connections, "host:port" or
	// "tcp://host:port"; empty for a node that only dials.
	ListenAddr string
	// ExternalAddr is the address peers should dial, told to them in the
	// hello; empty means the listener's address.
	ExternalAddr string
	// PersistentPeers are "id@host:port" addresses dialed at start and
	// redialed whenever the connection drops.
	PersistentPeers []string
	// ChainID must match a peer's for the connection to be kept.
	ChainID string
	// Version is the software version told to peers.
	Version string
	// Schedule is the node's consensus protocol schedule; a peer whose
	// schedule differs is refused, naming both.
	Schedule string
	// Validator tells peers whether this node is a validator.
	Validator bool

	// Channels lists the channels in priority order (DefaultChannels).
	Channels []ChannelSpec

	// PEX turns on peer exchange (CometBFT's pex): the node keeps an
	// address book, asks peers for addresses, answers their requests and
	// dials addresses from the book until it has MaxOutboundPeers outbound
	// peers. Seeds ("id@host:port") are dialed for addresses when the node
	// has no other peer. In SeedMode the node only hands out addresses: it
	// answers a request and hangs up, and crawls the addresses it knows.
	PEX      bool
	Seeds    []string
	SeedMode bool
	// AddrBookPath is the address book file, reloaded at start and
	// rewritten when the book changes; "" keeps the book in memory.
	AddrBookPath string
	// AddrBookStrict keeps only addresses routable across the internet
	// (CometBFT's addr_book_strict); turn it off on a private network.
	AddrBookStrict bool
	// PEXInterval is the dialer's pause between rounds once the node has
	// its peers, and a seed's between crawls (default 30s).
	PEXInterval time.Duration
	// PEXRequestInterval is the least time between two address requests
	// from one node to another (default 5s); earlier ones are dropped.
	PEXRequestInterval time.Duration

	// Peers other than persistent ones are accepted up to MaxInboundPeers
	// that dialed this node (default 40) and MaxOutboundPeers it dialed
	// (default 10), as CometBFT's max_num_inbound_peers and
	// max_num_outbound_peers. Persistent peers are always accepted.
	MaxInboundPeers  int
	MaxOutboundPeers int

	DialTimeout      time.Duration // TCP connect (default 3s)
	HandshakeTimeout time.Duration // secret connection and hello (default 20s)
	PingInterval     time.Duration // keepalive when idle (default 10s)
	IdleTimeout      time.Duration // disconnect after hearing nothing this long (default 3 * PingInterval)
	WriteTimeout     time.Duration // disconnect when a write stalls this long (default 20s)

	RedialMin time.Duration // first delay before redialing a persistent peer (default 500ms)
	RedialMax time.Duration // delay cap (default 1m)
	// Jitter returns a random duration in [0, n); nil uses math/rand/v2.
	// Tests inject a deterministic one.
	Jitter func(n time.Duration) time.Duration

	BanAfter    int           // offences within BanDuration that ban a peer (default 3)
	BanDuration time.Duration // how long a ban lasts (default 10m)
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.MaxInboundPeers <= 0 {
		c.MaxInboundPeers = 40
	}
	if c.MaxOutboundPeers <= 0 {
		c.MaxOutboundPeers = 10
	}
	def(&c.DialTimeout, 3*time.Second)
	def(&c.HandshakeTimeout, 20*time.Second)
	def(&c.PingInterval, 10*time.Second)
	def(&c.IdleTimeout, 3*c.PingInterval)
	def(&c.WriteTimeout, 20*time.Second)
	def(&c.RedialMin, 500*time.Millisecond)
	def(&c.RedialMax, time.Minute)
	def(&c.BanDuration, 10*time.Minute)
	def(&c.PEXInterval, 30*time.Second)
	def(&c.PEXRequestInterval, 5*time.Second)
	if c.BanAfter <= 0 {
		c.BanAfter = 3
	}
	if c.Jitter == nil {
		c.Jitter = func(n time.Duration) time.Duration {
			if n <= 0 {
				return 0
			}
			return rand.N(n)
		}
	}
	c.ListenAddr = strings.TrimPrefix(c.ListenAddr, "tcp://")
	c.ExternalAddr = strings.TrimPrefix(c.ExternalAddr, "tcp://")
}

func (c *Config) validate() error {
	var errs []error
	if c.ChainID == "" {
		errs = append(errs, errors.New("p2p: chain ID is empty; set it from genesis.json"))
	}
	if len(c.Channels) == 0 {
		errs = append(errs, errors.New("p2p: no channels configured; use DefaultChannels"))
	}
	seen := map[byte]bool{controlChannel: true}
	for _, ch := range c.Channels {
		if seen[ch.ID] {
			errs = append(errs, fmt.Errorf("p2p: channel %#x is reserved or listed twice", ch.ID))
		}
		seen[ch.ID] = true
		if ch.MaxMessageBytes <= 0 || ch.QueueSize <= 0 {
			errs = append(errs, fmt.Errorf("p2p: channel %#x (%s) needs a positive MaxMessageBytes and QueueSize", ch.ID, ch.Name))
		}
	}
	if c.IdleTimeout <= c.PingInterval {
		errs = append(errs, fmt.Errorf("p2p: idle timeout %v must exceed the ping interval %v, or idle peers are dropped", c.IdleTimeout, c.PingInterval))
	}
	if c.RedialMax < c.RedialMin {
		errs = append(errs, fmt.Errorf("p2p: redial max %v is below redial min %v", c.RedialMax, c.RedialMin))
	}
	for _, a := range c.PersistentPeers {
		if _, err := ParseAddress(a); err != nil {
			errs = append(errs, fmt.Errorf("p2p: persistent peer: %w", err))
		}
	}
	for _, a := range c.Seeds {
		if _, err := ParseAddress(a); err != nil {
			errs = append(errs, fmt.Errorf("p2p: seed: %w", err))
		}
	}
	errs = append(errs, c.validatePEX(seen))
	return errors.Join(errs...)
}

// validatePEX checks the settings of peer exchange, given the configured
// channels.
func (c *Config) validatePEX(channels map[byte]bool) error {
	switch {
	case !c.PEX && c.SeedMode:
		return errors.New("p2p: seed mode needs PEX: a seed hands out the addresses PEX collects")
	case !c.PEX && len(c.Seeds) > 0:
		return errors.New("p2p: seeds need PEX: the node asks them for addresses over PEX")
	case c.PEX && !channels[ChannelPEX]:
		return fmt.Errorf("p2p: PEX needs channel %#x in Config.Channels; use DefaultChannels", ChannelPEX)
	}
	return nil
}

// redialDelay is how long to wait before the attempt-th redial (from 0):
// RedialMin doubled per failed attempt up to RedialMax, of which the second
// half is random ("equal jitter"), so peers that lost each other at the same
// moment do not redial in lockstep.
func redialDelay(attempt int, lo, hi time.Duration, jitter func(time.Duration) time.Duration) time.Duration {
	d := lo
	for i := 0; i < attempt && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	half := d / 2
	return d - half + jitter(half+1)
}
