package pbft_test

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/pbft"
	"github.com/bftnode/bftnode/sim"
	"github.com/bftnode/bftnode/sim/protocols"
)

// cleanSeeds is how many seeds, at least, the correct core must pass.
const cleanSeeds = 10

// controlSeeds bounds the search for a violation of the broken variant.
const controlSeeds = 200

// withBug is the simulation protocol of PBFT with a deliberately broken
// rule in every core ("" for the correct core).
func withBug(bug string) sim.Protocol {
	p := protocols.PBFT(protocols.PBFTConfig())
	if bug == "" {
		return p
	}
	return protocols.Variant(p, bug, func(c consensus.Core) { pbft.EnableBug(c.(*pbft.Core), bug) })
}

// TestPositiveControl_IgnoringPSetsBreaksAgreement: in the simulator's lock
// scenario one honest replica decides a block and is cut off while the
// others only prepared it; a NEW-VIEW that ignores the P sets lets a new
// primary propose another block at that height, and the others decide it
// (or commit a null request, which halts them). The checker must catch
// that within a bounded number of seeds, and the correct core must stay
// safe and live on the same seeds.
func TestPositiveControl_IgnoringPSetsBreaksAgreement(t *testing.T) {
	seed, res, found := firstSafetyViolation(t, withBug("ignore-p-set"))
	if !found {
		t.Fatalf("no agreement violation or halt in %d seeds of the %s scenario", controlSeeds, sim.LockScenario)
	}
	t.Logf("seed %d: %s", seed, res.Violations[0])
	for s := uint64(1); s <= max(seed, cleanSeeds); s++ {
		res := run(t, withBug(""), s)
		for _, v := range res.Violations {
			t.Errorf("correct core, seed %d: %s\n%s", s, v, res.ReplayCommand())
		}
	}
}

// firstSafetyViolation returns the first seed whose run broke agreement or
// halted an honest replica on a broken invariant (a committed null request
// or a second commit for a sequence number).
func firstSafetyViolation(t *testing.T, p sim.Protocol) (uint64, sim.Result, bool) {
	t.Helper()
	for seed := uint64(1); seed <= controlSeeds; seed++ {
		res := run(t, p, seed)
		for _, v := range res.Violations {
			if v.Kind == "agreement" || v.Kind == "halt" {
				return seed, res, true
			}
		}
	}
	return 0, sim.Result{}, false
}

func run(t *testing.T, p sim.Protocol, seed uint64) sim.Result {
	t.Helper()
	res, err := sim.Run(sim.Options{Protocol: p, Scenario: sim.LockScenario, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return res
}
