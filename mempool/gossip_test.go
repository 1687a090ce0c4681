package mempool

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// sentLog records what a Gossip handed its transport.
type sentLog struct {
	mu      sync.Mutex
	batches map[PeerID][][][]byte
}

func (s *sentLog) send(p PeerID, batch [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.batches == nil {
		s.batches = make(map[PeerID][][][]byte)
	}
	s.batches[p] = append(s.batches[p], batch)
}

// take returns and forgets the txs sent to p, flattened.
func (s *sentLog) take(p PeerID) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, b := range s.batches[p] {
		out = append(out, strs(b)...)
	}
	delete(s.batches, p)
	return out
}

func newGossipNode(t *testing.T, cfg GossipConfig) (*node, *Gossip, *sentLog) {
	t.Helper()
	n := newNode(t, DefaultConfig(), nil)
	log := &sentLog{}
	g, err := NewGossip(n.mp, cfg, log.send)
	if err != nil {
		t.Fatal(err)
	}
	return n, g, log
}

func TestGossipSendsEachTxToEachPeerOnce(t *testing.T) {
	n, g, log := newGossipNode(t, DefaultGossipConfig())
	g.AddPeer("p1")
	g.AddPeer("p2")
	var first []string
	for i := range 10 {
		admit(t, n.mp, txName(i))
		first = append(first, txName(i))
	}
	g.SendPending()
	for _, p := range []PeerID{"p1", "p2"} {
		if got := log.take(p); !slices.Equal(got, first) {
			t.Fatalf("%s got %q, want %q", p, got, first)
		}
	}
	g.SendPending()
	if got := append(log.take("p1"), log.take("p2")...); len(got) != 0 {
		t.Fatalf("resent %q", got)
	}

	// From p1 through the transport, from p2 straight into CheckTx, and one
	// local tx p2 then sends us too before we gossiped it.
	if k, err := g.Receive(ctxT(t), "p1", [][]byte{[]byte("r1=1"), []byte("r2=2"), []byte(txName(0))}); err != nil || k != 2 {
		t.Fatalf("Receive: %d admitted, %v; want 2", k, err)
	}
	if _, err := n.mp.CheckTx(ctxT(t), []byte("q=1"), "p2"); err != nil {
		t.Fatal(err)
	}
	admit(t, n.mp, "local=1")
	if _, err := n.mp.CheckTx(ctxT(t), []byte("local=1"), "p2"); err == nil {
		t.Fatal("duplicate from p2 admitted")
	}
	g.SendPending()
	if got, want := log.take("p1"), []string{"q=1", "local=1"}; !slices.Equal(got, want) {
		t.Errorf("p1 got %q, want %q", got, want)
	}
	if got, want := log.take("p2"), []string{"r1=1", "r2=2"}; !slices.Equal(got, want) {
		t.Errorf("p2 got %q, want %q", got, want)
	}

	// A peer that reconnects is offered the whole mempool again, except
	// what it sent us itself.
	g.RemovePeer("p1")
	g.AddPeer("p1")
	g.SendPending()
	if got, want := len(log.take("p1")), n.mp.Size()-3; got != want {
		t.Errorf("reconnected p1 got %d txs, want %d (all %d but the 3 it sent)", got, want, n.mp.Size())
	}
}

func TestGossipBatchLimits(t *testing.T) {
	n, g, log := newGossipNode(t, GossipConfig{MaxBatchTxs: 4, MaxBatchBytes: 50, PeerMemory: 100})
	g.AddPeer("p")
	big := strings.Repeat("b", 99) + "=1"
	var want []string
	for i := range 9 {
		tx := fmt.Sprintf("k%d=%s", i, strings.Repeat("v", 10))
		if i == 5 {
			tx = big
		}
		admit(t, n.mp, tx)
		want = append(want, tx)
	}
	g.SendPending()
	log.mu.Lock()
	batches := log.batches["p"]
	log.mu.Unlock()
	var got []string
	for _, b := range batches {
		size := 0
		for _, tx := range b {
			size += len(tx)
		}
		if len(b) > 4 || (size > 50 && len(b) > 1) {
			t.Errorf("batch of %d txs, %d bytes exceeds 4 txs / 50 bytes", len(b), size)
		}
		got = append(got, strs(b)...)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("sent %q, want %q", got, want)
	}
	if !slices.ContainsFunc(batches, func(b [][]byte) bool { return len(b) == 1 && string(b[0]) == big }) {
		t.Error("the tx larger than a batch was not sent on its own")
	}
}

func TestNewGossipRejectsBadLimits(t *testing.T) {
	n := newNode(t, DefaultConfig(), nil)
	if _, err := NewGossip(n.mp, GossipConfig{MaxBatchTxs: 1, MaxBatchBytes: 0, PeerMemory: 1}, func(PeerID, [][]byte) {}); err == nil {
		t.Fatal("accepted MaxBatchBytes 0")
	}
}

