package tendermint_test

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/sim"
	"github.com/bftnode/bftnode/sim/protocols"
	"github.com/bftnode/bftnode/tendermint"
)

// cleanSeeds is how many seeds, at least, the correct core must pass.
const cleanSeeds = 10

// controlSeeds bounds the search for a violation of a broken variant.
const controlSeeds = 200

// withBug is the simulation protocol of Tendermint with one deliberately
// broken lock rule in every core ("" for the correct core).
func withBug(bug string) sim.Protocol {
	p := protocols.Tendermint(protocols.TendermintConfig())
	if bug == "" {
		return p
	}
	return protocols.Variant(p, bug, func(c consensus.Core) { tendermint.EnableBug(c.(*tendermint.Core), bug) })
}

// TestPositiveControl_LockBugsBreakAgreement: the simulator's lock
// scenario (an honest validator decides and is cut off while the others
// are locked on its value; the Byzantine validators propose fresh values)
// must make a core that unlocks on a nil polka, or forgets its lock, decide
// two values at one height, while the correct core stays safe and live on
// the same seeds. A checker or scenario that misses the bugs fails here.
func TestPositiveControl_LockBugsBreakAgreement(t *testing.T) {
	for _, bug := range []string{"unlock-on-nil-polka", "forget-lock"} {
		t.Run(bug, func(t *testing.T) {
			t.Parallel()
			seed, res, found := firstAgreementViolation(t, withBug(bug))
			if !found {
				t.Fatalf("no agreement violation in %d seeds of the %s scenario", controlSeeds, sim.LockScenario)
			}
			t.Logf("seed %d: %s", seed, res.Violations[0])
			for s := uint64(1); s <= max(seed, cleanSeeds); s++ {
				res := run(t, withBug(""), s)
				for _, v := range res.Violations {
					t.Errorf("correct core, seed %d: %s\n%s", s, v, res.ReplayCommand())
				}
			}
		})
	}
}

// TestSecondVote_SafeAndNeededForLiveness: the core counts a validator's
// second, different vote of a slot for that value (see voteSet). A variant
// that counts only first votes must still be safe, but equivocators in the
// mixed family must be able to stall it for good (rounds go on and on
// after the network healed, and nothing is decided), while the real core
// stays live on the same seeds.
func TestSecondVote_SafeAndNeededForLiveness(t *testing.T) {
	const family, maxSeeds = "mixed", 100
	variant := withBug("first-vote-only")
	for seed := uint64(1); seed <= maxSeeds; seed++ {
		res, err := sim.Run(sim.Options{Protocol: variant, Scenario: family, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		stalled := false
		for _, v := range res.Violations {
			if v.Kind != "liveness" {
				t.Fatalf("first-vote-only variant, seed %d: %s: counting only first votes must stay safe", seed, v)
			}
			stalled = true
		}
		if !stalled {
			continue
		}
		t.Logf("seed %d: %s", seed, res.Violations[0])
		for s := uint64(1); s <= seed; s++ {
			res, err := sim.Run(sim.Options{Protocol: withBug(""), Scenario: family, Seed: s})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range res.Violations {
				t.Errorf("real core, seed %d: %s\n%s", s, v, res.ReplayCommand())
			}
		}
		return
	}
	t.Fatalf("counting only first votes never stalled in %d seeds of %s: the second vote would not be needed", maxSeeds, family)
}

// TestPositiveControl_StalePOLBreaksAgreement: the stalepol family (a
// polka hidden in round 0, then the honest validators locked on another
// value in a later round, then Byzantine proposers re-proposing with the
// stale POL round or a forged one) must make a core that ignores its lock
// at line 29 only, or that skips line 28's 2f+1 prevotes of the POL
// round, decide two values at one height, while the correct core stays
// safe and live on the same seeds. No other family caught the first in
// 40 seeds.
func TestPositiveControl_StalePOLBreaksAgreement(t *testing.T) {
	for _, bug := range []string{"ignore-stale-lock", "skip-pol-check"} {
		t.Run(bug, func(t *testing.T) {
			t.Parallel()
			seed, res, found := firstViolationIn(t, withBug(bug), sim.StalePOLScenario)
			if !found {
				t.Fatalf("no agreement violation in %d seeds of the %s scenario", controlSeeds, sim.StalePOLScenario)
			}
			t.Logf("seed %d: %s", seed, res.Violations[0])
			for s := uint64(1); s <= max(seed, cleanSeeds); s++ {
				res := runFamily(t, withBug(""), sim.StalePOLScenario, s)
				for _, v := range res.Violations {
					t.Errorf("correct core, seed %d: %s\n%s", s, v, res.ReplayCommand())
				}
			}
		})
	}
}

func firstAgreementViolation(t *testing.T, p sim.Protocol) (uint64, sim.Result, bool) {
	t.Helper()
	return firstViolationIn(t, p, sim.LockScenario)
}

func firstViolationIn(t *testing.T, p sim.Protocol, family string) (uint64, sim.Result, bool) {
	t.Helper()
	for seed := uint64(1); seed <= controlSeeds; seed++ {
		res := runFamily(t, p, family, seed)
		for _, v := range res.Violations {
			if v.Kind == "agreement" {
				return seed, res, true
			}
		}
	}
	return 0, sim.Result{}, false
}

func run(t *testing.T, p sim.Protocol, seed uint64) sim.Result {
	t.Helper()
	return runFamily(t, p, sim.LockScenario, seed)
}

func runFamily(t *testing.T, p sim.Protocol, family string, seed uint64) sim.Result {
	t.Helper()
	res, err := sim.Run(sim.Options{Protocol: p, Scenario: family, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return res
}
