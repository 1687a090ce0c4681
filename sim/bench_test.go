package sim_test

import (
	"testing"

	"github.com/bftnode/bftnode/sim"
	"github.com/bftnode/bftnode/sim/protocols"
)

func BenchmarkRun(b *testing.B) {
	for _, p := range protocols.All() {
		for _, fam := range []string{"happy", "lossy", "crash"} {
			b.Run(p.Name+"/"+fam, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := sim.Run(sim.Options{Protocol: p, Scenario: fam, Seed: uint64(i%20) + 1}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
