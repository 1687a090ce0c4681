//go:build cosmos

package e2e

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// A transaction load on a gaia chain: bank sends of 1uatom to bob from the
// validators' own accounts, one account per node and each through its own
// node (an account's transactions must reach one mempool in sequence
// order), each sender broadcasting its next transaction as soon as
// CheckTx accepted the last. The figure is what the chain commits: the
// transactions in the blocks from the start of the load until every
// mempool is empty, over the time between those blocks' headers.

const (
	// gaiaLoadGas is each send's gas limit (a bank send uses about 70,000)
	// and gaiaLoadGasPrice its price in uatom, well above the fee
	// market's base price even after it rises under full blocks.
	gaiaLoadGas      = 120_000
	gaiaLoadGasPrice = 100
)

// gaiaLoadResult is what a load measured.
type gaiaLoadResult struct {
	accepted, rejected int
	committed          int64
	fromHeight, height int64
	seconds            float64
}

func (r gaiaLoadResult) txPerSecond() float64 {
	if r.seconds <= 0 {
		return 0
	}
	return float64(r.committed) / r.seconds
}

// cosmosLoadDuration is COSMOS_LOAD (default 30s; 0 skips the load).
func cosmosLoadDuration(t *testing.T) time.Duration {
	d := 30 * time.Second
	if v := os.Getenv("COSMOS_LOAD"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil || d < 0 {
			t.Fatalf("COSMOS_LOAD=%q: want a duration such as 30s (0 skips the load)", v)
		}
	}
	return d
}

// gaiaLoad runs the load for d against the nodes' RPC addresses and waits
// until the mempools are empty.
func gaiaLoad(ctx context.Context, t *testing.T, chain *GaiaChain, rpcs []string, d time.Duration) gaiaLoadResult {
	t.Helper()
	clients := make([]*rpchttp.HTTP, len(rpcs))
	senders := make([]*gaiaSender, len(rpcs))
	for i, addr := range rpcs {
		cl, err := rpchttp.New("http://"+addr, "/websocket")
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = cl
		if senders[i], err = newGaiaSender(chain, fmt.Sprintf("val%d", i), "tcp://"+addr); err != nil {
			t.Fatal(err)
		}
	}
	res := gaiaLoadResult{fromHeight: rpcHeight(ctx, t, clients[0])}
	var mu sync.Mutex
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for i := range senders {
		wg.Add(1)
		go func(s *gaiaSender, cl *rpchttp.HTTP) {
			defer wg.Done()
			accepted, rejected := sendUntil(ctx, s, cl, chain.Addrs["bob"], stop)
			mu.Lock()
			res.accepted += accepted
			res.rejected += rejected
			mu.Unlock()
		}(senders[i], clients[i])
	}
	wg.Wait()
	drainMempools(ctx, t, clients)
	res.height = rpcHeight(ctx, t, clients[0])
	first, err := clients[0].Block(ctx, &res.fromHeight)
	if err != nil {
		t.Fatal(err)
	}
	last := first.Block.Time
	for h := res.fromHeight + 1; h <= res.height; h++ {
		b, err := clients[0].Block(ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		res.committed += int64(len(b.Block.Txs))
		last = b.Block.Time
	}
	res.seconds = last.Sub(first.Block.Time).Seconds()
	return res
}

// sendUntil broadcasts one sender's transactions in sequence until stop; a
// refused one is sent again after a pause (a full mempool), and the sender
// gives up after many refusals in a row.
func sendUntil(ctx context.Context, s *gaiaSender, cl *rpchttp.HTTP, to string, stop time.Time) (accepted, rejected int) {
	refusedInARow := 0
	for time.Now().Before(stop) && ctx.Err() == nil && refusedInARow < 100 {
		tx, err := s.send(to, 1, gaiaLoadGas*gaiaLoadGasPrice, gaiaLoadGas)
		if err != nil {
			return accepted, rejected + 1
		}
		r, err := cl.BroadcastTxSync(ctx, tx)
		if err == nil && r.Code == 0 {
			accepted++
			refusedInARow = 0
			continue
		}
		s.sequence-- // not taken: the same sequence again
		rejected++
		refusedInARow++
		time.Sleep(50 * time.Millisecond)
	}
	return accepted, rejected
}

// drainMempools waits until no node holds unconfirmed transactions.
func drainMempools(ctx context.Context, t *testing.T, clients []*rpchttp.HTTP) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		pending := 0
		for _, cl := range clients {
			if r, err := cl.NumUnconfirmedTxs(ctx); err == nil {
				pending += r.Total
			} else {
				pending++
			}
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("%d transactions still unconfirmed 2 minutes after the load", pending)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
