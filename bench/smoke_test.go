package bench_test

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/bftnode/bftnode/bench"
	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/internal/testnet"
	"github.com/bftnode/bftnode/node"
)

// TestSmokeAgainstARealNode runs the load generator for a second against
// a one-validator bftnode in this process (built-in kvstore, real RPC on
// loopback): every acknowledged transaction must be seen committed, through
// the websocket subscription.
func TestSmokeAgainstARealNode(t *testing.T) {
	rpc := startNode(t)
	res, err := bench.Run(t.Context(), bench.Config{
		System: "bftnode", Workload: "smoke", Endpoints: []string{rpc},
		Senders: 8, TxSize: 64, Duration: time.Second, Grace: 10 * time.Second, RequestTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Acked == 0 || res.Committed != res.Acked || res.Lost != 0 {
		t.Fatalf("sent %d, acked %d, committed %d, lost %d, errors %v", res.Sent, res.Acked, res.Committed, res.Lost, res.Refusals)
	}
	if res.TxPerSec <= 0 || res.Latency.P50 <= 0 || res.Blocks == 0 {
		t.Errorf("nothing measured: %+v", res)
	}
	if res.FollowError != "" {
		t.Errorf("the follower had trouble: %s", res.FollowError)
	}
}

func startNode(t *testing.T) string {
	t.Helper()
	base := freeBase(t)
	gen, err := testnet.Generate(testnet.Options{Validators: 1, OutputDir: t.TempDir(), NodeDirPrefix: "node",
		BasePort: base, PopulatePeers: true, ChainID: "bench-smoke"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(gen[0].Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n, err := node.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx); n.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node stopped with %v", err)
		}
	})
	rpc := "http://127.0.0.1:" + strconv.Itoa(gen[0].Ports.RPC)
	deadline := time.Now().Add(20 * time.Second)
	for {
		h, err := bench.LatestHeight(t.Context(), rpc)
		if err == nil && h > 0 {
			return rpc
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node made no block within 20s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeBase(t *testing.T) int {
	for range 50 {
		base := 20000 + rand.IntN(40000)
		free := true
		for p := base; p < base+10 && free; p++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				free = false
				continue
			}
			l.Close()
		}
		if free {
			return base
		}
	}
	t.Fatal("no free ports")
	return 0
}
