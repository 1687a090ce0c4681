package mempool

import (
	"testing"

	"github.com/bftnode/bftnode/abci"
)

// FirstLeftOut names the oldest transaction a block left out only when it
// was known a whole block before and still fits in the block's room.
func TestFirstLeftOutOnlyWhatWouldHaveFit(t *testing.T) {
	n := newNode(t, DefaultConfig(), nil)
	admit(t, n.mp, "a=1") // admitted at height 0
	commitBlock(t, n, 1)
	admit(t, n.mp, "b=2") // admitted at height 1
	commitBlock(t, n, 2)
	size := abci.ProtoTxSize(len("a=1"))
	room := BlockRoom{Height: 2, MaxBytes: 1000, MaxGas: -1}
	if key, ok := n.mp.FirstLeftOut(room); !ok || key != KeyOf([]byte("a=1")) {
		t.Fatalf("block 2 with room left out a=1: got %x, %v", key, ok)
	}
	full := room
	full.UsedBytes = 1000 - size + 1
	if _, ok := n.mp.FirstLeftOut(full); ok {
		t.Fatal("a block without room for a=1 was said to leave it out")
	}
	exact := room
	exact.UsedBytes = 1000 - size
	if _, ok := n.mp.FirstLeftOut(exact); !ok {
		t.Fatal("a=1 fits exactly in the room left, yet was not reported")
	}
	gas := room
	gas.MaxGas, gas.UsedGas = 10, 11
	if _, ok := n.mp.FirstLeftOut(gas); ok {
		t.Fatal("a block over its gas limit was said to have room for a=1")
	}
	commitBlock(t, n, 3, "a=1")
	if _, ok := n.mp.FirstLeftOut(BlockRoom{Height: 2, MaxBytes: -1, MaxGas: -1}); ok {
		t.Fatal("b=2, admitted at height 1, was reported for block 2: its proposer may not have known it")
	}
	if key, ok := n.mp.FirstLeftOut(BlockRoom{Height: 3, MaxBytes: -1, MaxGas: -1}); !ok || key != KeyOf([]byte("b=2")) {
		t.Fatalf("block 3 left out b=2: got %x, %v", key, ok)
	}
}
