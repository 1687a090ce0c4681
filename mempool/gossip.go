package mempool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
)

// GossipConfig bounds gossip batches and what is remembered per peer.
type GossipConfig struct {
	// MaxBatchTxs is the most transactions in one batch.
	MaxBatchTxs int
	// MaxBatchBytes is the most transaction bytes in one batch; a single
	// transaction larger than this is sent in a batch of its own.
	MaxBatchBytes int
	// PeerMemory is how many transaction keys are remembered per peer (the
	// ones it sent us and the ones we sent it).
	PeerMemory int
	// Every ResendInterval, transactions still in the mempool ResendAfter
	// blocks after their admission are offered to every peer again. Only
	// a proposer's mempool makes blocks, and a PBFT primary stays the same
	// for many blocks: a transaction its mempool refused (full, or a batch
	// its intake dropped) would otherwise wait at a backup forever. Zero
	// ResendInterval offers a transaction once per peer connection.
	ResendInterval time.Duration
	ResendAfter    int64
}

// DefaultGossipConfig suits the default mempool limits.
func DefaultGossipConfig() GossipConfig {
	return GossipConfig{MaxBatchTxs: 1000, MaxBatchBytes: 1 << 20, PeerMemory: 10000,
		ResendInterval: 2 * time.Second, ResendAfter: 3}
}

// SendFunc hands a batch to the transport for one peer. It should queue
// rather than block: Gossip calls it for one peer after another.
type SendFunc func(peer PeerID, batch [][]byte)

// Gossip decides which transactions each peer still needs. It is
// transport-agnostic: the transport reports peers coming and going, passes
// received batches to Receive, and sends what SendPending (or Run) hands
// it. A transaction is offered to a peer at most once while the peer stays
// connected (until it is ResendAfter blocks old), and never if the peer
// sent it to us.
type Gossip struct {
	mp   *Mempool
	cfg  GossipConfig
	send SendFunc
	wake chan struct{}

	mu    sync.Mutex
	peers map[PeerID]*peerState

	intake *intake // peers' batches waiting for admission (Deliver)

	behind func() bool
	// While the node is behind, the transactions admitted up to suspectTo
	// (in admission order) are not offered; guarded by mu.
	wasBehind bool
	suspectTo uint64
}

// behindPoll is how often gossip looks whether the node caught up, while
// it holds transactions back.
const behindPoll = 250 * time.Millisecond

// SetBehind tells gossip how to know that the node is behind the chain;
// call it before Run. A node that falls behind (or starts, not knowing
// yet) may hold transactions that blocks it has not executed yet
// committed long ago, which its peers may have forgotten having seen
// (their caches are bounded) and would admit and propose a second time.
// So while behind reports true, gossip holds back every transaction the
// mempool had when the node fell behind (among them those re-admitted
// from the store at start) and offers them once the node caught up and
// executed what it missed. Transactions admitted meanwhile go out as
// usual: clients' new ones must not wait on a node that may never catch
// up.
func (g *Gossip) SetBehind(behind func() bool) { g.behind = behind }

// look notes whether the node is behind: when it falls behind, what the
// mempool holds becomes suspect; when it catches up, every peer is offered
// the mempool again from the start (what was held back is still unsent).
func (g *Gossip) look() {
	behind := g.behind != nil && g.behind()
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case behind && !g.wasBehind:
		g.suspectTo = g.mp.lastOrder()
	case !behind && g.wasBehind:
		for _, ps := range g.peers {
			ps.cursor = 0
		}
	}
	g.wasBehind = behind
}

// shortKey is the first 8 bytes of a TxKey, enough to tell apart the
// transactions one peer is remembered to have: two of them sharing it
// (one chance in 2^64 per pair) would only keep one from being offered.
type shortKey uint64

func shortKeyOf(k TxKey) shortKey { return shortKey(binary.LittleEndian.Uint64(k[:8])) }

type peerState struct {
	known  *keyCache[shortKey] // the transactions the peer sent us or we sent it
	cursor uint64              // admitted txs with order <= cursor were considered
}

// NewGossip gossips mp's transactions through send.
func NewGossip(mp *Mempool, cfg GossipConfig, send SendFunc) (*Gossip, error) {
	if cfg.MaxBatchTxs <= 0 || cfg.MaxBatchBytes <= 0 || cfg.PeerMemory <= 0 {
		return nil, fmt.Errorf("gossip limits must be positive: max batch txs %d, max batch bytes %d, "+
			"peer memory %d", cfg.MaxBatchTxs, cfg.MaxBatchBytes, cfg.PeerMemory)
	}
	if mp == nil || send == nil {
		return nil, errors.New("gossip needs a mempool and a send function")
	}
	return &Gossip{mp: mp, cfg: cfg, send: send, wake: make(chan struct{}, 1),
		peers: make(map[PeerID]*peerState), intake: newIntake()}, nil
}

// AddPeer starts gossiping to p: it will be offered everything in the
// mempool it does not have.
func (g *Gossip) AddPeer(p PeerID) {
	g.mu.Lock()
	g.peer(p)
	g.mu.Unlock()
	kick(g.wake)
}

// RemovePeer forgets p. If it comes back it is treated as new.
func (g *Gossip) RemovePeer(p PeerID) {
	g.mu.Lock()
	delete(g.peers, p)
	g.mu.Unlock()
}

// peer returns p's state, creating it. Call with mu held.
func (g *Gossip) peer(p PeerID) *peerState {
	ps, ok := g.peers[p]
	if !ok {
		ps = &peerState{known: newKeyCache[shortKey](g.cfg.PeerMemory)}
		g.peers[p] = ps
	}
	return ps
}

