package mempool

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/bftnode/bftnode/wal"
)

// The store is an append-only log of what happened to the stored
// transactions, not a database: a transaction is written once when it is
// admitted and forgotten once when a block takes it, so a log costs one
// sequential append each way where a database pays for an index it never
// searches (and for compacting it). The log is rewritten with only the
// live transactions once it is mostly dead records.
//
// Records: a kind byte, an 8-byte big-endian number (the transaction's
// arrival sequence, or the height), and for a put the transaction.
type opKind byte

const (
	opPut    opKind = 'P' // a transaction stored, under its sequence
	opDelete opKind = 'D' // the transaction with this sequence left
	opHeight opKind = 'H' // the last block the mempool was updated with
)

// rewriteMin is the log size below which it is never rewritten; above it,
// the log is rewritten when less than half of it is live.
const rewriteMin = 4 << 20

// storeOp is one write; done (if set) runs once the group holding it is
// written (and synced, if any op of the group is durable), with the
// group's error. dones run in submission order.
type storeOp struct {
	kind   opKind
	seq    uint64 // opPut, opDelete
	tx     []byte // opPut
	height int64  // opHeight
	// durable ops make their group fsync before done runs: the admission
	// of a transaction a client submitted. Deletions and the height record
	// are not synced: a crash that loses them leaves committed txs and an
	// older height in the store, which the next start drops again (the
	// cache seeded with recent blocks, and Update for the blocks above the
	// stored height).
	durable bool
	done    func(error)
}

func heightRecord(h int64) storeOp { return storeOp{kind: opHeight, height: h} }

func (op storeOp) record() []byte {
	rec := make([]byte, 9, 9+len(op.tx))
	rec[0] = byte(op.kind)
	n := op.seq
	if op.kind == opHeight {
		n = uint64(op.height)
	}
	binary.BigEndian.PutUint64(rec[1:], n)
	return append(rec, op.tx...)
}

// store persists the mempool with group commit: a single writer goroutine
// appends every op submitted while the previous group was syncing and
// syncs them together, so N concurrent admissions cost one fsync rather
// than N.
type store struct {
	log    *wal.WAL
	dir    string
	logger *slog.Logger

	// What a rewrite keeps; owned by the writer goroutine once it runs.
	live      map[uint64][]byte
	liveBytes int64
	logBytes  int64
	height    int64

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

// openStore opens (or creates) the log in dir and reads it. A torn last
// record (a crash in the middle of a write) is cut off and logged; damage
// in the middle of the log is an error that says what to do. A store
// written by an earlier version (a goleveldb database) is moved into the
// log.
func openStore(dir string, logger *slog.Logger) (*store, error) {
	log, rep, err := wal.Open(dir, wal.Options{})
	if err != nil {
		var bad *wal.CorruptionError
		if errors.As(err, &bad) {
			return nil, fmt.Errorf("the mempool's store in %s is damaged: %w; move the directory aside "+
				"to start with an empty mempool (the transactions it held are then lost)", dir, err)
		}
		return nil, fmt.Errorf("open the mempool's store in %s: %w; check the directory is writable", dir, err)
	}
	if rep.Cut() {
		logger.Warn("the mempool's store ended in a torn record, cut off", "dir", dir, "report", rep.String())
	}
	s := &store{log: log, dir: dir, logger: logger, live: make(map[uint64][]byte),
		wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	if err := s.read(); err != nil {
		log.Close()
		return nil, err
	}
	if err := s.importLevelDB(); err != nil {
		log.Close()
		return nil, err
	}
	go s.writeLoop()
	return s, nil
}

// read replays the log into live and height.
func (s *store) read() error {
	err := s.log.Replay(func(rec []byte) error {
		s.logBytes += int64(len(rec))
		if len(rec) < 9 {
			return fmt.Errorf("a record of %d bytes", len(rec))
		}
		n := binary.BigEndian.Uint64(rec[1:9])
		switch opKind(rec[0]) {
		case opPut:
			s.put(n, rec[9:])
		case opDelete:
			s.delete(n)
		case opHeight:
			s.height = int64(n)
		default:
			return fmt.Errorf("a record of unknown kind %q", rec[0])
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the mempool's store in %s: %w", s.dir, err)
	}
	return nil
}

func (s *store) put(seq uint64, tx []byte) {
	s.delete(seq)
	s.live[seq] = tx
	s.liveBytes += int64(len(tx)) + 9
}

func (s *store) delete(seq uint64) {
	if tx, ok := s.live[seq]; ok {
		delete(s.live, seq)
		s.liveBytes -= int64(len(tx)) + 9
	}
}

// load returns the stored transactions in arrival order and the last
// height recorded by Update. Call it before submitting anything.
func (s *store) load() ([]persistedTx, int64) {
	txs := make([]persistedTx, 0, len(s.live))
	for seq, tx := range s.live {
		txs = append(txs, persistedTx{seq: seq, tx: tx})
	}
	slices.SortFunc(txs, func(a, b persistedTx) int { return cmp.Compare(a.seq, b.seq) })
	return txs, s.height
}

// submit queues ops for the next group without waiting.
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

// commit appends one group of ops, synced if any op must be durable. The
// log keeps records in order, so syncing one group also makes every
// earlier one durable.
func (s *store) commit(ops []storeOp) {
	err := s.append(ops)
	if err != nil {
		err = fmt.Errorf("write the mempool's store in %s: %w; check the disk", s.dir, err)
		// Removals have no one waiting to hear of it.
		s.logger.Error("mempool store write failed", "err", err)
	}
	for _, op := range ops {
		if op.done != nil {
			op.done(err)
		}
	}
	if err == nil && s.logBytes > rewriteMin && s.logBytes > 2*s.liveBytes {
		if err := s.rewrite(); err != nil {
			s.logger.Error("mempool store rewrite failed", "dir", s.dir, "err", err)
		}
	}
}

func (s *store) append(ops []storeOp) error {
	sync := false
	for _, op := range ops {
		rec := op.record()
		if err := s.log.Append(rec); err != nil {
			return err
		}
		s.logBytes += int64(len(rec))
		switch op.kind {
		case opPut:
			s.put(op.seq, op.tx)
		case opDelete:
			s.delete(op.seq)
		case opHeight:
			s.height = op.height
		}
		sync = sync || op.durable
	}
	if sync {
		return s.log.Sync()
	}
	return nil
}

// rewrite starts the log over with the height and the live transactions
// only, atomically: a crash leaves the old log or the new one.
func (s *store) rewrite() error {
	txs, height := s.load()
	first := heightRecord(height).record()
	rest := make([][]byte, len(txs))
	size := int64(len(first))
	for i, p := range txs {
		rest[i] = storeOp{kind: opPut, seq: p.seq, tx: p.tx}.record()
		size += int64(len(rest[i]))
	}
	if err := s.log.Reset(first, rest...); err != nil {
		return err
	}
	s.logBytes = size
	return nil
}

// close writes what is queued, stops the writer and closes the log.
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
	if err := s.log.Close(); err != nil {
		return fmt.Errorf("close the mempool's store in %s: %w", s.dir, err)
	}
	return nil
}
