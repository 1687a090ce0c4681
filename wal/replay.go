package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Replay calls fn with every record since the last Reset, oldest first,
// including records appended but not yet synced. fn gets a slice of its own
// and may keep it. If fn returns an error, Replay stops and returns it.
// Records appended while Replay runs (fn may append) are not replayed.
// A record damaged since Open gives a *CorruptionError.
func (w *WAL) Replay(fn func(rec []byte) error) error {
	w.mu.Lock()
	if err := w.usable(); err != nil {
		w.mu.Unlock()
		return err
	}
	if err := w.buf.Flush(); err != nil {
		err = w.fail(err)
		w.mu.Unlock()
		return err
	}
	active, activeSize := w.active, w.segSize
	w.mu.Unlock()

	for seq := uint64(0); seq <= active.seq; seq++ {
		id := segmentID{gen: active.gen, seq: seq}
		limit := int64(-1)
		if seq == active.seq {
			limit = activeSize
		}
		if err := replaySegment(filepath.Join(w.dir, id.name()), limit, fn); err != nil {
			return err
		}
	}
	return nil
}

// replaySegment replays the records of one segment, reading no further
// than limit bytes unless limit is negative.
func replaySegment(path string, limit int64, fn func([]byte) error) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("wal: segment %s disappeared during replay: the log was reset meanwhile", path)
	}
	if err != nil {
		return fmt.Errorf("wal: opening %s: %w", path, err)
	}
	defer f.Close()
	var r io.Reader = f
	if limit >= 0 {
		r = io.LimitReader(f, limit)
	}
	rr := newRecordReader(r)
	for {
		rec, err := rr.next()
		if err == io.EOF {
			return nil
		}
		var bad *badRecord
		if errors.As(err, &bad) {
			return &CorruptionError{File: path, Offset: bad.offset, Reason: bad.reason + ", found during replay"}
		}
		if err != nil {
			return fmt.Errorf("wal: reading %s: %w", path, err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}
