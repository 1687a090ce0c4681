package sim_test

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/sim"
	"github.com/bftnode/bftnode/sim/protocols"
)

// newViewHeard is one NEW-VIEW a PBFT core stepped, with where the core
// was before and after.
type newViewHeard struct {
	before, after consensus.Status
	view          int32
	signer        int32
}

// viewRecorder is a core that notes every NEW-VIEW it steps.
type viewRecorder struct {
	consensus.Core
	heard *[]newViewHeard
}

func (r viewRecorder) Step(in consensus.Input) ([]consensus.Action, error) {
	nv, ok := in.(consensus.Receive)
	before := r.Core.Status()
	acts, err := r.Core.Step(in)
	if m, isNV := nv.Msg.(*consensus.NewView); ok && isNV {
		*r.heard = append(*r.heard, newViewHeard{before: before, after: r.Core.Status(), view: m.View, signer: m.Validator})
	}
	return acts, err
}

// The laggard family's point: with four validators, some replica is still
// active in view 1 when it hears the NEW-VIEW of view 5, which view 1's
// primary (validator 1) signs again, and enters view 5 by it. A core that
// took that NEW-VIEW for a second one of view 1 would report evidence
// against an honest primary (see the family's doc).
func TestLaggardHearsItsPrimaryAgainWhileInItsView(t *testing.T) {
	p := protocols.PBFT(protocols.PBFTConfig())
	for seed := uint64(1); seed <= 3; seed++ {
		var heard []newViewHeard
		rec := p
		rec.New = func(self []byte, genesis *consensus.ValidatorSet, snapshot []byte) (consensus.Core, error) {
			c, err := p.New(self, genesis, snapshot)
			return viewRecorder{Core: c, heard: &heard}, err
		}
		res, err := sim.Run(sim.Options{Protocol: rec, Scenario: sim.LaggardScenario, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range res.Violations {
			t.Errorf("seed %d: %s", seed, v)
		}
		if len(res.Powers) != 4 || res.Crashes != 1 {
			t.Fatalf("seed %d: %d validators and %d crashes, want 4 and the sleeper's 1", seed, len(res.Powers), res.Crashes)
		}
		found := false
		for _, h := range heard {
			if h.before.Round == 1 && h.before.Step == "normal" && h.view == 5 && h.signer == 1 && h.after.Round == 5 {
				found = true
			}
		}
		if !found {
			t.Errorf("seed %d: no replica active in view 1 entered view 5 by validator 1's NEW-VIEW; heard %+v", seed, heard)
		}
	}
}
