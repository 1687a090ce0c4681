package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/sim"
	"github.com/bftnode/bftnode/sim/protocols"
)

// sweepSeeds is how many seeds per protocol and family make test runs;
// make sim runs many more.
const sweepSeeds = 6

// TestSweep runs a few seeds of every family for both cores: no
// violation of any kind.
func TestSweep(t *testing.T) {
	for _, p := range protocols.All() {
		for _, fam := range sim.Families {
			t.Run(p.Name+"/"+fam, func(t *testing.T) {
				t.Parallel()
				for seed := uint64(1); seed <= sweepSeeds; seed++ {
					res, err := sim.Run(sim.Options{Protocol: p, Scenario: fam, Seed: seed})
					if err != nil {
						t.Fatal(err)
					}
					if res.Decided == 0 {
						t.Errorf("seed %d decided nothing", seed)
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

// TestBeyondOneThirdIsCaught is the positive control: with f+1 of four
// equal validators Byzantine, equivocation and twins must break agreement
// within a few seeds, or the checker (or the attack) is broken.
func TestBeyondOneThirdIsCaught(t *testing.T) {
	for _, p := range protocols.All() {
		for _, fam := range []string{"equivocate", "twins"} {
			t.Run(p.Name+"/"+fam, func(t *testing.T) {
				t.Parallel()
				for seed := uint64(1); seed <= 10; seed++ {
					res, err := sim.Run(sim.Options{Protocol: p, Scenario: fam, Seed: seed, Validators: 4, Powers: "equal", Byzantine: 2})
					if err != nil {
						t.Fatal(err)
					}
					for _, v := range res.Violations {
						if v.Kind == "agreement" {
							t.Logf("seed %d: %s", seed, v)
							return
						}
					}
				}
				t.Fatal("2 of 4 validators Byzantine and no agreement violation in 10 seeds")
			})
		}
	}
}

// TestValSetNeedsTheNewPowers is the valset family's positive control: a
// PBFT core that is never told the new powers (every Executed carries the
// genesis set) decides with commits that are quorums of the old powers
// only, which the checker refuses within a few seeds.
func TestValSetNeedsTheNewPowers(t *testing.T) {
	p, err := protocols.Lookup("pbft")
	if err != nil {
		t.Fatal(err)
	}
	deaf := p[0]
	deaf.Name = "pbft-without-new-powers"
	inner := deaf.New
	deaf.New = func(self []byte, genesis *consensus.ValidatorSet, snapshot []byte) (consensus.Core, error) {
		c, err := inner(self, genesis, snapshot)
		return oldPowers{c, genesis.Copy()}, err
	}
	for seed := uint64(1); seed <= 40; seed++ {
		res, err := sim.Run(sim.Options{Protocol: deaf, Scenario: sim.ValSetScenario, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range res.Violations {
			if v.Kind == "commit" {
				t.Logf("seed %d: %s", seed, v)
				return
			}
		}
	}
	t.Fatal("a core deaf to new powers and no commit violation in 40 seeds")
}

// oldPowers hands its core the genesis set as every next set.
type oldPowers struct {
	consensus.Core
	genesis *consensus.ValidatorSet
}

func (o oldPowers) Step(in consensus.Input) ([]consensus.Action, error) {
	if e, ok := in.(consensus.Executed); ok {
		e.Next = o.genesis.Copy()
		in = e
	}
	return o.Core.Step(in)
}

// TestCoresAreDeterministic: the same seed gives the same run, which the
// write-ahead log replay relies on as much as the simulator does.
func TestCoresAreDeterministic(t *testing.T) {
	for _, p := range protocols.All() {
		for _, fam := range []string{"crash", "mixed"} {
			o := sim.Options{Protocol: p, Scenario: fam, Seed: 11}
			a, errA := sim.Run(o)
			b, errB := sim.Run(o)
			if errA != nil || errB != nil {
				t.Fatal(errA, errB)
			}
			if a.Digest != b.Digest || a.Decided != b.Decided || a.Events != b.Events {
				t.Errorf("%s/%s: one seed, two runs: digest %x/%x decided %d/%d events %d/%d", p.Name, fam, a.Digest, b.Digest, a.Decided, b.Decided, a.Events, b.Events)
			}
		}
	}
}

// TestPBFTViewChangeStress silences the primary right after every stable
// checkpoint: more than a thousand view changes, live and safe.
func TestPBFTViewChangeStress(t *testing.T) {
	p, err := protocols.Lookup("pbft")
	if err != nil {
		t.Fatal(err)
	}
	want := 1001
	if raceEnabled {
		want = 101 // the race detector makes the full stress take minutes
	}
	res, err := sim.Run(sim.Options{Protocol: p[0], Scenario: sim.StressScenario, Seed: 1, Validators: 4, ViewChanges: want})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range res.Violations {
		t.Error(v)
	}
	if res.ViewChanges < want || res.MaxRound < int32(want) {
		t.Fatalf("%d view changes, view %d reached; want %d", res.ViewChanges, res.MaxRound, want)
	}
	t.Logf("%d view changes, %d heights decided over all nodes, %v virtual", res.ViewChanges, res.Decided, res.End)
}

// FuzzSeed drives the simulator by seed over every protocol and family.
func FuzzSeed(f *testing.F) {
	for i := uint64(0); i < 4; i++ {
		f.Add(i, uint8(i), uint8(i))
	}
	all := protocols.All()
	f.Fuzz(func(t *testing.T, seed uint64, proto, family uint8) {
		p := all[int(proto)%len(all)]
		fam := sim.Families[int(family)%len(sim.Families)]
		res, err := sim.Run(sim.Options{Protocol: p, Scenario: fam, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed() {
			t.Fatalf("%s\n%s", fmt.Sprint(res.Violations), res.ReplayCommand())
		}
	})
}

// TestCensorNeedsTheRequestTimer is the censor family's positive control:
// with PBFT's request timer off, a primary that leaves one transaction out
// of every block keeps its view, and the checker reports the transaction
// censored; with it on (TestSweep), every seed commits it.
func TestCensorNeedsTheRequestTimer(t *testing.T) {
	cfg := protocols.PBFTConfig()
	cfg.RequestTimeout = 0
	p := protocols.PBFT(cfg)
	p.LivenessBound = 10 * time.Second // the timer is 400ms: ample, and short runs
	for seed := uint64(1); seed <= 3; seed++ {
		res, err := sim.Run(sim.Options{Protocol: p, Scenario: sim.CensorScenario, Seed: seed, Validators: 4, Heights: 6})
		if err != nil {
			t.Fatal(err)
		}
		censored := false
		for _, v := range res.Violations {
			censored = censored || v.Kind == "censored"
		}
		if !censored {
			t.Errorf("seed %d: the censored transaction was committed without the request timer: %v", seed, res.Violations)
		}
	}
}

// TestCensorVotesOutEveryCensor: with the request timer on, the honest
// replicas leave every censoring primary's view (two in a row when the
// successor censors too) and commit the transaction, idle or under load.
func TestCensorVotesOutEveryCensor(t *testing.T) {
	p := protocols.PBFT(protocols.PBFTConfig())
	twice := false
	for seed := uint64(1); seed <= 6; seed++ {
		res, err := sim.Run(sim.Options{Protocol: p, Scenario: sim.CensorScenario, Seed: seed, Validators: 7, Heights: 6})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range res.Violations {
			t.Errorf("seed %d: %s", seed, v)
		}
		if int(res.MaxRound) < len(res.Byzantine) {
			t.Errorf("seed %d: %d censors but the highest view was %d", seed, len(res.Byzantine), res.MaxRound)
		}
		twice = twice || len(res.Byzantine) == 2
	}
	if !twice {
		t.Error("no seed had a censoring successor")
	}
}
