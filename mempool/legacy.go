package mempool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/bftnode/bftnode/internal/ldb"
)

// Earlier versions kept the mempool in a goleveldb database in the same
// directory: "t" + 8-byte sequence -> transaction, "h" -> 8-byte height.
var (
	legacyTxPrefix  = []byte("t")
	legacyHeightKey = []byte("h")
)

// importLevelDB moves the transactions of an earlier version's database in
// s.dir into the log, then deletes the database. The log is rewritten (and
// synced) before the database goes, and the database counts as gone once
// its CURRENT file is: a crash in between imports it again, over the same
// records.
func (s *store) importLevelDB() error {
	current := filepath.Join(s.dir, "CURRENT")
	if _, err := os.Stat(current); errors.Is(err, os.ErrNotExist) {
		return removeLevelDBFiles(s.dir)
	}
	txs, height, err := s.readLevelDB()
	if err != nil {
		return err
	}
	for _, p := range txs {
		s.put(p.seq, p.tx)
	}
	s.height = max(s.height, height)
	if err := s.rewrite(); err != nil {
		return fmt.Errorf("move the mempool's database in %s into its log: %w", s.dir, err)
	}
	if err := os.Remove(current); err != nil {
		return fmt.Errorf("remove the mempool's old database in %s: %w", s.dir, err)
	}
	s.logger.Info("moved the mempool's transactions from its old database into its log",
		"dir", s.dir, "txs", len(txs), "height", height)
	return removeLevelDBFiles(s.dir)
}

func (s *store) readLevelDB() ([]persistedTx, int64, error) {
	dir := s.dir
	db, err := leveldb.OpenFile(dir, ldb.Options())
	if lerrors.IsCorrupted(err) {
		s.logger.Warn("the mempool's old database is damaged; recovering what it holds", "dir", dir, "err", err)
		db, err = leveldb.RecoverFile(dir, ldb.Options())
	}
	if err != nil {
		return nil, 0, fmt.Errorf("open the mempool's old database in %s: %w", dir, err)
	}
	defer db.Close()
	var height int64
	if v, err := db.Get(legacyHeightKey, nil); err == nil && len(v) == 8 {
		height = int64(binary.BigEndian.Uint64(v))
	}
	var txs []persistedTx
	it := db.NewIterator(util.BytesPrefix(legacyTxPrefix), nil)
	defer it.Release()
	for it.Next() {
		if k := it.Key(); len(k) == len(legacyTxPrefix)+8 {
			txs = append(txs, persistedTx{seq: binary.BigEndian.Uint64(k[len(legacyTxPrefix):]),
				tx: append([]byte(nil), it.Value()...)})
		}
	}
	if err := it.Error(); err != nil {
		return nil, 0, fmt.Errorf("read the mempool's old database in %s: %w", dir, err)
	}
	return txs, height, nil
}

// removeLevelDBFiles deletes what a goleveldb database leaves in dir
// besides CURRENT (the log's own files end in .wal or .tmp).
func removeLevelDBFiles(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if n == "LOCK" || n == "LOG" || n == "LOG.old" || strings.HasPrefix(n, "CURRENT.") || strings.HasPrefix(n, "MANIFEST-") ||
			strings.HasSuffix(n, ".ldb") || strings.HasSuffix(n, ".log") || strings.HasSuffix(n, ".sst") {
			if err := os.Remove(filepath.Join(dir, n)); err != nil {
				return fmt.Errorf("remove the mempool's old database file %s: %w", n, err)
			}
		}
	}
	return nil
}
