package store

import (
	"errors"
	"fmt"

	"github.com/cometbft/cometbft/types"
	"github.com/syndtr/goleveldb/leveldb"

	"github.com/bftnode/bftnode/state"
)

// syncedKey records the height a node was bootstrapped at by state sync
// (8 bytes); absent on a node that executed its chain from genesis.
var syncedKey = []byte{0x05}

// Bootstrap stores s, the state after a snapshot's height restored by
// state sync, as the latest state, in one batch with fsync: the validator
// sets of its height and the next two, its consensus parameters, and that
// the app committed that height. Until this batch is written the node has
// no state and a restart begins state sync again. The store must hold no
// state yet beyond genesis.
func (ss *StateStore) Bootstrap(s state.State) error {
	h := s.LastBlockHeight
	if h < s.InitialHeight || s.LastValidators.IsNilOrEmpty() {
		return fmt.Errorf("bootstrapping the state store: a state of height %d with %d last validators cannot be a snapshot's", h, s.LastValidators.Size())
	}
	if cur, ok, err := ss.Load(); err != nil || (ok && cur.LastBlockHeight > 0) {
		return fmt.Errorf("bootstrapping the state store: it already holds the state of height %d (%v); state sync only runs on a node without one", cur.LastBlockHeight, err)
	}
	batch := new(leveldb.Batch)
	if err := putValidators(batch, h, h, s.LastValidators); err != nil {
		return err
	}
	if err := putValidators(batch, h+1, h+1, s.Validators); err != nil {
		return err
	}
	if err := putParams(batch, h, h, s.ConsensusParams); err != nil {
		return err
	}
	if err := putState(batch, s); err != nil {
		return err
	}
	batch.Put(appCommitKey, encodeHeight(h))
	batch.Put(commitSentKey, encodeHeight(h))
	batch.Put(syncedKey, encodeHeight(h))
	if err := ss.db.Write(batch, syncWrite); err != nil {
		return fmt.Errorf("bootstrapping the state store at height %d: %w", h, err)
	}
	return nil
}

// SyncedHeight is the height state sync bootstrapped the node at, 0 for a
// node that executed its chain from genesis.
func (ss *StateStore) SyncedHeight() (int64, error) {
	v, err := get(ss.db, syncedKey)
	if err != nil || v == nil {
		return 0, err
	}
	h, err := decodeHeight(v)
	if err != nil {
		return 0, fmt.Errorf("the stored state sync height is corrupted: %w; restore the data directory from a backup or run `bftnode unsafe-reset-all`", err)
	}
	return h, nil
}

// SaveSyncedCommit stores the commit of a snapshot's height as the seen
// commit of that height, without its block: the next block's LastCommit
// is made from it. The block store must be empty; its first block will be
// the one after the commit's height.
func (bs *BlockStore) SaveSyncedCommit(c *types.Commit) error {
	if c == nil || c.Height < 1 {
		return errors.New("saving the commit of a snapshot's height: it is missing")
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.height != 0 {
		return fmt.Errorf("saving the commit of a snapshot's height %d: the block store already holds blocks %d..%d", c.Height, bs.base, bs.height)
	}
	bz, err := c.ToProto().Marshal()
	if err != nil {
		return fmt.Errorf("saving the commit of height %d: %w", c.Height, err)
	}
	if err := bs.db.Put(heightKey(prefixSeenCommit, c.Height), bz, syncWrite); err != nil {
		return fmt.Errorf("saving the commit of height %d: %w", c.Height, err)
	}
	return nil
}
