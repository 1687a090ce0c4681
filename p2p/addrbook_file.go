package p2p

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// maxBookFileBytes bounds the address book file read at start: a full
// book is far smaller.
const maxBookFileBytes = 16 << 20

// bookFile is config/addrbook.json. Its entries have the fields of
// CometBFT's address book entries that bftnode uses (addr, src, attempts,
// last_attempt, last_success, and bucket_type: 2 for an address that
// connected before, 1 otherwise); other fields are ignored when read.
type bookFile struct {
	Addrs []bookFileEntry `json:"addrs"`
}

type bookFileEntry struct {
	Addr        bookFileAddr `json:"addr"`
	Src         bookFileAddr `json:"src"`
	Attempts    int32        `json:"attempts"`
	LastAttempt time.Time    `json:"last_attempt"`
	LastSuccess time.Time    `json:"last_success"`
	BucketType  byte         `json:"bucket_type"`
}

type bookFileAddr struct {
	ID   ID     `json:"id"`
	IP   string `json:"ip"`
	Port uint32 `json:"port"`
}

// load reads the book's file. A missing file is an empty book. Entries
// that are malformed or no longer acceptable (an unroutable address with
// addr_book_strict on, the node's own) are skipped and counted. A file
// that is not an address book at all is reported; the node starts with an
// empty book then, and the next save replaces the file.
func (b *addrBook) load(path string) (loaded, skipped int, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("reading the address book %s: %w", path, err)
	}
	defer f.Close()
	var file bookFile
	dec := json.NewDecoder(&limitedReader{r: f, n: maxBookFileBytes})
	if err := dec.Decode(&file); err != nil {
		return 0, 0, fmt.Errorf("the address book %s is not valid JSON (%v); starting with an empty book, the file is rewritten at the next save", path, err)
	}
	for _, fe := range file.Addrs {
		added, err := b.add(fe.Addr.ID, fe.Addr.IP, fe.Addr.Port, fe.Src.ID)
		if err != nil || !added || fe.Attempts < 0 {
			skipped++
			continue
		}
		b.mu.Lock()
		e := b.entries[fe.Addr.ID]
		e.attempts = int(fe.Attempts)
		e.lastAttempt, e.lastSuccess = fe.LastAttempt, fe.LastSuccess
		b.mu.Unlock()
		loaded++
	}
	b.mu.Lock()
	b.dirty = skipped > 0
	b.mu.Unlock()
	return loaded, skipped, nil
}

// save writes the book to path if it changed since the last save:
// to a temporary file in the same directory, synced, then renamed over
// the old one, so a crash leaves either the old book or the new one.
func (b *addrBook) save(path string) error {
	b.mu.Lock()
	if !b.dirty {
		b.mu.Unlock()
		return nil
	}
	file := bookFile{Addrs: make([]bookFileEntry, 0, len(b.entries))}
	all := make([]*bookEntry, 0, len(b.entries))
	for _, e := range b.entries {
		all = append(all, e)
	}
	sortByID(all)
	for _, e := range all {
		bucket := byte(1)
		if !e.lastSuccess.IsZero() {
			bucket = 2
		}
		src := b.entries[e.src]
		srcAddr := bookFileAddr{ID: e.src}
		if src != nil {
			srcAddr.IP, srcAddr.Port = src.addr.Addr().String(), uint32(src.addr.Port())
		}
		file.Addrs = append(file.Addrs, bookFileEntry{
			Addr: bookFileAddr{ID: e.id, IP: e.addr.Addr().String(), Port: uint32(e.addr.Port())},
			Src:  srcAddr, Attempts: int32(e.attempts), LastAttempt: e.lastAttempt, LastSuccess: e.lastSuccess,
			BucketType: bucket,
		})
	}
	b.dirty = false
	b.mu.Unlock()
	if err := writeFileAtomic(path, file); err != nil {
		b.mu.Lock()
		b.dirty = true
		b.mu.Unlock()
		return err
	}
	return nil
}

func writeFileAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the address book: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("saving the address book: %w", err)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("saving the address book: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("saving the address book to %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("saving the address book to %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving the address book to %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving the address book to %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the rename itself survives a crash
		d.Close()
	}
	return nil
}

// limitedReader fails a read beyond n bytes instead of ending quietly as
// io.LimitReader does, so a huge file is reported rather than cut off.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, fmt.Errorf("larger than %d bytes", maxBookFileBytes)
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
