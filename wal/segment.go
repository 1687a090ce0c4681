package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const (
	segmentSuffix = ".wal"
	tempSuffix    = ".tmp"
)

// segmentID orders segments: by generation, then sequence number.
type segmentID struct {
	gen uint64
	seq uint64
}

func (id segmentID) name() string { return fmt.Sprintf("%016x-%08x%s", id.gen, id.seq, segmentSuffix) }

// parseSegmentName reads a name segmentID.name produced.
func parseSegmentName(name string) (segmentID, bool) {
	base, ok := strings.CutSuffix(name, segmentSuffix)
	if !ok {
		return segmentID{}, false
	}
	genHex, seqHex, ok := strings.Cut(base, "-")
	if !ok || len(genHex) != 16 || len(seqHex) != 8 {
		return segmentID{}, false
	}
	gen, err1 := strconv.ParseUint(genHex, 16, 64)
	seq, err2 := strconv.ParseUint(seqHex, 16, 32)
	if err1 != nil || err2 != nil {
		return segmentID{}, false
	}
	return segmentID{gen, seq}, true
}

// dirListing is what a WAL directory holds.
type dirListing struct {
	segments []segmentID // sorted
	temps    []string    // names of temporary files
}

func listDir(dir string) (dirListing, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return dirListing{}, fmt.Errorf("wal: reading directory %s: %w", dir, err)
	}
	var l dirListing
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if strings.HasSuffix(e.Name(), tempSuffix) {
			l.temps = append(l.temps, e.Name())
		} else if id, ok := parseSegmentName(e.Name()); ok {
			l.segments = append(l.segments, id)
		}
	}
	sort.Slice(l.segments, func(i, j int) bool {
		a, b := l.segments[i], l.segments[j]
		return a.gen < b.gen || (a.gen == b.gen && a.seq < b.seq)
	})
	return l, nil
}

// syncDir makes the directory's entries (created, renamed, removed files)
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("wal: opening directory %s to sync it: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("wal: syncing directory %s: %w", dir, err)
	}
	return nil
}

// createSegment creates an empty segment for appending and makes its
// directory entry durable.
func createSegment(dir string, id segmentID) (*os.File, error) {
	path := filepath.Join(dir, id.name())
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("wal: creating segment %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// writeFileSync writes data to a new file and fsyncs it.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("wal: creating %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("wal: writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("wal: syncing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("wal: closing %s: %w", path, err)
	}
	return nil
}
