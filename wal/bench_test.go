package wal

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

const benchRecordSize = 256

// BenchmarkAppendSync: one caller, Append then Sync per record, the cost of
// one durable record without group commit.
func BenchmarkAppendThenSync(b *testing.B) {
	w, _ := openWAL(b, b.TempDir(), Options{})
	defer w.Close()
	rec := make([]byte, benchRecordSize)
	b.SetBytes(benchRecordSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := w.Append(rec); err != nil {
			b.Fatal(err)
		}
		if err := w.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(w.Stats().Fsyncs)/float64(b.N), "fsyncs/op")
}

// BenchmarkAppendSyncConcurrent: b.N durable records written by 1, 8 or 64
// concurrent AppendSync callers. fsyncs/op below 1 is group commit at work.
func BenchmarkAppendSyncConcurrent(b *testing.B) {
	for _, writers := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			w, _ := openWAL(b, b.TempDir(), Options{})
			defer w.Close()
			rec := make([]byte, benchRecordSize)
			var left atomic.Int64
			left.Store(int64(b.N))
			var wg sync.WaitGroup
			b.SetBytes(benchRecordSize)
			b.ResetTimer()
			for g := 0; g < writers; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for left.Add(-1) >= 0 {
						if err := w.AppendSync(rec); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(w.Stats().Fsyncs)/float64(b.N), "fsyncs/op")
		})
	}
}
