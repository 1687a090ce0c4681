package engine

import (
	"testing"
	"time"
)

func TestBlockCostHoldsSmallProposalsForTheFixedCost(t *testing.T) {
	var b blockCost
	t0 := time.Unix(1000, 0)
	if got := b.holdUntil(0, t0); !got.IsZero() {
		t.Fatalf("held before any block was measured: until %v", got)
	}
	b.observe(1, 4*time.Millisecond, t0)
	if got, want := b.holdUntil(1, t0.Add(time.Millisecond)), t0.Add(4*time.Millisecond); !got.Equal(want) {
		t.Fatalf("one pending transaction held until %v, want %v (one fixed cost after the block)", got, want)
	}
	if got := b.holdUntil(1, t0.Add(4*time.Millisecond)); !got.IsZero() {
		t.Fatalf("still held once the window is over: until %v", got)
	}
	if got := b.holdUntil(largeBlockTxs, t0.Add(time.Millisecond)); !got.IsZero() {
		t.Fatalf("%d pending held before the cost per transaction is known", largeBlockTxs)
	}
}

func TestBlockCostGoesAtOnceWhenPendingTransactionsPayForTheBlock(t *testing.T) {
	var b blockCost
	t0 := time.Unix(1000, 0)
	b.observe(0, 2*time.Millisecond, t0)
	// A block of 100 transactions took 12 ms: 10 ms over the fixed 2 ms,
	// 100 µs per transaction, so 20 transactions cost the fixed cost.
	b.observe(100, 12*time.Millisecond, t0)
	if b.perTx != 100*time.Microsecond {
		t.Fatalf("cost per transaction %v, want 100µs", b.perTx)
	}
	now := t0.Add(time.Millisecond)
	if got := b.holdUntil(19, now); got.IsZero() {
		t.Fatal("19 pending transactions (1.9 ms of work) not held for a 2 ms fixed cost")
	}
	if got := b.holdUntil(20, now); !got.IsZero() {
		t.Fatalf("20 pending transactions (2 ms of work) held until %v", got)
	}
}

func TestBlockCostWindowIsCapped(t *testing.T) {
	var b blockCost
	t0 := time.Unix(1000, 0)
	b.observe(0, 3*time.Second, t0)
	if got, want := b.holdUntil(0, t0), t0.Add(maxBatchWindow); !got.Equal(want) {
		t.Fatalf("slow blocks hold a proposal until %v, want the cap %v", got, want)
	}
}

func TestBlockCostAveragesAndIgnoresMidSizedBlocks(t *testing.T) {
	var b blockCost
	t0 := time.Unix(1000, 0)
	b.observe(1, 8*time.Millisecond, t0)
	for range 200 {
		b.observe(2, 2*time.Millisecond, t0)
	}
	if d := b.fixed - 2*time.Millisecond; d < -time.Microsecond || d > time.Microsecond {
		t.Fatalf("fixed cost %v after 200 blocks of 2 ms, want about 2ms", b.fixed)
	}
	b.observe(10, time.Second, t0) // neither small nor large
	if b.fixed > 3*time.Millisecond || b.perTx != 0 {
		t.Fatalf("a block of 10 transactions moved the estimates: fixed %v, per tx %v", b.fixed, b.perTx)
	}
	b.observe(largeBlockTxs, time.Millisecond, t0) // faster than the fixed cost
	if b.perTx != 0 {
		t.Fatalf("a large block faster than the fixed cost gave a cost per transaction of %v", b.perTx)
	}
}
