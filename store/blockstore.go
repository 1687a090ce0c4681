package store

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	cmtstore "github.com/cometbft/cometbft/proto/tendermint/store"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
	"github.com/syndtr/goleveldb/leveldb"
)

// BlockStore keeps decided blocks, their metadata and commits by height.
// It holds the contiguous heights Base..Height. Its methods are safe for
// concurrent use; loads of heights it does not hold return (nil, nil).
type BlockStore struct {
	db *leveldb.DB

	mu           sync.RWMutex // guards base, height and serialises writes
	base, height int64
	pruneMu      sync.Mutex // one PruneBlocks at a time
}

// OpenBlockStore opens or creates the block store in dir.
func OpenBlockStore(dir string) (*BlockStore, error) {
	db, err := openDB(dir, "block store")
	if err != nil {
		return nil, err
	}
	bs := &BlockStore{db: db}
	if err := bs.loadRange(); err != nil {
		db.Close()
		return nil, err
	}
	return bs, nil
}

func (bs *BlockStore) loadRange() error {
	v, err := get(bs.db, blockRangeKey)
	if err != nil {
		return fmt.Errorf("reading the block store's range: %w", err)
	}
	if v == nil {
		return nil
	}
	var r cmtstore.BlockStoreState
	if err := r.Unmarshal(v); err != nil || r.Base < 0 || r.Height < r.Base || (r.Base == 0) != (r.Height == 0) {
		return fmt.Errorf("the block store's range record is corrupted (%v, base %d, height %d); restore the data directory from a backup or run `bftnode unsafe-reset-all`", err, r.Base, r.Height)
	}
	bs.base, bs.height = r.Base, r.Height
	return nil
}

// Close closes the database.
func (bs *BlockStore) Close() error { return bs.db.Close() }

// Base is the lowest height held, 0 if the store is empty.
func (bs *BlockStore) Base() int64 {
	bs.mu.RLock()
	defer bs.mu.RUnlock()
	return bs.base
}

// Height is the highest height held, 0 if the store is empty.
func (bs *BlockStore) Height() int64 {
	bs.mu.RLock()
	defer bs.mu.RUnlock()
	return bs.height
}

// SaveBlock stores a decided block with its parts' header, the canonical
// commit of the previous height (the block's LastCommit) and seenCommit,
// the commit that decided it here. Blocks must come in height order with no
// gaps; saving a block that is already stored is a no-op, while a different
// block at a stored height is refused. Everything is written in one batch
// with fsync.
func (bs *BlockStore) SaveBlock(block *types.Block, parts *types.PartSet, seenCommit *types.Commit) error {
	return bs.saveBlock(block, parts, seenCommit, nil)
}

// SaveBlockExtended is SaveBlock for a block decided here, whose seen
// commit is kept with its vote extensions (see LoadExtendedCommit) in the
// same synced batch: a restarted proposer hands them to PrepareProposal.
func (bs *BlockStore) SaveBlockExtended(block *types.Block, parts *types.PartSet, seen *types.ExtendedCommit) error {
	if seen == nil {
		return errors.New("saving a block: the extended seen commit is required")
	}
	return bs.saveBlock(block, parts, seen.ToCommit(), seen)
}

