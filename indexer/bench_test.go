package indexer

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"
)

// BenchmarkIndexBlocks indexes blocks of 500 transactions whose results
// carry the events CometBFT's kvstore emits (one attribute with a value
// unique to the transaction, two shared by all), into a database on disk,
// and reports the process's CPU time per transaction: the writes and the
// compactions they cause, which run on goleveldb's own goroutines.
func BenchmarkIndexBlocks(b *testing.B) {
	const perBlock = 500
	x, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	txs := make(types.Txs, perBlock)
	results := make([]*abci.ExecTxResult, perBlock)
	cpu0 := processCPU(b)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for i := range txs {
			key := fmt.Sprintf("bench-%d-%d", n, i)
			txs[i] = types.Tx(key + "=" + key)
			results[i] = &abci.ExecTxResult{Code: abci.CodeTypeOK, Events: []abci.Event{{Type: "app", Attributes: []abci.EventAttribute{
				{Key: "creator", Value: "Cosmoshi Netowoko", Index: true},
				{Key: "key", Value: key, Index: true},
				{Key: "index_key", Value: "index is working", Index: true},
				{Key: "noindex_key", Value: "index is working", Index: false},
			}}}}
		}
		if err := x.Index(int64(n+1), txs, &abci.ResponseFinalizeBlock{TxResults: results}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	time.Sleep(200 * time.Millisecond) // let a compaction under way finish
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N*perBlock), "cpu-µs/tx")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
