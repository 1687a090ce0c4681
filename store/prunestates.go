package store

import (
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// PruneStates deletes the FinalizeBlock responses, validator sets and
// consensus params of heights below retainHeight, keeping the entries the
// heights from retainHeight on are rebuilt from: the full validator set at
// their last change and at the checkpoint at or below retainHeight, and
// the params at their last change. It returns how many entries it deleted,
// in one synced batch.
func (ss *StateStore) PruneStates(retainHeight int64) (int, error) {
	if retainHeight <= 1 {
		return 0, nil
	}
	vals, err := ss.loadValidatorsInfo(retainHeight)
	if err != nil {
		return 0, fmt.Errorf("pruning the state store below %d: %w", retainHeight, err)
	}
	params, err := ss.loadParamsInfo(retainHeight)
	if err != nil {
		return 0, fmt.Errorf("pruning the state store below %d: %w", retainHeight, err)
	}
	// LoadValidators(h) for h >= retainHeight reads the checkpoint at or
	// below h (never below retainHeight's) or the height the set last
	// changed (never before retainHeight's change).
	keepVals := map[int64]bool{vals.LastHeightChanged: true}
	valsFloor := retainHeight - retainHeight%checkpointInterval
	keepParams := map[int64]bool{params.LastHeightChanged: true}

	batch := new(leveldb.Batch)
	ss.deleteBelow(batch, prefixFinalizeRes, retainHeight, nil)
	ss.deleteBelow(batch, prefixValidators, valsFloor, keepVals)
	ss.deleteBelow(batch, prefixParams, retainHeight, keepParams)
	if batch.Len() == 0 {
		return 0, nil
	}
	if err := ss.db.Write(batch, syncWrite); err != nil {
		return 0, fmt.Errorf("pruning the state store below %d: %w", retainHeight, err)
	}
	return batch.Len(), nil
}

// deleteBelow adds to batch the deletion of every entry of prefix below
// height, except the heights in keep.
func (ss *StateStore) deleteBelow(batch *leveldb.Batch, prefix byte, height int64, keep map[int64]bool) {
	if height <= 0 {
		return
	}
	it := ss.db.NewIterator(&util.Range{Start: heightKey(prefix, 0), Limit: heightKey(prefix, height)}, nil)
	defer it.Release()
	for it.Next() {
		h, err := decodeHeight(it.Key()[1:])
		if err != nil || keep[h] {
			continue
		}
		batch.Delete(append([]byte(nil), it.Key()...))
	}
}
