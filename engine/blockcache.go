package engine

import (
	"github.com/bftnode/bftnode/consensus"
	"github.com/cometbft/cometbft/types"
)

// blockCache holds proposed blocks by ID until they are decided or
// outdated. Cores only ever see IDs; the engine keeps the blocks. When it
// is full it forgets the block of the highest height: a node behind keeps
// receiving proposals for heights it will not reach for a while (and can
// fetch again then), while the block it needs next is the lowest.
type blockCache struct {
	max    int
	blocks map[consensus.ID]*types.Block
}

func newBlockCache(max int) *blockCache {
	return &blockCache{max: max, blocks: map[consensus.ID]*types.Block{}}
}

// add keeps block under id, which the caller has checked is its ID.
func (c *blockCache) add(id consensus.ID, b *types.Block) {
	if b == nil || id == consensus.Nil {
		return
	}
	c.blocks[id] = b
	if len(c.blocks) > c.max {
		c.dropHighest()
	}
}

func (c *blockCache) get(id consensus.ID) *types.Block { return c.blocks[id] }

// prune forgets blocks at or below the executed height.
func (c *blockCache) prune(executed int64) {
	for id, b := range c.blocks {
		if b.Height <= executed {
			delete(c.blocks, id)
		}
	}
}

func (c *blockCache) dropHighest() {
	var highID consensus.ID
	high := int64(-1)
	for id, b := range c.blocks {
		if b.Height > high {
			high, highID = b.Height, id
		}
	}
	delete(c.blocks, highID)
}
