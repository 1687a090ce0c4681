package mempool

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// Deliver runs on a peer's read loop: it must return at once even while
// admissions wait (here, for a block being executed), keep each peer's
// batches in order, and drop rather than wait when a lane is full.
func TestDeliverNeverWaitsAndKeepsAPeersOrder(t *testing.T) {
	n, g, _ := newGossipNode(t, DefaultGossipConfig())
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { g.Run(ctx); close(ran) }()
	defer func() { cancel(); <-ran }()

	if err := n.mp.Lock(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	var want []string
	accepted, dropped := 0, 0
	start := time.Now()
	for i := range intakeDepth + 10 {
		tx := fmt.Sprintf("peer-%04d=v", i)
		if g.Deliver("p1", [][]byte{[]byte(tx)}) {
			accepted++
			want = append(want, tx)
		} else {
			dropped++
		}
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("Deliver waited %v for a locked mempool", waited)
	}
	if dropped == 0 || g.DroppedBatches() != uint64(dropped) {
		t.Fatalf("%d batches dropped, DroppedBatches %d; a full lane must drop", dropped, g.DroppedBatches())
	}
	n.mp.Unlock()
	eventually(t, "delivered batches admitted", func() bool { return n.mp.Size() == accepted })
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, want) {
		t.Fatalf("admitted %q\nwant %q (in delivery order)", got, want)
	}
}
