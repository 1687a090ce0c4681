package sim

import (
	"os"
	"testing"
	"time"
)

func TestToyFamiliesDebug(t *testing.T) {
	for _, fam := range Families {
		start := time.Now()
		var dec, viol int
		var first string
		for seed := uint64(1); seed <= 20; seed++ {
			opts := Options{Protocol: toyProtocol, Scenario: fam, Seed: seed}
			if os.Getenv("SIMTRACE") != "" {
				opts.Trace = os.Stdout
			}
			res, err := Run(opts)
			if err != nil {
				t.Fatal(err)
			}
			dec += res.Decided
			viol += len(res.Violations)
			if first == "" && len(res.Violations) > 0 {
				first = res.Violations[0].String() + " " + res.ReplayCommand()
			}
		}
		t.Logf("%-10s decided=%d violations=%d %v first=%s", fam, dec, viol, time.Since(start)/20, first)
	}
}
