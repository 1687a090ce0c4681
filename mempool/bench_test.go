package mempool

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// BenchmarkCheckTx measures admissions per second (app check over a unix
// socket plus the synced write) with 1, 16 and 128 concurrent callers
// against CometBFT's kvstore served in process.
func BenchmarkCheckTx(b *testing.B) {
	for _, callers := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Size = b.N + 1
			n := newNode(b, cfg, kvstore.NewInMemoryApplication())
			ctx := ctxT(b)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for c := range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						tx := []byte(fmt.Sprintf("bench%03d-%09d=v", c, i))
						res, err := n.mp.CheckTx(ctx, tx, "")
						if err != nil || !res.IsOK() {
							b.Errorf("CheckTx: %v %v", res, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txs/s")
			if n.mp.Size() != b.N {
				b.Fatalf("Size %d after %d admissions", n.mp.Size(), b.N)
			}
		})
	}
}

// BenchmarkAppCheckTxRoundTrip is the reference point: one synchronous
// CheckTx round trip to the same app, without the mempool.
func BenchmarkAppCheckTxRoundTrip(b *testing.B) {
	app := serveApp(b, kvstore.NewInMemoryApplication())
	conns := app.connect(b)
	req := &abcitypes.RequestCheckTx{Tx: []byte("k=v")}
	ctx := ctxT(b)
	b.ResetTimer()
	for range b.N {
		if _, err := conns.Mempool.CheckTx(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txs/s")
}
