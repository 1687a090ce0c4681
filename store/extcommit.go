package store

import (
	"errors"
	"fmt"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
	"github.com/syndtr/goleveldb/leveldb"
)

// UpdateSeenCommit replaces the seen commit of a stored height with the
// commit of ec and keeps ec itself, vote extensions included. The engine
// calls it as precommits that arrived after the decision join the commit
// the next block will carry, so a restarted proposer still has them.
//
// The write is not synced: losing the latest votes in a machine crash
// costs the next block some signatures, never safety, and a sync per late
// vote would put an fsync on the hot path.
func (bs *BlockStore) UpdateSeenCommit(ec *types.ExtendedCommit) error {
	if ec == nil {
		return errors.New("updating a seen commit: nil extended commit")
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if ec.Height < bs.base || ec.Height > bs.height {
		return fmt.Errorf("updating the seen commit of height %d: the store holds heights %d..%d; store the block first", ec.Height, bs.base, bs.height)
	}
	meta, err := bs.loadMeta(ec.Height)
	if err != nil {
		return err
	}
	if meta == nil || !meta.BlockID.Equals(ec.BlockID) {
		return fmt.Errorf("updating the seen commit of height %d: it commits %v, the stored block is %v", ec.Height, ec.BlockID, metaHash(meta))
	}
	seenBytes, err := ec.ToCommit().ToProto().Marshal()
	if err != nil {
		return fmt.Errorf("updating the seen commit of height %d: %w", ec.Height, err)
	}
	extBytes, err := ec.ToProto().Marshal()
	if err != nil {
		return fmt.Errorf("updating the extended commit of height %d: %w", ec.Height, err)
	}
	batch := new(leveldb.Batch)
	batch.Put(heightKey(prefixSeenCommit, ec.Height), seenBytes)
	batch.Put(heightKey(prefixExtCommit, ec.Height), extBytes)
	if err := bs.db.Write(batch, nil); err != nil {
		return fmt.Errorf("updating the seen commit of height %d: %w", ec.Height, err)
	}
	return nil
}

// LoadExtendedCommit returns the extended commit UpdateSeenCommit kept for
// height, nil if none was kept.
func (bs *BlockStore) LoadExtendedCommit(height int64) (*types.ExtendedCommit, error) {
	v, err := get(bs.db, heightKey(prefixExtCommit, height))
	if err != nil || v == nil {
		return nil, err
	}
	var pb cmtproto.ExtendedCommit
	if err := pb.Unmarshal(v); err != nil {
		return nil, corrupted("extended commit", height, err)
	}
	ec, err := types.ExtendedCommitFromProto(&pb)
	if err != nil {
		return nil, corrupted("extended commit", height, err)
	}
	if ec.Height != height {
		return nil, corrupted("extended commit", height, fmt.Errorf("it says height %d", ec.Height))
	}
	return ec, nil
}
