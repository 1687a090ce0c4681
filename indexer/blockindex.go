package indexer

import (
	"context"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/pubsub/query"
	"github.com/cometbft/cometbft/types"
	"github.com/syndtr/goleveldb/leveldb"
)

var blockSpace = space{
	primary: prefixBlock, byKey: prefixBlkByKey, byValue: prefixBlkByValue,
	idLen: heightLen, heightTag: types.BlockHeightKey,
}

// putBlock adds the entries of a block: its height, with the FinalizeBlock
// events kept for checking queries on several attributes.
func putBlock(batch *leveldb.Batch, height int64, events []abci.Event) error {
	raw, err := (&abci.ResponseFinalizeBlock{Events: events}).Marshal()
	if err != nil {
		return fmt.Errorf("encoding the FinalizeBlock events: %w", err)
	}
	id := blockID(height)
	batch.Put(primaryKey(prefixBlock, id), raw)
	post := newPostings(blockSpace)
	post.add(0, events)
	post.write(batch, height)
	return nil
}

// HasBlock tells whether the block at height is indexed.
func (x *Indexer) HasBlock(height int64) (bool, error) {
	if height < 1 || height < x.Base() {
		return false, nil
	}
	ok, err := x.db.Has(primaryKey(prefixBlock, blockID(height)), nil)
	if err != nil {
		return false, fmt.Errorf("reading the block index: %w", err)
	}
	return ok, nil
}

// SearchBlocks returns the page pg of the heights of the blocks matching q
// and how many match in all.
func (x *Indexer) SearchBlocks(ctx context.Context, q *query.Query, pg Page) ([]int64, int, error) {
	p, err := newPlan(q, types.BlockHeightKey, "")
	if err != nil {
		return nil, 0, err
	}
	snap, err := x.db.GetSnapshot()
	if err != nil {
		return nil, 0, fmt.Errorf("reading the block index: %w", err)
	}
	defer snap.Release()
	if err := p.skipPruned(snap); err != nil {
		return nil, 0, err
	}
	eval := func(snap *leveldb.Snapshot, id []byte) (bool, error) {
		h := readHeight(id)
		if !p.heightMatches(h) {
			return false, nil
		}
		if len(p.attrs) == 0 {
			return true, nil
		}
		events, err := loadBlockEvents(snap, h)
		if err != nil {
			return false, err
		}
		return p.eventsMatch(events), nil
	}
	ids, total, err := search(ctx, snap, blockSpace, p, pg, eval)
	if err != nil {
		return nil, 0, err
	}
	heights := make([]int64, len(ids))
	for i, id := range ids {
		heights[i] = readHeight(id)
	}
	return heights, total, nil
}

func loadBlockEvents(snap *leveldb.Snapshot, height int64) ([]abci.Event, error) {
	raw, err := snap.Get(primaryKey(prefixBlock, blockID(height)), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading block %d from the index: %w", height, err)
	}
	var resp abci.ResponseFinalizeBlock
	if err := resp.Unmarshal(raw); err != nil {
		return nil, fmt.Errorf("decoding block %d from the index: %w; delete the indexer's directory and restart to rebuild it", height, err)
	}
	return resp.Events, nil
}