// Three nodes gossip over direct calls: every tx reaches every node and no
// directed link carries a tx twice.
func TestGossipPropagatesAcrossNodes(t *testing.T) {
	const nodes, perNode = 3, 40
	type link struct {
		from, to PeerID
		tx       string
	}
	var (
		mu    sync.Mutex
		sends = map[link]int{}
	)
	ns := make([]*node, nodes)
	gs := make([]*Gossip, nodes)
	for i := range ns {
		ns[i] = newNode(t, DefaultConfig(), nil)
	}
	for i := range ns {
		self := PeerID(fmt.Sprint(i))
		g, err := NewGossip(ns[i].mp, GossipConfig{MaxBatchTxs: 7, MaxBatchBytes: 1 << 20, PeerMemory: 1000},
			func(p PeerID, batch [][]byte) {
				mu.Lock()
				for _, tx := range batch {
					sends[link{self, p, string(tx)}]++
				}
				mu.Unlock()
				var dst int
				fmt.Sscan(string(p), &dst)
				if _, err := gs[dst].Receive(context.Background(), self, batch); err != nil {
					t.Errorf("node %d receiving from %s: %v", dst, self, err)
				}
			})
		if err != nil {
			t.Fatal(err)
		}
		gs[i] = g
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i, g := range gs {
		for j := range gs {
			if j != i {
				g.AddPeer(PeerID(fmt.Sprint(j)))
			}
		}
		wg.Add(1)
		go func() { defer wg.Done(); g.Run(ctx) }()
	}
	for i, n := range ns {
		for k := range perNode {
			admit(t, n.mp, fmt.Sprintf("n%d-%d=v", i, k))
		}
	}
	for i, n := range ns {
		eventually(t, fmt.Sprintf("node %d holds every tx", i), func() bool { return n.mp.Size() == nodes*perNode })
	}
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for l, k := range sends {
		if k > 1 {
			t.Errorf("%s sent %s to %s %d times", l.from, l.tx, l.to, k)
		}
	}
}

// A tx that stays in the mempool ResendAfter blocks is offered to every
// peer again at the next rewind (a PBFT primary that refused it while full
// is the only node whose mempool makes blocks); a fresh one is not.
func TestGossipOffersStaleTxsAgain(t *testing.T) {
	n, g, log := newGossipNode(t, DefaultGossipConfig())
	g.AddPeer("p")
	admit(t, n.mp, "old=1")
	g.SendPending()
	if got := log.take("p"); !slices.Equal(got, []string{"old=1"}) {
		t.Fatalf("first offer %q", got)
	}
	for h := int64(1); h <= 3; h++ {
		commitBlock(t, n, h)
	}
	admit(t, n.mp, "new=1")
	g.SendPending()
	if got := log.take("p"); !slices.Equal(got, []string{"new=1"}) {
		t.Fatalf("before a rewind %q, want only the new tx", got)
	}
	g.rewind()
	g.SendPending()
	if got := log.take("p"); !slices.Equal(got, []string{"old=1"}) {
		t.Fatalf("after a rewind %q, want the stale tx again and not the fresh one", got)
	}
	g.SendPending()
	if got := log.take("p"); len(got) != 0 {
		t.Fatalf("offered again without a rewind: %q", got)
	}
}

func TestABehindNodeHoldsBackWhatItHadUntilCaughtUp(t *testing.T) {
	n, g, log := newGossipNode(t, DefaultGossipConfig())
	var mu sync.Mutex
	behind := false
	g.SetBehind(func() bool { mu.Lock(); defer mu.Unlock(); return behind })
	setBehind := func(b bool) { mu.Lock(); behind = b; mu.Unlock() }
	g.AddPeer("p1")
	admit(t, n.mp, txName(1))
	admit(t, n.mp, txName(2))
	g.SendPending()
	if got := log.take("p1"); len(got) != 2 {
		t.Fatalf("p1 got %q", got)
	}
	g.AddPeer("p2")
	setBehind(true)
	g.SendPending()
	if got := log.take("p2"); len(got) != 0 {
		t.Fatalf("a node behind offered %q, which it had before falling behind", got)
	}
	// A client's new transaction goes out at once, behind or not.
	admit(t, n.mp, txName(3))
	g.SendPending()
	if got := log.take("p2"); !slices.Equal(got, []string{txName(3)}) {
		t.Fatalf("offered %q while behind, want only the new transaction", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { g.Run(ctx); close(done) }()
	setBehind(false)
	var got []string
	eventually(t, "the held-back transactions to go out", func() bool {
		got = append(got, log.take("p2")...)
		return len(got) == 2
	})
	if !slices.Equal(got, []string{txName(1), txName(2)}) {
		t.Fatalf("offered %q once caught up", got)
	}
	if got := log.take("p1"); !slices.Equal(got, []string{txName(3)}) {
		t.Fatalf("p1, which had the first two, got %q", got)
	}
	cancel()
	<-done
}
