package store

import (
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/bftnode/bftnode/internal/ldb"
)

// ErrNotFound is wrapped by the state store's errors for heights it holds
// nothing for (never stored, or before the chain started).
var ErrNotFound = errors.New("not found")

// syncWrite makes a batch durable before the write returns.
var syncWrite = &opt.WriteOptions{Sync: true}

// openDB opens or creates the goleveldb database in dir.
func openDB(dir, what string) (*leveldb.DB, error) {
	db, err := leveldb.OpenFile(dir, ldb.Options())
	if lerrors.IsCorrupted(err) {
		return nil, fmt.Errorf("the %s database in %s is corrupted: %w; restore the data directory from a backup, or discard it with `bftnode unsafe-reset-all` and resync", what, dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("opening the %s database in %s: %w (is another bftnode using it?)", what, dir, err)
	}
	return db, nil
}

// get returns the value at key, nil if there is none.
func get(db *leveldb.DB, key []byte) ([]byte, error) {
	v, err := db.Get(key, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	return v, err
}

// corrupted describes an entry that exists but cannot be decoded.
func corrupted(what string, height int64, err error) error {
	return fmt.Errorf("the stored %s of height %d is corrupted: %w; restore the data directory from a backup, or discard it with `bftnode unsafe-reset-all` and resync", what, height, err)
}
