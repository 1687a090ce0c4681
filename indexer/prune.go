package indexer

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// defaultPruneBatchKeys bounds one pruning batch: Index waits for a batch
// to be written, so a batch must stay short next to a block's indexing.
const defaultPruneBatchKeys = 4096

// Base is the lowest height the indexes answer for: every entry below it
// is pruned or being pruned. 0 when nothing was ever pruned.
func (x *Indexer) Base() int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.base
}

// PruneBelow deletes every entry of the heights below height: transaction
// records, their hash keys and attribute postings, block records and their
// postings. It returns how many transactions and blocks it deleted.
//
// The first batch records height as the lowest kept height, and searches
// and GetTx ignore everything below it from then on, so no one ever sees
// a height half pruned. The entries go in batches of about
// defaultPruneBatchKeys keys, each deleting the attribute postings and hash
// key of an item together with its record: the postings are recomputed
// from the record with the code that wrote them, so no batch scans the
// indexes, and a record left by a crash still names everything to delete.
// A later call (with any height) first finishes what an interrupted one
// left. A height above the last indexed one is lowered to it plus one:
// heights not indexed yet are indexed when they come. Between batches ctx
// is checked and Index may run.
func (x *Indexer) PruneBelow(ctx context.Context, height int64) (int, error) {
	return x.pruneBelow(ctx, height, -1)
}

// pruneBelow is PruneBelow stopping after maxBatches batches (-1: none),
// which is what a crash between batches leaves.
func (x *Indexer) pruneBelow(ctx context.Context, height int64, maxBatches int) (int, error) {
	pruned := 0
	for b := 0; maxBatches < 0 || b < maxBatches; b++ {
		if err := ctx.Err(); err != nil {
			return pruned, fmt.Errorf("pruning the indexes stopped: %w", err)
		}
		n, done, err := x.pruneBatch(height)
		pruned += n
		if err != nil || done {
			return pruned, err
		}
	}
	return pruned, nil
}

// pruneBatch writes one batch of PruneBelow and tells whether nothing is
// left below the lowest kept height.
func (x *Indexer) pruneBatch(height int64) (int, bool, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	p := &pruner{db: x.db, batch: new(leveldb.Batch), budget: x.pruneBatchKeys, deleted: map[string]bool{}}
	base := max(x.base, min(height, x.last+1))
	if base > x.base {
		p.batch.Put(baseKey, blockID(base))
	}
	txsDone, err := p.sweep(prefixTx, x.swept, base, p.deleteTx)
	if err != nil {
		return 0, false, fmt.Errorf("pruning the transaction index below height %d: %w", base, err)
	}
	blocksDone := false
	if txsDone {
		if blocksDone, err = p.sweep(prefixBlock, x.swept, base, p.deleteBlock); err != nil {
			return 0, false, fmt.Errorf("pruning the block index below height %d: %w", base, err)
		}
	}
	if p.batch.Len() > 0 {
		if err := x.db.Write(p.batch, nil); err != nil {
			return 0, false, fmt.Errorf("writing a pruning batch of the indexes below height %d: %w", base, err)
		}
	}
	x.base = base
	if txsDone && blocksDone {
		x.swept = base
	}
	return p.items, txsDone && blocksDone, nil
}

// pruner gathers one batch of deletions.
type pruner struct {
	db      *leveldb.DB
	batch   *leveldb.Batch
	budget  int             // deletions left in this batch
	deleted map[string]bool // keys already in the batch: a block's items share posting lists
	items   int
}

// sweep deletes the records under prefix from height from up to base,
// lowest first, until the batch is full; it tells whether none is left.
// Starting at from, below which all is deleted, skips the deletion records
// goleveldb keeps until it compacts: an iterator steps over every one.
func (p *pruner) sweep(prefix byte, from, base int64, del func(key, value []byte) error) (bool, error) {
	it := p.db.NewIterator(&util.Range{Start: primaryKey(prefix, blockID(from)), Limit: primaryKey(prefix, blockID(base))}, nil)
	defer it.Release()
	for it.Next() {
		if p.budget <= 0 {
			return false, nil
		}
		if err := del(it.Key(), it.Value()); err != nil {
			return false, err
		}
		p.items++
	}
	return true, iteratorErr(it)
}

func iteratorErr(it iterator.Iterator) error {
	if err := it.Error(); err != nil {
		return fmt.Errorf("reading the index: %w", err)
	}
	return nil
}

// remove adds key to the batch's deletions once.
func (p *pruner) remove(key []byte) {
	if p.deleted[string(key)] {
		return
	}
	p.deleted[string(key)] = true
	p.batch.Delete(key)
	p.budget--
}

// deleteTx deletes a transaction record, its hash key if the hash still
// names this execution, and the posting lists its events are in.
func (p *pruner) deleteTx(key, value []byte) error {
	id, err := primaryID(key, 1, txSpace.idLen)
	if err != nil {
		return err
	}
	var rec abci.TxResult
	if err := rec.Unmarshal(value); err != nil {
		return fmt.Errorf("decoding transaction %d/%d: %w; delete the indexer's directory and restart to rebuild it", readHeight(id), readIndex(id), err)
	}
	hashKey := append([]byte{prefixTxHash}, types.Tx(rec.Tx).Hash()...)
	named, err := p.db.Get(hashKey, nil)
	switch {
	case err == nil && bytes.Equal(named, id):
		p.remove(hashKey)
	case err != nil && !errors.Is(err, leveldb.ErrNotFound):
		return fmt.Errorf("reading the hash of transaction %d/%d: %w", readHeight(id), readIndex(id), err)
	}
	post := newPostings(txSpace)
	post.add(readIndex(id), rec.Result.Events)
	p.removePostings(post, readHeight(id))
	p.remove(key)
	return nil
}

// deleteBlock deletes a block record and the posting lists of its events.
func (p *pruner) deleteBlock(key, value []byte) error {
	id, err := primaryID(key, 1, blockSpace.idLen)
	if err != nil {
		return err
	}
	var resp abci.ResponseFinalizeBlock
	if err := resp.Unmarshal(value); err != nil {
		return fmt.Errorf("decoding block %d: %w; delete the indexer's directory and restart to rebuild it", readHeight(id), err)
	}
	post := newPostings(blockSpace)
	post.add(0, resp.Events)
	p.removePostings(post, readHeight(id))
	p.remove(key)
	return nil
}

// removePostings deletes the posting lists post would write at height.
func (p *pruner) removePostings(post *postings, height int64) {
	for _, prefix := range post.order {
		p.remove(appendHeight([]byte(prefix), height))
	}
}
