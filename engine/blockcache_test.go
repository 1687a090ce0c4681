package engine

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
	"github.com/cometbft/cometbft/types"
)

// A node behind receives proposals for heights far above its chain while
// block sync brings the block it needs next. With the cache full of those
// proposals, that block must stay: it used to be the first one forgotten,
// and a node catching up behind a fast chain waited for it forever.
func TestAFullBlockCacheKeepsTheLowestHeights(t *testing.T) {
	const size = 8
	c := newBlockCache(size)
	for i := 0; i < size; i++ {
		c.add(idOf(byte(100+i)), &types.Block{Header: types.Header{Height: int64(1000 + i)}})
	}
	next := idOf(1)
	c.add(next, &types.Block{Header: types.Header{Height: 500}})
	if c.get(next) == nil {
		t.Fatal("the block for the next height was forgotten in favour of later proposals")
	}
	if c.get(idOf(100+size-1)) != nil {
		t.Fatal("the proposal for the highest height was kept over the next block")
	}
	if len(c.blocks) != size {
		t.Fatalf("cache holds %d blocks, want its size %d", len(c.blocks), size)
	}
	for i := 0; i < size-1; i++ {
		if c.get(idOf(byte(100+i))) == nil {
			t.Fatalf("proposal for height %d forgotten; only the highest should go", 1000+i)
		}
	}
	c.add(consensus.Nil, &types.Block{})
	if len(c.blocks) != size {
		t.Fatal("the nil block was cached")
	}
}
