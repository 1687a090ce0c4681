package pbft

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkStep measures how many inputs per second the core steps through
// in a cluster deciding blocks back to back (every request answered at
// once, every message delivered). Only the time inside Step is counted, so
// the in-memory network's own cost does not enter the figure.
func BenchmarkStep(b *testing.B) {
	for _, n := range []int{4, 10} {
		b.Run(fmt.Sprintf("validators=%d", n), func(b *testing.B) {
			powers := make([]int64, n)
			for i := range powers {
				powers[i] = 1
			}
			cl := newCluster(b, DefaultConfig(), powers...)
			cl.txs = true
			var inStep time.Duration
			cl.stepHook = func(step func()) {
				start := time.Now()
				step()
				inStep += time.Since(start)
			}
			cl.start()
			b.ResetTimer()
			for cl.steps < b.N {
				if !cl.stepOnce() {
					b.Fatal("network idle")
				}
			}
			b.StopTimer()
			if len(cl.conflicts) != 0 {
				b.Fatal(cl.conflicts)
			}
			b.ReportMetric(float64(cl.steps)/inStep.Seconds(), "inputs/s")
			// Every replica steps through every block; inStep sums the
			// time of all n of them.
			b.ReportMetric(float64(cl.chainHeight())*float64(n)/inStep.Seconds(), "blocks/s/replica")
		})
	}
}