func (bs *BlockStore) saveBlock(block *types.Block, parts *types.PartSet, seenCommit *types.Commit, ext *types.ExtendedCommit) error {
	if block == nil || parts == nil || seenCommit == nil {
		return errors.New("saving a block: block, part set and seen commit are all required")
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	height := block.Height
	if bs.height > 0 && height >= bs.base && height <= bs.height {
		return bs.checkSame(block)
	}
	if err := checkSavable(block, parts, seenCommit, bs.height); err != nil {
		return fmt.Errorf("saving block %d: %w", height, err)
	}
	batch, err := blockBatch(block, parts, seenCommit)
	if err != nil {
		return fmt.Errorf("saving block %d: %w", height, err)
	}
	if ext != nil {
		extBytes, err := ext.ToProto().Marshal()
		if err != nil {
			return fmt.Errorf("saving block %d: extended commit: %w", height, err)
		}
		batch.Put(heightKey(prefixExtCommit, height), extBytes)
	}
	base := bs.base
	if base == 0 {
		base = height
	}
	putRange(batch, base, height)
	if err := bs.db.Write(batch, syncWrite); err != nil {
		return fmt.Errorf("saving block %d: %w", height, err)
	}
	bs.base, bs.height = base, height
	return nil
}

// checkSame accepts a block already stored at its height and refuses a
// different one: two decided blocks at one height would be a fork.
func (bs *BlockStore) checkSame(block *types.Block) error {
	meta, err := bs.loadMeta(block.Height)
	if err != nil {
		return err
	}
	if meta == nil || !bytes.Equal(meta.BlockID.Hash, block.Hash()) {
		return fmt.Errorf("saving block %d: a different block (%X) is already stored at that height; refusing a fork", block.Height, metaHash(meta))
	}
	return nil
}

func metaHash(m *types.BlockMeta) []byte {
	if m == nil {
		return nil
	}
	return m.BlockID.Hash
}

func checkSavable(block *types.Block, parts *types.PartSet, seen *types.Commit, storeHeight int64) error {
	switch {
	case block.Height < 1:
		return fmt.Errorf("height %d is below 1", block.Height)
	case storeHeight > 0 && block.Height != storeHeight+1:
		return fmt.Errorf("the store holds blocks up to %d and takes only the next height", storeHeight)
	case !parts.IsComplete():
		return errors.New("the part set is incomplete")
	case block.LastCommit == nil:
		return errors.New("the block has no last commit")
	case seen.Height != block.Height:
		return fmt.Errorf("the seen commit is for height %d", seen.Height)
	}
	id := types.BlockID{Hash: block.Hash(), PartSetHeader: parts.Header()}
	if !seen.BlockID.Equals(id) {
		return fmt.Errorf("the seen commit decides %v, not this block %v", seen.BlockID, id)
	}
	return nil
}

// blockBatch encodes every entry of one block.
func blockBatch(block *types.Block, parts *types.PartSet, seen *types.Commit) (*leveldb.Batch, error) {
	pb, err := block.ToProto()
	if err != nil {
		return nil, err
	}
	blockBytes, err := pb.Marshal()
	if err != nil {
		return nil, err
	}
	metaBytes, err := types.NewBlockMeta(block, parts).ToProto().Marshal()
	if err != nil {
		return nil, err
	}
	seenBytes, err := seen.ToProto().Marshal()
	if err != nil {
		return nil, err
	}
	h := block.Height
	// Sized up front: grown by doubling, the batch of a large block was
	// copied several times over.
	batch := leveldb.MakeBatch(len(blockBytes) + len(metaBytes) + 2*len(seenBytes) + 512)
	batch.Put(heightKey(prefixBlock, h), blockBytes)
	batch.Put(heightKey(prefixBlockMeta, h), metaBytes)
	batch.Put(hashKey(block.Hash()), encodeHeight(h))
	batch.Put(heightKey(prefixSeenCommit, h), seenBytes)
	// The first block's LastCommit is empty: there is no height 0 to commit.
	if len(block.LastCommit.Signatures) > 0 {
		lastBytes, err := block.LastCommit.ToProto().Marshal()
		if err != nil {
			return nil, err
		}
		batch.Put(heightKey(prefixCommit, h-1), lastBytes)
	}
	return batch, nil
}

func putRange(batch *leveldb.Batch, base, height int64) {
	r := cmtstore.BlockStoreState{Base: base, Height: height}
	bz, _ := r.Marshal() // two varints cannot fail to encode
	batch.Put(blockRangeKey, bz)
}

// LoadBlock returns the block at height, nil if it is not held.
func (bs *BlockStore) LoadBlock(height int64) (*types.Block, error) {
	v, err := get(bs.db, heightKey(prefixBlock, height))
	if err != nil || v == nil {
		return nil, err
	}
	var pb cmtproto.Block
	if err := pb.Unmarshal(v); err != nil {
		return nil, corrupted("block", height, err)
	}
	block, err := types.BlockFromProto(&pb)
	if err != nil {
		return nil, corrupted("block", height, err)
	}
	if block.Height != height {
		return nil, corrupted("block", height, fmt.Errorf("it says height %d", block.Height))
	}
	return block, nil
}

// LoadBlockByHash returns the block with the given hash, nil if not held.
func (bs *BlockStore) LoadBlockByHash(hash []byte) (*types.Block, error) {
	height, ok, err := bs.heightOf(hash)
	if err != nil || !ok {
		return nil, err
	}
	return bs.LoadBlock(height)
}

// LoadBlockMetaByHash returns the meta of the block with the given hash.
func (bs *BlockStore) LoadBlockMetaByHash(hash []byte) (*types.BlockMeta, error) {
	height, ok, err := bs.heightOf(hash)
	if err != nil || !ok {
		return nil, err
	}
	return bs.LoadBlockMeta(height)
}

func (bs *BlockStore) heightOf(hash []byte) (int64, bool, error) {
	v, err := get(bs.db, hashKey(hash))
	if err != nil || v == nil {
		return 0, false, err
	}
	height, err := decodeHeight(v)
	if err != nil {
		return 0, false, fmt.Errorf("the stored height of block %X is corrupted: %w; restore the data directory from a backup or run `bftnode unsafe-reset-all`", hash, err)
	}
	return height, true, nil
}

// LoadBlockMeta returns the meta of the block at height, nil if not held.
func (bs *BlockStore) LoadBlockMeta(height int64) (*types.BlockMeta, error) {
	return bs.loadMeta(height)
}

func (bs *BlockStore) loadMeta(height int64) (*types.BlockMeta, error) {
	v, err := get(bs.db, heightKey(prefixBlockMeta, height))
	if err != nil || v == nil {
		return nil, err
	}
	var pb cmtproto.BlockMeta
	if err := pb.Unmarshal(v); err != nil {
		return nil, corrupted("block meta", height, err)
	}
	meta, err := types.BlockMetaFromProto(&pb)
	if err != nil {
		return nil, corrupted("block meta", height, err)
	}
	if meta.Header.Height != height {
		return nil, corrupted("block meta", height, fmt.Errorf("it says height %d", meta.Header.Height))
	}
	return meta, nil
}

// LoadBlockCommit returns the canonical commit of height: the one carried
// by block height+1. It is nil until that block is stored; use
// LoadSeenCommit for the latest height.
func (bs *BlockStore) LoadBlockCommit(height int64) (*types.Commit, error) {
	return bs.loadCommit(prefixCommit, "commit", height)
}

// LoadSeenCommit returns the commit this node saw decide the block at
// height, nil if not held.
func (bs *BlockStore) LoadSeenCommit(height int64) (*types.Commit, error) {
	return bs.loadCommit(prefixSeenCommit, "seen commit", height)
}

func (bs *BlockStore) loadCommit(prefix byte, what string, height int64) (*types.Commit, error) {
	v, err := get(bs.db, heightKey(prefix, height))
	if err != nil || v == nil {
		return nil, err
	}
	var pb cmtproto.Commit
	if err := pb.Unmarshal(v); err != nil {
		return nil, corrupted(what, height, err)
	}
	commit, err := types.CommitFromProto(&pb)
	if err != nil {
		return nil, corrupted(what, height, err)
	}
	if commit.Height != height {
		return nil, corrupted(what, height, fmt.Errorf("it says height %d", commit.Height))
	}
	return commit, nil
}
