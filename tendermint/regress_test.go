package tendermint_test

import (
	"testing"

	"github.com/bftnode/bftnode/sim"
)

// TestSimulatorRegressions replays the seeds on which the simulator's long
// sweep found the core at fault; each must now run clean.
func TestSimulatorRegressions(t *testing.T) {
	cases := []struct {
		scenario string
		seeds    []uint64
		bug      string
	}{
		{"mixed", []uint64{610, 1892, 3095, 4598, 5281, 6097, 8038},
			"a validator cut off in an earlier round never got the votes of that round the others had sent meanwhile " +
				"(they only retransmitted their current round), and with a Byzantine validator withholding, " +
				"no round had 2f+1 votes or f+1 messages anywhere: stalled for good"},
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
