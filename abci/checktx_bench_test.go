package abci

import (
	"sync"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// BenchmarkCheckTxRoundTrip: one CheckTx at a time to CometBFT's kvstore
// over a loopback socket, waiting for each answer: the cost the pipelined
// form avoids.
func BenchmarkCheckTxRoundTrip(b *testing.B) {
	for _, proto := range []string{"unix", "tcp"} {
		b.Run(proto, func(b *testing.B) {
			app := startSocketApp(b, newKVStore(), proto)
			conns := connectTest(b, app.addr)
			ctx := testCtx(b)
			req := &abcitypes.RequestCheckTx{Tx: []byte("bench-key=value"), Type: abcitypes.CheckTxType_New}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := conns.Mempool.CheckTx(ctx, req)
				if err != nil || res.Code != abcitypes.CodeTypeOK {
					b.Fatalf("CheckTx: %v %v", res, err)
				}
			}
		})
	}
}

// BenchmarkCheckTxPipelined: b.N CheckTxAsync calls in flight together,
// pushed out by one Flush, as the mempool sends them.
func BenchmarkCheckTxPipelined(b *testing.B) {
	app := startSocketApp(b, newKVStore(), "unix")
	conns := connectTest(b, app.addr)
	ctx := testCtx(b)
	req := &abcitypes.RequestCheckTx{Tx: []byte("bench-key=value"), Type: abcitypes.CheckTxType_New}
	var wg sync.WaitGroup
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		wg.Add(1)
		conns.Mempool.CheckTxAsync(req, func(res *abcitypes.ResponseCheckTx, err error) {
			if err != nil || res.Code != abcitypes.CodeTypeOK {
				b.Errorf("CheckTx: %v %v", res, err)
			}
			wg.Done()
		})
	}
	if err := conns.Mempool.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	wg.Wait()
}
