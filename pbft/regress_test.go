package pbft_test

import (
	"testing"

	"github.com/bftnode/bftnode/sim"
)

// TestSimulatorRegressions replays the seeds on which the simulator found
// the replica at fault; each must now run clean.
func TestSimulatorRegressions(t *testing.T) {
	cases := []struct {
		scenario string
		seeds    []uint64
		bug      string
	}{
		{"lossy", []uint64{31, 67, 101}, "a new primary signed NEW-VIEW re-proposals below its own sign floor"},
		{"partition", []uint64{165}, "a new primary signed NEW-VIEW re-proposals below its own sign floor"},
		{"asymmetric", []uint64{13, 101}, "a new primary signed NEW-VIEW re-proposals below its own sign floor"},
		{"mixed", []uint64{46}, "a new primary signed NEW-VIEW re-proposals below its own sign floor"},
		{"mixed", []uint64{200}, "evidence paired another validator's NEW-VIEW with the primary's"},
		{"mixed", []uint64{169}, "with powers 71/27/16/13 the backup changed view alone and the primary never timed out"},
		{"crash", []uint64{8839, 9246}, "a replayed Start of an earlier life handed over the pending decision twice"},
	}
	p := withBug("")
	for _, tc := range cases {
		for _, seed := range tc.seeds {
			res, err := sim.Run(sim.Options{Protocol: p, Scenario: tc.scenario, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range res.Violations {
				t.Errorf("%s seed %d (%s): %s\n%s", tc.scenario, seed, tc.bug, v, res.ReplayCommand())
			}
		}
	}
}
