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
// 5 blocks.
func PBFTConfig() pbft.Config {
	cfg := pbft.DefaultConfig()
	cfg.CheckpointInterval = 5
	cfg.WatermarkWindow = 20
	cfg.ViewChangeTimeout = 200 * time.Millisecond
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
	}
}

// PBFT runs the PBFT core with cfg. Null requests decide Nil.
func PBFT(cfg pbft.Config) sim.Protocol {
	return sim.Protocol{
		Name: "pbft",
		New: func(self []byte, genesis *consensus.ValidatorSet, snapshot []byte) (consensus.Core, error) {
			return pbft.New(cfg, self, genesis, snapshot)
		},
		NilDecisions: true,
	}
}

// All is both protocols with their simulation configurations.
func All() []sim.Protocol {
	return []sim.Protocol{Tendermint(TendermintConfig()), PBFT(PBFTConfig())}
}

// Lookup finds protocols by name; "all" is every protocol.
func Lookup(name string) ([]sim.Protocol, error) {
	if name == "all" {
		return All(), nil
	}
	for _, p := range All() {
		if p.Name == name {
			return []sim.Protocol{p}, nil
		}
	}
	return nil, fmt.Errorf("unknown protocol %q: use tendermint, pbft or all", name)
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
