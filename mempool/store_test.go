package mempool

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/bftnode/bftnode/internal/ldb"
)

func openTestStore(t *testing.T, dir string) *store {
	t.Helper()
	s, err := openStore(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func logSize(t *testing.T, dir string) int64 {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		size += info.Size()
	}
	return size
}

// A log that is mostly transactions already gone is rewritten with the
// live ones, which a reopen then finds, in order, with the height.
func TestStoreRewritesAMostlyDeadLog(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	tx := make([]byte, 1024)
	var seq uint64
	for range 2 * rewriteMin / len(tx) {
		seq++
		if err := s.write(storeOp{kind: opPut, seq: seq, tx: tx},
			storeOp{kind: opDelete, seq: seq - 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.write(heightRecord(77)); err != nil {
		t.Fatal(err)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	if size := logSize(t, dir); size > rewriteMin {
		t.Errorf("log of %d bytes holding one live tx: never rewritten", size)
	}
	s = openTestStore(t, dir)
	defer s.close()
	txs, height := s.load()
	if len(txs) != 1 || txs[0].seq != seq || len(txs[0].tx) != len(tx) || height != 77 {
		t.Fatalf("after reopening: %d txs (last seq %d), height %d; want the tx of seq %d at height 77",
			len(txs), seq, height, seq)
	}
}

// An earlier version's goleveldb database in the directory is moved into
// the log and deleted.
func TestStoreImportsTheOldDatabase(t *testing.T) {
	dir := t.TempDir()
	db, err := leveldb.OpenFile(dir, ldb.Options())
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= 5; seq++ {
		k := binary.BigEndian.AppendUint64([]byte("t"), seq)
		if err := db.Put(k, []byte(fmt.Sprintf("k%d=v", seq)), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Put([]byte("h"), binary.BigEndian.AppendUint64(nil, 12), nil); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for range 2 { // the second open finds only the log
		s := openTestStore(t, dir)
		txs, height := s.load()
		if len(txs) != 5 || height != 12 {
			t.Fatalf("%d txs at height %d, want 5 at 12", len(txs), height)
		}
		for i, p := range txs {
			if want := fmt.Sprintf("k%d=v", i+1); p.seq != uint64(i+1) || string(p.tx) != want {
				t.Fatalf("tx %d: seq %d %q, want %d %q", i, p.seq, p.tx, i+1, want)
			}
		}
		if err := s.close(); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if filepath.Ext(e.Name()) != ".wal" {
				t.Errorf("left in the directory: %s", e.Name())
			}
		}
	}
}

// Damage in the middle of the log (not a torn last record) stops the
// mempool from opening, with the way out in the error.
func TestStoreRefusesADamagedLog(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	for seq := uint64(1); seq <= 10; seq++ {
		if err := s.write(storeOp{kind: opPut, seq: seq, tx: []byte("k=v"), durable: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.wal"))
	if len(files) != 1 {
		t.Fatalf("%d log segments, want 1", len(files))
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(files[0], data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = openStore(dir, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "move the directory aside") {
		t.Fatalf("opening a damaged log: %v", err)
	}
}
