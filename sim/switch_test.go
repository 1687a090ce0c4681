package sim_test

import (
	"testing"

	"github.com/bftnode/bftnode/sim"
	"github.com/bftnode/bftnode/sim/protocols"
)

// TestSwitchSweep runs a few seeds of every family for chains that switch
// protocol, in both directions: no violation of any kind, and every run
// passes the switch height.
func TestSwitchSweep(t *testing.T) {
	for _, p := range protocols.Switching() {
		for _, fam := range sim.Families {
			t.Run(p.Name+"/"+fam, func(t *testing.T) {
				t.Parallel()
				for seed := uint64(1); seed <= switchSeeds; seed++ {
					res, err := sim.Run(sim.Options{Protocol: p, Scenario: fam, Seed: seed})
					if err != nil {
						t.Fatal(err)
					}
					if res.Switches == 0 {
						t.Errorf("seed %d: no node switched protocol", seed)
					}
					for _, v := range res.Violations {
						t.Errorf("seed %d: %s", seed, v)
					}
					if res.Failed() {
						t.Logf("replay: %s", res.ReplayCommand())
					}
				}
			})
		}
	}
}

// switchSeeds is how many seeds per family make test runs for each
// switching chain; make sim runs them with the other protocols.
const switchSeeds = 3

// TestSwitchFamilyCrashesAroundTheSwitch: the switch family's crash does
// happen, and every node hands over (a restarted one again, live or from
// its log).
func TestSwitchFamilyCrashesAroundTheSwitch(t *testing.T) {
	for _, p := range protocols.Switching() {
		crashes := 0
		for seed := uint64(1); seed <= 6; seed++ {
			res, err := sim.Run(sim.Options{Protocol: p, Scenario: sim.SwitchScenario, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range res.Violations {
				t.Errorf("%s seed %d: %s", p.Name, seed, v)
			}
			if res.Switches < len(res.Powers) {
				t.Errorf("%s seed %d: %d hand-overs for %d validators", p.Name, seed, res.Switches, len(res.Powers))
			}
			crashes += res.Crashes
		}
		if crashes == 0 {
			t.Errorf("%s: no crash in 6 seeds of the switch family", p.Name)
		}
	}
}

// TestSplitSchedulesAreCaught is the positive control: honest nodes of
// which every other one switches a height later (what the handshake's
// schedule check keeps from happening) must be caught by the checker.
func TestSplitSchedulesAreCaught(t *testing.T) {
	defer sim.SetSplitSchedules()()
	for _, p := range protocols.Switching() {
		caught := false
		for seed := uint64(1); seed <= 10 && !caught; seed++ {
			res, err := sim.Run(sim.Options{Protocol: p, Scenario: "happy", Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			if res.Failed() {
				caught = true
				t.Logf("%s seed %d: %s", p.Name, seed, res.Violations[0])
			}
		}
		if !caught {
			t.Errorf("%s: honest nodes on two schedules went unnoticed in 10 seeds", p.Name)
		}
	}
}
