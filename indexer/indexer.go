package indexer

import (
	"errors"
	"fmt"
	"os"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"
	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/bftnode/bftnode/internal/ldb"
)

// Indexer holds the transaction and block indexes of one node. Its methods
// are safe for concurrent use: searches read a snapshot, so a block indexed
// meanwhile never shows half-way.
type Indexer struct {
	db *leveldb.DB
	// Rebuilt is set when Open found the indexes in another layout and
	// dropped them; Recover indexes again what the stores still hold.
	Rebuilt bool

	mu   sync.Mutex // serialises Index
	last int64      // last indexed height, guarded by mu
	base int64      // lowest height searches see (baseKey), guarded by mu
	// swept is a height below which this process deleted every entry
	// (0 until its first complete prune), guarded by mu.
	swept int64
	batch leveldb.Batch
	txs   *postings // the transaction postings of the block being indexed

	// pruneBatchKeys bounds the deletions of one pruning batch.
	pruneBatchKeys int
}

// Open opens or creates the indexes in dir. Writes are not synced (the
// node indexes again, from its stores, whatever a crash lost), so after a
// crash of the machine the database may be damaged: what leveldb can
// recover is kept and Recover fills the rest in. Indexes written in
// another layout are dropped (see Rebuilt).
func Open(dir string) (*Indexer, error) {
	db, err := openDB(dir)
	if err != nil {
		return nil, err
	}
	x := &Indexer{db: db, txs: newPostings(txSpace), pruneBatchKeys: defaultPruneBatchKeys}
	if x.Rebuilt, err = layoutDiffers(db); err == nil && x.Rebuilt {
		db.Close()
		if err = os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("dropping the tx and block indexes in %s, written in an older layout: %w", dir, err)
		}
		if x.db, err = openDB(dir); err != nil {
			return nil, err
		}
	}
	if err == nil {
		err = x.db.Put(layoutKey, []byte{layoutVersion}, nil)
	}
	if err == nil {
		x.last, err = readHeightRecord(x.db, lastHeightKey, "last indexed height")
	}
	if err == nil {
		x.base, err = readHeightRecord(x.db, baseKey, "lowest kept height")
	}
	if err != nil {
		x.db.Close()
		return nil, err
	}
	return x, nil
}

func openDB(dir string) (*leveldb.DB, error) {
	db, err := leveldb.OpenFile(dir, ldb.ScatteredOptions())
	if lerrors.IsCorrupted(err) {
		db, err = leveldb.RecoverFile(dir, ldb.ScatteredOptions())
	}
	if err != nil {
		return nil, fmt.Errorf("opening the tx and block indexes in %s: %w; if the directory is corrupted, delete it and restart to rebuild the indexes", dir, err)
	}
	return db, nil
}

// layoutDiffers tells whether db holds indexes written in a layout other
// than this package's.
func layoutDiffers(db *leveldb.DB) (bool, error) {
	v, err := db.Get(layoutKey, nil)
	switch {
	case err == nil:
		return len(v) != 1 || v[0] != layoutVersion, nil
	case !errors.Is(err, leveldb.ErrNotFound):
		return false, fmt.Errorf("reading the index layout version: %w", err)
	}
	// No version: either new, or from before versions were recorded.
	_, err = db.Get(lastHeightKey, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// heightReader is what a height record is read from: the database or a
// snapshot of it.
type heightReader interface {
	Get(key []byte, ro *opt.ReadOptions) ([]byte, error)
}

// readHeightRecord reads the height stored under key, 0 if there is none;
// what names it in errors.
func readHeightRecord(db heightReader, key []byte, what string) (int64, error) {
	v, err := db.Get(key, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading the %s: %w", what, err)
	}
	if len(v) != heightLen {
		return 0, fmt.Errorf("the %s record has %d bytes instead of %d: %w", what, len(v), heightLen, errShortKey)
	}
	return readHeight(v), nil
}

// Close closes the database.
func (x *Indexer) Close() error { return x.db.Close() }

// LastHeight is the highest height indexed, 0 if none.
func (x *Indexer) LastHeight() int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.last
}

// Index indexes the block at height: its transactions txs with their
// results resp.TxResults, and the block's FinalizeBlock events. Heights at
// or below LastHeight are already indexed and are skipped. Everything is
// written in one batch, not synced: see Open.
func (x *Indexer) Index(height int64, txs types.Txs, resp *abci.ResponseFinalizeBlock) error {
	if resp == nil {
		return fmt.Errorf("indexing block %d: the FinalizeBlock response is missing", height)
	}
	if len(resp.TxResults) != len(txs) {
		return fmt.Errorf("indexing block %d: %d transactions but %d results in the FinalizeBlock response", height, len(txs), len(resp.TxResults))
	}
	if height < 1 {
		return fmt.Errorf("indexing block %d: heights start at 1", height)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if height <= x.last {
		return nil
	}
	// One batch, reused: Index runs one at a time and the database copies
	// what it writes.
	batch := &x.batch
	batch.Reset()
	if err := x.putTxs(batch, height, txs, resp.TxResults); err != nil {
		return fmt.Errorf("indexing the transactions of block %d: %w", height, err)
	}
	if err := putBlock(batch, height, resp.Events); err != nil {
		return fmt.Errorf("indexing block %d: %w", height, err)
	}
	batch.Put(lastHeightKey, blockID(height))
	if err := x.db.Write(batch, nil); err != nil {
		return fmt.Errorf("writing the index of block %d: %w", height, err)
	}
	x.last = height
	return nil
}

// BlockSource is what recovery reads blocks from (store.BlockStore).
type BlockSource interface {
	Base() int64
	Height() int64
	LoadBlock(height int64) (*types.Block, error)
}

// ResultSource is what recovery reads FinalizeBlock responses from
// (store.StateStore).
type ResultSource interface {
	LastFinalizedHeight() (int64, error)
	LoadFinalizeBlockResponse(height int64) (*abci.ResponseFinalizeBlock, error)
}

// Recover indexes the heights that blocks and results hold above the last
// indexed height, up to the last executed one, and returns how many it
// indexed. Heights pruned from the block store before they were indexed
// stay unindexed.
func (x *Indexer) Recover(blocks BlockSource, results ResultSource) (int, error) {
	executed, err := results.LastFinalizedHeight()
	if err != nil {
		return 0, fmt.Errorf("recovering the indexes: %w", err)
	}
	from, to := max(x.LastHeight()+1, blocks.Base()), min(blocks.Height(), executed)
	n := 0
	for h := from; h <= to && h > 0; h++ {
		block, err := blocks.LoadBlock(h)
		if err != nil {
			return n, fmt.Errorf("recovering the indexes at height %d: %w", h, err)
		}
		if block == nil {
			return n, fmt.Errorf("recovering the indexes at height %d: the block store holds %d..%d but not this block", h, blocks.Base(), blocks.Height())
		}
		resp, err := results.LoadFinalizeBlockResponse(h)
		if err != nil {
			return n, fmt.Errorf("recovering the indexes at height %d: %w", h, err)
		}
		if err := x.Index(h, block.Txs, resp); err != nil {
			return n, fmt.Errorf("recovering the indexes: %w", err)
		}
		n++
	}
	return n, nil
}
