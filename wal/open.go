package wal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Report tells what Open found and repaired. A caller should log a cut tail
// as a warning: the records lost were never acknowledged as durable.
type Report struct {
	Segments int // segment files of the log
	Records  int // valid records kept

	// TornFile, TornOffset and BytesCut describe a torn tail that was cut
	// off (BytesCut is 0 if there was none); TornReason says what was wrong.
	TornFile   string
	TornOffset int64
	BytesCut   int64
	TornReason string

	// Removed lists leftovers of an interrupted Reset that were deleted:
	// temporary files and segments of older generations.
	Removed []string
}

// Cut reports whether a torn tail was cut off.
func (r Report) Cut() bool { return r.BytesCut > 0 }

func (r Report) String() string {
	s := fmt.Sprintf("%d records in %d segments", r.Records, r.Segments)
	if r.Cut() {
		s += fmt.Sprintf("; cut a torn tail of %d bytes at offset %d of %s (%s)", r.BytesCut, r.TornOffset, r.TornFile, r.TornReason)
	}
	if len(r.Removed) > 0 {
		s += fmt.Sprintf("; removed leftovers of an interrupted reset: %s", strings.Join(r.Removed, ", "))
	}
	return s
}

// CorruptionError means a record in the middle of the log is damaged: valid
// records follow it, so it is not a write torn by a crash. The node must not
// guess what the record said.
type CorruptionError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("wal: %s is corrupted at offset %d (%s) and is not a torn write at the end of the log; "+
		"restore the data directory from a backup, or discard the node's data with `bftnode unsafe-reset-all` and resync", e.File, e.Offset, e.Reason)
}

// Open opens the log in dir, creating the directory and an empty log if
// needed. It checks every record, cuts a torn tail off the last segment
// (reported, not an error), removes leftovers of an interrupted Reset and
// returns a *CorruptionError if a damaged record has valid records after it.
func Open(dir string, opts Options) (*WAL, Report, error) {
	opts = opts.withDefaults()
	var rep Report
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, rep, fmt.Errorf("wal: creating directory %s: %w", dir, err)
	}
	segments, err := cleanDir(dir, &rep)
	if err != nil {
		return nil, rep, err
	}
	w := &WAL{dir: dir, opts: opts}
	w.cond = sync.NewCond(&w.mu)
	if len(segments) == 0 {
		if w.file, err = createSegment(dir, segmentID{}); err != nil {
			return nil, rep, err
		}
		w.buf = bufio.NewWriterSize(w.file, opts.BufferSize)
		rep.Segments = 1
		return w, rep, nil
	}
	for i, id := range segments {
		n, err := checkSegment(dir, id, i == len(segments)-1, &rep)
		if err != nil {
			return nil, rep, err
		}
		rep.Records += n
	}
	rep.Segments = len(segments)
	w.active = segments[len(segments)-1]
	path := filepath.Join(dir, w.active.name())
	if w.file, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		return nil, rep, fmt.Errorf("wal: opening %s for appending: %w", path, err)
	}
	info, err := w.file.Stat()
	if err != nil {
		w.file.Close()
		return nil, rep, fmt.Errorf("wal: %w", err)
	}
	w.segSize = info.Size()
	w.buf = bufio.NewWriterSize(w.file, opts.BufferSize)
	return w, rep, nil
}

// cleanDir removes leftovers of an interrupted Reset and returns the
// segments of the newest generation, checked to be numbered 0, 1, 2, ...
func cleanDir(dir string, rep *Report) ([]segmentID, error) {
	l, err := listDir(dir)
	if err != nil {
		return nil, err
	}
	stale := l.temps
	var current []segmentID
	if len(l.segments) > 0 {
		newest := l.segments[len(l.segments)-1].gen
		for _, id := range l.segments {
			if id.gen == newest {
				current = append(current, id)
			} else {
				stale = append(stale, id.name())
			}
		}
	}
	for _, name := range stale {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			return nil, fmt.Errorf("wal: removing leftover %s of an interrupted reset: %w", name, err)
		}
		rep.Removed = append(rep.Removed, name)
	}
	if len(stale) > 0 {
		if err := syncDir(dir); err != nil {
			return nil, err
		}
	}
	for i, id := range current {
		if id.seq != uint64(i) {
			return nil, fmt.Errorf("wal: segment %s is missing from %s (found %s next); "+
				"restore the data directory from a backup or run `bftnode unsafe-reset-all`",
				segmentID{id.gen, uint64(i)}.name(), dir, id.name())
		}
	}
	return current, nil
}

// checkSegment reads every record of a segment and returns how many are
// valid. A bad record ends the log only in the last segment and only if no
// valid record follows it; then the segment is cut there.
func checkSegment(dir string, id segmentID, last bool, rep *Report) (int, error) {
	path := filepath.Join(dir, id.name())
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("wal: opening %s: %w", path, err)
	}
	defer f.Close()
	rr := newRecordReader(f)
	records := 0
	for {
		_, err := rr.next()
		if err == nil {
			records++
			continue
		}
		if err == io.EOF {
			return records, nil
		}
		var bad *badRecord
		if !errors.As(err, &bad) {
			return records, fmt.Errorf("wal: reading %s: %w", path, err)
		}
		if !last {
			return records, &CorruptionError{File: path, Offset: bad.offset, Reason: bad.reason + ", in a segment followed by others"}
		}
		return records, cutTornTail(path, bad, rep)
	}
}

// cutTornTail truncates the segment at path to bad.offset if no valid
// record follows the bad one; otherwise the log is corrupted.
func cutTornTail(path string, bad *badRecord, rep *Report) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("wal: opening %s to cut a torn tail: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	tail := make([]byte, info.Size()-bad.offset)
	if _, err := f.ReadAt(tail, bad.offset); err != nil {
		return fmt.Errorf("wal: reading the tail of %s: %w", path, err)
	}
	found, err := validRecordAfterStart(tail)
	if err != nil {
		return &CorruptionError{File: path, Offset: bad.offset, Reason: bad.reason + "; " + err.Error()}
	}
	if found {
		return &CorruptionError{File: path, Offset: bad.offset, Reason: bad.reason}
	}
	if err := f.Truncate(bad.offset); err != nil {
		return fmt.Errorf("wal: cutting the torn tail of %s at offset %d: %w", path, bad.offset, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("wal: syncing %s after cutting its torn tail: %w", path, err)
	}
	rep.TornFile, rep.TornOffset, rep.BytesCut, rep.TornReason = path, bad.offset, int64(len(tail)), bad.reason
	return nil
}
