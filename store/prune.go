package store

import (
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
)

// pruneChunk is how many heights one pruning batch deletes, so a large
// prune neither builds a huge batch nor holds up SaveBlock for long.
var pruneChunk int64 = 1000

// PruneBlocks deletes every block below retainHeight with its meta, hash
// entry and commits, and returns how many blocks it deleted. retainHeight
// must be at least 1 and at most Height: the latest block is always kept.
// Each chunk of heights is deleted in one synced batch that also raises
// Base, so a crash mid-way leaves a consistent, partly pruned store.
func (bs *BlockStore) PruneBlocks(retainHeight int64) (uint64, error) {
	bs.pruneMu.Lock()
	defer bs.pruneMu.Unlock()
	if retainHeight <= 0 {
		return 0, fmt.Errorf("pruning blocks: retain height %d must be at least 1", retainHeight)
	}
	if h := bs.Height(); retainHeight > h {
		return 0, fmt.Errorf("pruning blocks: retain height %d is above the latest stored height %d", retainHeight, h)
	}
	var pruned uint64
	for from := bs.Base(); from < retainHeight; {
		to := min(from+pruneChunk, retainHeight)
		batch, err := bs.deletions(from, to)
		if err != nil {
			return pruned, err
		}
		if err := bs.writePruned(batch, to); err != nil {
			return pruned, err
		}
		pruned += uint64(to - from)
		from = to
	}
	return pruned, nil
}

// deletions deletes the entries of heights from..to-1.
func (bs *BlockStore) deletions(from, to int64) (*leveldb.Batch, error) {
	batch := new(leveldb.Batch)
	for h := from; h < to; h++ {
		meta, err := bs.loadMeta(h)
		if err != nil {
			return nil, fmt.Errorf("pruning blocks: %w", err)
		}
		if meta != nil {
			batch.Delete(hashKey(meta.BlockID.Hash))
		}
		for _, p := range []byte{prefixBlock, prefixBlockMeta, prefixCommit, prefixSeenCommit, prefixExtCommit} {
			batch.Delete(heightKey(p, h))
		}
	}
	return batch, nil
}

// writePruned writes a pruning batch together with the raised base.
func (bs *BlockStore) writePruned(batch *leveldb.Batch, newBase int64) error {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	putRange(batch, newBase, bs.height)
	if err := bs.db.Write(batch, syncWrite); err != nil {
		return fmt.Errorf("pruning blocks below %d: %w", newBase, err)
	}
	bs.base = newBase
	return nil
}
