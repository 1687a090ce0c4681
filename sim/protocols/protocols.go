package protocols

import (
	"fmt"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/pbft"
	"github.com/bftnode/bftnode/sim"
	"github.com/bftnode/bftnode/tendermint"
)

// TendermintConfig is the Tendermint configuration of simulations.
func TendermintConfig() tendermint.Config {
	cfg := tendermint.DefaultConfig()
	cfg.TimeoutPropose, cfg.TimeoutProposeDelta = 150*time.Millisecond, 50*time.Millisecond
	cfg.TimeoutPrevote, cfg.TimeoutPrevoteDelta = 50*time.Millisecond, 25*time.Millisecond
	cfg.TimeoutPrecommit, cfg.TimeoutPrecommitDelta = 50*time.Millisecond, 25*time.Millisecond
	cfg.EmptyBlockInterval = 200 * time.Millisecond
	cfg.RetransmitInterval = 100 * time.Millisecond
	return cfg
}

// PBFTConfig is the PBFT configuration of simulations: a checkpoint every
// sim.CheckpointInterval blocks.
func PBFTConfig() pbft.Config {
	cfg := pbft.DefaultConfig()
	cfg.CheckpointInterval = sim.CheckpointInterval
	cfg.WatermarkWindow = 20
	cfg.ViewChangeTimeout = 200 * time.Millisecond
	cfg.RequestTimeout = 2 * cfg.ViewChangeTimeout // as [consensus] request_timeout derives it
	cfg.EmptyBlockInterval = 200 * time.Millisecond
	cfg.RetransmitInterval = 100 * time.Millisecond
	return cfg
}

// Tendermint runs the Tendermint core with cfg.
func Tendermint(cfg tendermint.Config) sim.Protocol {
	return sim.Protocol{
		Name: "tendermint",
		New: func(self []byte, genesis *consensus.ValidatorSet, snapshot []byte) (consensus.Core, error) {
			return tendermint.New(cfg, self, genesis, snapshot)
		},
		NewAt: func(self []byte, first int64, vals *consensus.ValidatorSet, snapshot []byte) (consensus.Core, error) {
			c := cfg
			c.InitialHeight = first
			return tendermint.New(c, self, vals, snapshot)
		},
	}
}

// PBFT runs the PBFT core with cfg. Null requests decide Nil.
func PBFT(cfg pbft.Config) sim.Protocol {
	return sim.Protocol{
		Name: "pbft",
		New: func(self []byte, genesis *consensus.ValidatorSet, snapshot []byte) (consensus.Core, error) {
			return pbft.New(cfg, self, genesis, snapshot)
		},
		NewAt: func(self []byte, first int64, vals *consensus.ValidatorSet, snapshot []byte) (consensus.Core, error) {
			c := cfg
			c.InitialHeight = first
			return pbft.New(c, self, vals, snapshot)
		},
		NilDecisions: true,
		StableViews:  true,
		Stable:       pbftStable,
	}
}

// pbftStable is a PBFT core's stable checkpoint; none before the first.
func pbftStable(c consensus.Core) (int64, []byte, bool) {
	p, ok := c.(*pbft.Core)
	if !ok {
		return 0, nil, false
	}
	st := p.State()
	return st.StableHeight, st.StableAppHash, len(st.StableAppHash) > 0
}

// All is both protocols with their simulation configurations.
func All() []sim.Protocol {
	return []sim.Protocol{Tendermint(TendermintConfig()), PBFT(PBFTConfig())}
}

// SwitchHeight is where the switching chains of simulations change
// protocol: past PBFT's first checkpoint (5), so that both a snapshot of
// the first protocol and a hand-over before the next one are exercised.
const SwitchHeight = 7

// Switching is a chain of each protocol that switches to the other at
// SwitchHeight ("tendermint-pbft", "pbft-tendermint").
func Switching() []sim.Protocol {
	t, p := Tendermint(TendermintConfig()), PBFT(PBFTConfig())
	return []sim.Protocol{sim.Switch(t, p, SwitchHeight), sim.Switch(p, t, SwitchHeight)}
}

// Lookup finds protocols by name; "all" is every protocol and both
// switching chains.
func Lookup(name string) ([]sim.Protocol, error) {
	every := append(All(), Switching()...)
	if name == "all" {
		return every, nil
	}
	for _, p := range every {
		if p.Name == name {
			return []sim.Protocol{p}, nil
		}
	}
	return nil, fmt.Errorf("unknown protocol %q: use tendermint, pbft, tendermint-pbft, pbft-tendermint or all", name)
}

// Variant is p with every core it builds changed by alter first (a
// deliberately broken rule, say), named p.Name+"-"+suffix so that output
// and replay commands tell it from p. The cores' tests build their
// positive controls with it.
func Variant(p sim.Protocol, suffix string, alter func(consensus.Core)) sim.Protocol {
	build := p.New
	p.Name += "-" + suffix
	p.New = func(self []byte, genesis *consensus.ValidatorSet, snapshot []byte) (consensus.Core, error) {
		c, err := build(self, genesis, snapshot)
		if err != nil {
			return nil, err
		}
		alter(c)
		return c, nil
	}
	return p
}
