package mempool

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Deliver runs on a peer's read loop: it must return at once even while
// admissions wait (here, for a block being executed), keep each peer's
// batches in order, and drop rather than wait when a lane is full: after
// laneMaxTxs transactions, however many batches carried them.
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
	for i := range 2 * laneMaxTxs {
		tx := fmt.Sprintf("peer-%04d=v", i)
		if g.Deliver("p1", [][]byte{[]byte(tx)}) {
			accepted++
			want = append(want, tx)
		} else {
			dropped++
		}
	}
	waited := time.Since(start)
	n.mp.Unlock()
	if waited > 5*time.Second {
		t.Fatalf("Deliver waited %v for a locked mempool", waited)
	}
	// The admission goroutine may have taken the first batches out before
	// it blocked on the lock, so a little more than the bound fits.
	if dropped == 0 || g.DroppedBatches() != uint64(dropped) || accepted < laneMaxTxs {
		t.Fatalf("%d batches taken, %d dropped, DroppedBatches %d; want the lane to take %d one-transaction batches, then drop",
			accepted, dropped, g.DroppedBatches(), laneMaxTxs)
	}
	eventually(t, "delivered batches admitted", func() bool { return n.mp.Size() == accepted })
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, want) {
		t.Fatalf("admitted %q\nwant %q (in delivery order)", got, want)
	}
}

// A lane joins a peer's consecutive batches and bounds its bytes; a batch
// larger than the bound still fits an empty lane, so that no batch is
// refused for good.
func TestLaneJoinsAPeersBatchesAndBoundsBytes(t *testing.T) {
	l := &lane{ready: make(chan struct{}, 1)}
	tx := func(s string) []byte { return []byte(s) }
	first := make([][]byte, 1, 8) // spare capacity the sender may reuse
	first[0] = tx("a1")
	for _, b := range []peerBatch{{"a", first}, {"a", [][]byte{tx("a2"), tx("a3")}}, {"b", [][]byte{tx("b1")}}, {"a", [][]byte{tx("a4")}}} {
		if !l.push(b) {
			t.Fatalf("push(%v) refused on a lane with room", b)
		}
	}
	if got := cap(first[:1]); got != 8 || len(first) != 1 {
		t.Fatalf("the sender's batch changed: len %d cap %d", len(first), got)
	}
	q := l.take()
	var got []string
	for _, b := range q {
		got = append(got, string(b.from)+":"+strings.Join(strs(b.batch), ","))
	}
	if want := []string{"a:a1,a2,a3", "b:b1", "a:a4"}; !slices.Equal(got, want) {
		t.Fatalf("queue %q; want %q", got, want)
	}
	if l.take() != nil {
		t.Fatal("take left batches behind")
	}

	huge := [][]byte{make([]byte, laneMaxBytes+1)}
	if !l.push(peerBatch{"a", huge}) {
		t.Fatal("an empty lane refused a batch above its byte bound")
	}
	if l.push(peerBatch{"b", [][]byte{tx("b2")}}) {
		t.Fatal("a lane over its byte bound took more")
	}
	l.take()
	if !l.push(peerBatch{"b", [][]byte{tx("b2")}}) {
		t.Fatal("an emptied lane refused a batch")
	}
}
