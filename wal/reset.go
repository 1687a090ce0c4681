package wal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bftnode/bftnode/internal/failpoint"
)

// crashAt, when set by a test, is asked at each step of Reset whether to
// stop there as if the process had died, leaving the files as they are.
var crashAt func(step string) bool

var errSimulatedCrash = errors.New("wal: simulated crash")

func crashed(step string) bool {
	failpoint.Hit("wal/reset/" + step)
	return crashAt != nil && crashAt(step)
}

// Reset starts the log over with first and then rest as its only records,
// all durable when Reset returns: a crash leaves either the old log or all
// of the new records, never the first without the rest. Records appended before are made durable first (callers
// waiting in AppendSync get what they asked for) and then discarded with the
// old generation. A crash at any point leaves either the old log or the new
// one: the new segment is written and fsynced under a temporary name and
// becomes the log by one rename, made durable by fsyncing the directory.
func (w *WAL) Reset(first []byte, rest ...[]byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	if err := checkPayload(first); err != nil {
		return err
	}
	data := encodeRecord(first)
	for _, rec := range rest {
		if err := checkPayload(rec); err != nil {
			return err
		}
		data = append(data, encodeRecord(rec)...)
	}
	w.quiesce()
	if err := w.flushAndSync(); err != nil {
		return err
	}
	next := segmentID{gen: w.active.gen + 1}
	final := filepath.Join(w.dir, next.name())
	temp := final + tempSuffix
	if err := writeFileSync(temp, data); err != nil {
		os.Remove(temp)
		return err // the old log is intact and still in use
	}
	if crashed("temp written") {
		return w.fail(errSimulatedCrash)
	}
	if err := os.Rename(temp, final); err != nil {
		os.Remove(temp)
		return fmt.Errorf("wal: renaming %s into place: %w", temp, err)
	}
	if crashed("renamed") {
		return w.fail(errSimulatedCrash)
	}
	// From here a failure leaves it open which log a restart finds, so the
	// log stops taking records until then.
	if err := syncDir(w.dir); err != nil {
		return w.fail(err)
	}
	if crashed("directory synced") {
		return w.fail(errSimulatedCrash)
	}
	old := w.active
	if err := w.file.Close(); err != nil {
		return w.fail(err)
	}
	f, err := os.OpenFile(final, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return w.fail(fmt.Errorf("opening %s: %w", final, err))
	}
	w.active, w.file, w.segSize = next, f, int64(len(data))
	w.buf.Reset(f)
	w.appends += uint64(1 + len(rest))
	w.written += uint64(w.segSize)
	w.durable = w.written
	return w.removeGeneration(old)
}

// removeGeneration deletes the segments of old's generation, newest first.
// A segment left behind is harmless: Open removes older generations.
func (w *WAL) removeGeneration(old segmentID) error {
	for seq := old.seq; ; seq-- {
		id := segmentID{gen: old.gen, seq: seq}
		if err := os.Remove(filepath.Join(w.dir, id.name())); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("wal: the log was reset, but removing the old segment %s failed (it is removed at the next start): %w", id.name(), err)
		}
		if crashed("old segment removed") {
			return w.fail(errSimulatedCrash)
		}
		if seq == 0 {
			break
		}
	}
	return syncDir(w.dir)
}
