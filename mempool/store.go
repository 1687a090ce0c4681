package mempool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/bftnode/bftnode/internal/ldb"
)

// Store layout: one record per admitted transaction, keyed by its arrival
// sequence so that a restart re-admits them in their original order, and
// the height of the last block the mempool was updated with.
var (
	txPrefix  = []byte("t")
	heightKey = []byte("h")
)

func txRecordKey(seq uint64) []byte {
	k := make([]byte, len(txPrefix)+8)
	copy(k, txPrefix)
	binary.BigEndian.PutUint64(k[len(txPrefix):], seq)
	return k
}

// storeOp is one write; done (if set) runs once the batch holding it is
// written (and synced, if any op of the batch is durable), with the batch's
// error. dones run in submission order.
type storeOp struct {
	key    []byte
	value  []byte
	delete bool
	// durable ops make their batch fsync before done runs: the admission
	// of a transaction a client submitted. Deletions and the height record
	// are not synced: a crash that loses them leaves committed txs and an
	// older height in the store, which the next start drops again (the
	// cache seeded with recent blocks, and Update for the blocks above the
	// stored height).
	durable bool
	done    func(error)
}

// store persists the mempool with group commit: a single writer goroutine
// turns every op submitted while the previous batch was syncing into one
// leveldb batch, so N concurrent admissions cost one fsync rather than N.
type store struct {
	db     *leveldb.DB
	dir    string
	logger *slog.Logger

	batch leveldb.Batch // reused by the writer goroutine

	mu      sync.Mutex
	queue   []storeOp
	closing bool
	wake    chan struct{}
	stopped chan struct{}
}

type persistedTx struct {
	seq uint64
	tx  []byte
}

// openStore opens (or creates) the database in dir. A database damaged by
// a crash is repaired; what leveldb recovers is kept and the loss is logged.
func openStore(dir string, logger *slog.Logger) (*store, error) {
	db, err := leveldb.OpenFile(dir, ldb.Options())
	if lerrors.IsCorrupted(err) {
		logger.Warn("mempool database is damaged; recovering what it holds", "dir", dir, "err", err)
		db, err = leveldb.RecoverFile(dir, ldb.Options())
	}
	if err != nil {
		return nil, fmt.Errorf("open the mempool database in %s: %w; check the directory is writable "+
			"and that no other node process uses it", dir, err)
	}
	s := &store{db: db, dir: dir, logger: logger, wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	go s.writeLoop()
	return s, nil
}

// load returns the persisted transactions in arrival order and the last
// height recorded by Update.
func (s *store) load() ([]persistedTx, int64, error) {
	var height int64
	if v, err := s.db.Get(heightKey, nil); err == nil && len(v) == 8 {
		height = int64(binary.BigEndian.Uint64(v))
	} else if err != nil && !errors.Is(err, leveldb.ErrNotFound) {
		return nil, 0, fmt.Errorf("read the mempool height in %s: %w", s.dir, err)
	}
	var txs []persistedTx
	it := s.db.NewIterator(util.BytesPrefix(txPrefix), nil)
	defer it.Release()
	for it.Next() {
		k := it.Key()
		if len(k) != len(txPrefix)+8 {
			continue // not a record of ours; leave it alone
		}
		txs = append(txs, persistedTx{
			seq: binary.BigEndian.Uint64(k[len(txPrefix):]),
			tx:  append([]byte(nil), it.Value()...),
		})
	}
	if err := it.Error(); err != nil {
		return nil, 0, fmt.Errorf("read the mempool's transactions in %s: %w", s.dir, err)
	}
	return txs, height, nil
}

// submit queues ops for the next synced batch without waiting.
func (s *store) submit(ops ...storeOp) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		for _, op := range ops {
			if op.done != nil {
				op.done(ErrClosed)
			}
		}
		return
	}
	s.queue = append(s.queue, ops...)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// write queues ops and waits until they are written.
func (s *store) write(ops ...storeOp) error {
	if len(ops) == 0 {
		return nil
	}
	done := make(chan error, 1)
	ops[len(ops)-1].done = func(err error) { done <- err }
	s.submit(ops...)
	return <-done
}

func (s *store) writeLoop() {
	defer close(s.stopped)
	for range s.wake {
		s.mu.Lock()
		ops, closing := s.queue, s.closing
		s.queue = nil
		s.mu.Unlock()
		if len(ops) > 0 {
			s.commit(ops)
		}
		if closing {
			return
		}
	}
}

// commit writes one group of ops as a single batch, synced if any op must
// be durable. leveldb's journal keeps batches in order, so syncing one also
// makes every earlier batch durable.
func (s *store) commit(ops []storeOp) {
	b := &s.batch
	b.Reset()
	sync := false
	for _, op := range ops {
		if op.delete {
			b.Delete(op.key)
		} else {
			b.Put(op.key, op.value)
		}
		sync = sync || op.durable
	}
	err := s.db.Write(b, &opt.WriteOptions{Sync: sync})
	if err != nil {
		err = fmt.Errorf("write the mempool database in %s: %w; check the disk", s.dir, err)
		// Removals have no one waiting to hear of it.
		s.logger.Error("mempool store write failed", "err", err)
	}
	for _, op := range ops {
		if op.done != nil {
			op.done(err)
		}
	}
}

// close writes what is queued, stops the writer and closes the database.
func (s *store) close() error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.closing = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	<-s.stopped
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close the mempool database in %s: %w", s.dir, err)
	}
	return nil
}

func heightRecord(h int64) storeOp {
	v := make([]byte, 8)
	binary.BigEndian.PutUint64(v, uint64(h))
	return storeOp{key: heightKey, value: v}
}
