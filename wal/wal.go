package wal

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/bftnode/bftnode/internal/failpoint"
)

// Options tune a WAL. The zero value means the defaults.
type Options struct {
	// SegmentSize is the size past which the log moves on to a new segment
	// file (default 64 MiB). A single record larger than it still fits in
	// one segment.
	SegmentSize int64
	// BufferSize is the size of the write buffer (default 64 KiB).
	BufferSize int
}

const (
	defaultSegmentSize = 64 << 20
	defaultBufferSize  = 64 << 10
)

func (o Options) withDefaults() Options {
	if o.SegmentSize <= 0 {
		o.SegmentSize = defaultSegmentSize
	}
	if o.BufferSize <= 0 {
		o.BufferSize = defaultBufferSize
	}
	return o
}

// fsync is how a group commit makes a segment durable; tests replace it to
// hold a sync in progress.
var fsync = (*os.File).Sync

// ErrClosed is returned by every method of a closed WAL.
var ErrClosed = errors.New("wal: the log is closed")

// WAL is an open write-ahead log. Its methods are safe for concurrent use.
type WAL struct {
	dir  string
	opts Options

	mu   sync.Mutex
	cond *sync.Cond // broadcast when a sync ends

	active  segmentID
	file    *os.File
	buf     *bufio.Writer
	segSize int64 // bytes in the active segment, buffered ones included

	// written counts bytes appended since Open, durable those known to be
	// fsynced; both only grow. AppendSync waits until durable covers its
	// record.
	written, durable uint64
	syncing          bool // a caller is fsyncing with mu released

	err    error // sticky: after a failed write or fsync nothing is trusted
	closed bool

	appends, fsyncs uint64
}

// Stats counts what a WAL did since Open.
type Stats struct {
	Appends uint64 // records appended
	Fsyncs  uint64 // fsync calls on segment files
}

// Stats returns the counters.
func (w *WAL) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return Stats{Appends: w.appends, Fsyncs: w.fsyncs}
}

// Dir is the directory holding the log.
func (w *WAL) Dir() string { return w.dir }

// usable returns why the log cannot take more work, if it cannot.
func (w *WAL) usable() error {
	if w.closed {
		return ErrClosed
	}
	return w.err
}

// fail records the first write or fsync failure. After it the log's tail
// is unknown (a failed fsync may have dropped written pages), so every later
// call fails too and the node must restart, which re-reads the log.
func (w *WAL) fail(err error) error {
	if w.err == nil {
		w.err = fmt.Errorf("wal: the log failed and takes no more records; restart the node to recover from what is on disk: %w", err)
	}
	w.cond.Broadcast()
	return w.err
}

// Append adds a record to the log's buffer. It is not durable until Sync or
// AppendSync returns. Records must not be empty nor exceed MaxRecordSize.
func (w *WAL) Append(rec []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.appendLocked(rec)
}

func (w *WAL) appendLocked(rec []byte) error {
	if err := w.usable(); err != nil {
		return err
	}
	if err := checkPayload(rec); err != nil {
		return err
	}
	n := int64(headerSize + len(rec))
	if w.segSize > 0 && w.segSize+n > w.opts.SegmentSize {
		// Another caller may fsync the active segment right now; wait, then
		// look again, since a caller that waited too may have rotated.
		w.quiesce()
		if err := w.usable(); err != nil {
			return err
		}
		if w.segSize > 0 && w.segSize+n > w.opts.SegmentSize {
			if err := w.rotate(); err != nil {
				return err
			}
		}
	}
	h := encodeHeader(rec)
	if _, err := w.buf.Write(h[:]); err != nil {
		return w.fail(err)
	}
	if _, err := w.buf.Write(rec); err != nil {
		return w.fail(err)
	}
	w.segSize += n
	w.written += uint64(n)
	w.appends++
	failpoint.Hit(failpoint.WALAppend)
	return nil
}

// Sync writes out the buffer and fsyncs the active segment: every record
// appended before the call is then durable.
func (w *WAL) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	return w.waitDurable(w.written)
}

// AppendSync appends rec and returns once it is durable. Concurrent callers
// share fsyncs: while one fsyncs, the others append and then wait, and the
// next fsync covers all of them.
func (w *WAL) AppendSync(rec []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.appendLocked(rec); err != nil {
		return err
	}
	return w.waitDurable(w.written)
}

// waitDurable returns once the first target bytes appended are durable.
// Called with mu held. One caller at a time flushes and fsyncs with mu
// released (so others can keep appending); the rest wait for it.
func (w *WAL) waitDurable(target uint64) error {
	for w.durable < target {
		if err := w.usable(); err != nil {
			return err
		}
		if w.syncing {
			w.cond.Wait()
			continue
		}
		if err := w.buf.Flush(); err != nil {
			return w.fail(err)
		}
		upto, f := w.written, w.file
		w.syncing = true
		w.mu.Unlock()
		failpoint.Hit(failpoint.WALBeforeFsync)
		err := fsync(f)
		if err == nil {
			failpoint.Hit(failpoint.WALAfterFsync)
		}
		w.mu.Lock()
		w.syncing = false
		w.fsyncs++
		if err != nil {
			return w.fail(err)
		}
		w.durable = max(w.durable, upto)
		w.cond.Broadcast()
	}
	return nil
}

// quiesce waits until no caller is fsyncing with mu released, so the
// active file may be closed or replaced. Called with mu held.
func (w *WAL) quiesce() {
	for w.syncing {
		w.cond.Wait()
	}
}

// flushAndSync makes everything appended durable without releasing mu.
func (w *WAL) flushAndSync() error {
	if err := w.buf.Flush(); err != nil {
		return w.fail(err)
	}
	if w.durable == w.written {
		return nil
	}
	err := w.file.Sync()
	w.fsyncs++
	if err != nil {
		return w.fail(err)
	}
	w.durable = w.written
	w.cond.Broadcast()
	return nil
}

// rotate closes the active segment, durable, and starts the next one.
func (w *WAL) rotate() error {
	w.quiesce()
	if err := w.flushAndSync(); err != nil {
		return err
	}
	if err := w.file.Close(); err != nil {
		return w.fail(err)
	}
	next := segmentID{gen: w.active.gen, seq: w.active.seq + 1}
	f, err := createSegment(w.dir, next)
	if err != nil {
		return w.fail(err)
	}
	w.active, w.file, w.segSize = next, f, 0
	w.buf.Reset(f)
	return nil
}

// Close makes every appended record durable and closes the log.
func (w *WAL) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	w.quiesce()
	var err error
	if w.err == nil {
		err = w.flushAndSync()
	}
	if cerr := w.file.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("wal: closing %s: %w", w.file.Name(), cerr)
	}
	w.closed = true
	w.cond.Broadcast()
	return err
}
