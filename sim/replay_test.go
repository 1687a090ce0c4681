package sim_test

import (
	"testing"

	"github.com/bftnode/bftnode/sim"
	"github.com/bftnode/bftnode/sim/protocols"
)

// TestReplayDropsItsSnapshots replays seeds in which a node restarts twice
// around a checkpoint. A driver that held the SaveSnapshot its replay
// produced and saved it after the log ended put an old state after newer
// inputs; the second restart began from it, skipped those inputs and asked
// the signer for a second prevote of a round the node had voted in.
func TestReplayDropsItsSnapshots(t *testing.T) {
	p := protocols.Tendermint(protocols.TendermintConfig())
	for _, seed := range []uint64{8, 27} {
		res, err := sim.Run(sim.Options{Protocol: p, Scenario: sim.ForgedSyncScenario, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range res.Violations {
			t.Errorf("seed %d: %s", seed, v)
		}
	}
}