// Receive admits a batch from peer from through CheckTx, like local
// submissions: all in flight at once but reaching the app in batch order.
// It returns how many were admitted. Duplicates, oversized and rejected
// transactions are skipped; the error is only for a failed mempool or app
// connection, or ctx ending.
func (g *Gossip) Receive(ctx context.Context, from PeerID, batch [][]byte) (int, error) {
	g.mu.Lock()
	ps := g.peer(from)
	for _, tx := range batch {
		ps.known.push(shortKeyOf(KeyOf(tx)))
	}
	g.mu.Unlock()

	var failure error
	results := make([]<-chan CheckResult, 0, len(batch))
	for _, tx := range batch {
		result, err := g.mp.CheckTxAsync(tx, from)
		if err != nil {
			if !refusal(err) {
				failure = errors.Join(failure, err)
			}
			continue
		}
		results = append(results, result)
	}
	admitted := 0
	for _, result := range results {
		select {
		case r := <-result:
			switch {
			case r.Err != nil:
				failure = errors.Join(failure, r.Err)
			case r.Response.IsOK():
				admitted++
			}
		case <-ctx.Done():
			return admitted, ctx.Err()
		}
	}
	return admitted, failure
}

// refusal reports an admission refused by the mempool's own rules, which
// is the peer's problem, not ours.
func refusal(err error) bool {
	return errors.Is(err, ErrTxInCache) || errors.As(err, new(ErrTxTooLarge)) ||
		errors.As(err, new(ErrMempoolIsFull))
}

// SendPending hands every peer the batches of admitted transactions it
// does not have yet, in arrival order.
func (g *Gossip) SendPending() {
	g.look()
	g.mu.Lock()
	peers := make([]PeerID, 0, len(g.peers))
	for p := range g.peers {
		peers = append(peers, p)
	}
	g.mu.Unlock()
	for _, p := range peers {
		for {
			batch := g.NextBatch(p)
			if len(batch) == 0 {
				break
			}
			g.send(p, batch)
		}
	}
}

// NextBatch returns the next batch for p and records it as sent; it is
// empty when p has everything. SendPending calls it; a transport that
// paces sends itself may call it directly.
func (g *Gossip) NextBatch(p PeerID) [][]byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	ps, ok := g.peers[p]
	if !ok {
		return nil
	}
	batch, keys, cursor := g.mp.txsAfter(ps.cursor, g.cfg.MaxBatchTxs, g.cfg.MaxBatchBytes,
		func(e *entry, height int64) bool {
			if g.wasBehind && e.order <= g.suspectTo {
				return true // offered again once caught up (look)
			}
			_, sentUs := e.senders[p]
			stale := g.cfg.ResendInterval > 0 && height-e.admittedAt >= g.cfg.ResendAfter
			return sentUs || (ps.known.has(shortKeyOf(e.key)) && !stale)
		})
	ps.cursor = cursor
	for _, k := range keys {
		ps.known.push(shortKeyOf(k))
	}
	return batch
}

// Run sends pending batches whenever a transaction is admitted or a peer
// joins, and admits the batches Deliver queued, until ctx ends.
func (g *Gossip) Run(ctx context.Context) {
	var admitting sync.WaitGroup
	defer admitting.Wait()
	for _, lane := range g.intake.lanes {
		admitting.Add(1)
		go func() {
			defer admitting.Done()
			g.admitDelivered(ctx, lane)
		}()
	}
	var resend <-chan time.Time
	if g.cfg.ResendInterval > 0 {
		t := time.NewTicker(g.cfg.ResendInterval)
		defer t.Stop()
		resend = t.C
	}
	for {
		added := g.mp.newTxs()
		var retry <-chan time.Time
		g.SendPending()
		if g.wasBehindNow() {
			retry = time.After(behindPoll)
		}
		select {
		case <-added:
		case <-g.wake:
		case <-retry:
		case <-resend:
			g.rewind()
		case <-ctx.Done():
			return
		}
	}
}

// rewind makes the next batches for every peer start again from the
// oldest transaction, so that stale ones are offered again.
func (g *Gossip) rewind() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, ps := range g.peers {
		ps.cursor = 0
	}
}

// wasBehindNow tells whether gossip last found the node behind.
func (g *Gossip) wasBehindNow() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.wasBehind
}

// txsAfter collects, in admission order, the admitted txs with order >
// cursor that skip (told the mempool's height) does not exclude, up to the
// batch limits (always at least one tx if any is due). It returns their
// keys and the new cursor: the order of the last tx considered, sent or
// skipped.
func (m *Mempool) txsAfter(cursor uint64, maxTxs, maxBytes int, skip func(e *entry, height int64) bool) ([][]byte, []TxKey, uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// Admitted txs are in order, new ones at the back: walk back to the
	// cursor rather than forward from the oldest.
	start := m.txs.Back()
	for start != nil && start.Prev() != nil && start.Prev().Value.(*entry).order > cursor {
		start = start.Prev()
	}
	var (
		txs   [][]byte
		keys  []TxKey
		bytes int
	)
	for el := start; el != nil; el = el.Next() {
		e := el.Value.(*entry)
		if e.order <= cursor {
			continue
		}
		if skip(e, m.height) {
			cursor = e.order
			continue
		}
		if len(txs) == maxTxs || (len(txs) > 0 && bytes+len(e.tx) > maxBytes) {
			break
		}
		txs = append(txs, e.tx)
		keys = append(keys, e.key)
		bytes += len(e.tx)
		cursor = e.order
	}
	return txs, keys, cursor
}
