package mempool

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/bftnode/bftnode/abci"
	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// AppConn is the mempool's connection to the application; the abci
// package's MempoolConn is one.
type AppConn interface {
	// CheckTxAsync sends a check and calls done exactly once with the
	// response or the error that ended the connection. The check goes out
	// without a Flush: checks sent together share a write, and the answers
	// come back without being asked for.
	CheckTxAsync(req *abcitypes.RequestCheckTx, done abci.CheckTxDone)
	// Flush waits for the answers to the checks sent so far.
	Flush(ctx context.Context) error
}

// PeerID names the peer a transaction came from; "" is a local submission
// (RPC).
type PeerID string

// Mempool is safe for concurrent use.
type Mempool struct {
	cfg    Config
	conn   AppConn
	logger *slog.Logger
	store  *store

	// updateMtx orders checks against blocks: requests go to the app under
	// the read lock; Lock takes it exclusively and drains what is in
	// flight, so no check runs against a half-updated app state.
	updateMtx sync.RWMutex
	locked    atomic.Bool

	mu            sync.Mutex
	cache         *keyCache[TxKey]
	entries       map[TxKey]*entry // admitted and still being admitted
	txs           *list.List       // admitted, in arrival order; of *entry
	txsBytes      int64            // bytes of admitted txs
	reservedTxs   int              // txs being admitted: checked or persisted
	reservedBytes int64
	height        int64         // last block Update was called with
	nextSeq       uint64        // the store key of the last tx persisted
	nextOrder     uint64        // the order of the last tx admitted
	notified      bool          // TxsAvailable fired since the last Update
	txsAvailable  chan struct{} // cap 1
	added         chan struct{} // closed and replaced on each admission
	closed        bool

	recheckKick chan struct{} // cap 1: stale txs wait for recheck
	lifetime    context.Context
	stop        context.CancelFunc
	workers     sync.WaitGroup
}

// entry is one transaction in the mempool or on its way in.
type entry struct {
	tx         []byte
	key        TxKey
	seq        uint64 // store key, if persisted; set once the app accepted it
	local      bool   // submitted by a client of this node, not relayed by a peer
	persisted  bool   // stored: local ones once admitted, and those re-admitted from the store
	order      uint64 // admission order, the gossip cursor's unit; set on admission
	gasWanted  int64
	checkedAt  int64 // the block height of the app state the last check ran against
	admittedAt int64 // the block height when it was first checked (gossip's age)
	senders    map[PeerID]struct{}
	elem       *list.Element // in txs once admitted; nil before and after
	committed  bool          // a block included it while it was being admitted
}

// New opens the mempool stored in dir and re-admits every transaction it
// held through the app's CheckTx, in their original order: those the app
// now rejects, and any that no longer fit the limits, are deleted.
//
// A crash between a block's commit and its Update leaves the block's
// transactions in the store; the caller removes them by calling Update for
// the blocks above Height before proposing.
func New(cfg Config, conn AppConn, dir string, logger *slog.Logger) (*Mempool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if conn == nil {
		return nil, errors.New("mempool needs a connection to the application")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	st, err := openStore(dir, logger)
	if err != nil {
		return nil, err
	}
	persisted, height := st.load()
	lifetime, stop := context.WithCancel(context.Background())
	m := &Mempool{
		cfg: cfg, conn: conn, logger: logger, store: st,
		cache:        newKeyCache[TxKey](cfg.CacheSize),
		entries:      make(map[TxKey]*entry),
		txs:          list.New(),
		height:       height,
		txsAvailable: make(chan struct{}, 1),
		added:        make(chan struct{}),
		recheckKick:  make(chan struct{}, 1),
		lifetime:     lifetime,
		stop:         stop,
	}
	for _, p := range persisted {
		m.nextSeq = max(m.nextSeq, p.seq)
	}
	for _, tx := range cfg.Committed {
		m.cache.push(KeyOf(tx))
	}
	m.workers.Add(1)
	go m.recheckLoop()
	m.readmit(persisted)
	return m, nil
}

// Close stops the background work and closes the store. Admissions whose
// answer arrives afterwards fail with an error wrapping ErrClosed.
func (m *Mempool) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	m.stop()
	m.workers.Wait()
	return m.store.close()
}

// Size is the number of admitted transactions.
func (m *Mempool) Size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.txs.Len()
}

// SizeBytes is the total size of the admitted transactions.
func (m *Mempool) SizeBytes() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.txsBytes
}

// Height is the last block height the mempool was updated with, as stored.
func (m *Mempool) Height() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.height
}

// TxsAvailable receives a value once per height, when the mempool holds
// transactions after a block (right away if some remain, or at the first
// admission otherwise). A proposer waits on it instead of polling.
func (m *Mempool) TxsAvailable() <-chan struct{} { return m.txsAvailable }

// Txs returns up to limit admitted transactions in arrival order (all of
// them if limit <= 0), for the unconfirmed_txs RPC. Like every slice the
// mempool hands out, the transactions are shared: do not modify them.
func (m *Mempool) Txs(limit int) [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.txs.Len()
	if limit > 0 && limit < n {
		n = limit
	}
	out := make([][]byte, 0, n)
	for e := m.txs.Front(); e != nil && len(out) < n; e = e.Next() {
		out = append(out, e.Value.(*entry).tx)
	}
	return out
}

// Contains reports whether tx is admitted.
func (m *Mempool) Contains(tx []byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[KeyOf(tx)]
	return ok && e.elem != nil
}

// notifyTxsAvailable fires TxsAvailable once per height. Call with mu held.
func (m *Mempool) notifyTxsAvailable() {
	if m.notified || m.txs.Len() == 0 {
		return
	}
	m.notified = true
	select {
	case m.txsAvailable <- struct{}{}:
	default:
	}
}

// kick wakes a worker without blocking.
func kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (m *Mempool) String() string {
	return fmt.Sprintf("mempool(%d txs, %d bytes, height %d)", m.Size(), m.SizeBytes(), m.Height())
}
