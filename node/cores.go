package node

import (
	"fmt"

	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/engine"
	"github.com/bftnode/bftnode/pbft"
	"github.com/bftnode/bftnode/tendermint"
)

// protocols are the cores a node can run.
var protocols = []string{config.ProtocolTendermint, config.ProtocolPBFT}

// schedule is the [consensus] section's protocol schedule, checked against
// the chain's first height: the first protocol decides at least one block.
func schedule(c config.ConsensusConfig, initialHeight int64) (consensus.Schedule, error) {
	s := consensus.Schedule{Protocol: c.Protocol, SwitchHeight: c.SwitchHeight, SwitchProtocol: c.SwitchProtocol}
	if s.Switches() && s.SwitchHeight <= initialHeight {
		return s, fmt.Errorf("[consensus] switch_height = %d: must be above the genesis initial_height %d, so that %s decides at least one block",
			s.SwitchHeight, initialHeight, s.Protocol)
	}
	return s, nil
}

// coreFactory maps the [consensus] section onto the cores of both
// protocols; the engine asks for the one the schedule names.
func coreFactory(c config.ConsensusConfig) (engine.CoreFactory, error) {
	tc := tendermintConfig(c)
	pc := pbftConfig(c)
	if err := tc.Validate(); err != nil {
		return nil, err
	}
	if err := pc.Validate(); err != nil {
		return nil, err
	}
	return func(protocol string, self []byte, first int64, vals *consensus.ValidatorSet, snapshot []byte) (consensus.Core, error) {
		switch protocol {
		case config.ProtocolTendermint:
			tc := tc
			tc.InitialHeight = first
			return tendermint.New(tc, self, vals, snapshot)
		case config.ProtocolPBFT:
			pc := pc
			pc.InitialHeight = first
			return pbft.New(pc, self, vals, snapshot)
		}
		return nil, fmt.Errorf("[consensus] protocol %q: want %q or %q", protocol, config.ProtocolTendermint, config.ProtocolPBFT)
	}, nil
}

func tendermintConfig(c config.ConsensusConfig) tendermint.Config {
	tc := tendermint.DefaultConfig()
	tc.TimeoutPropose, tc.TimeoutProposeDelta = c.TimeoutPropose, c.TimeoutProposeDelta
	tc.TimeoutPrevote, tc.TimeoutPrevoteDelta = c.TimeoutPrevote, c.TimeoutPrevoteDelta
	tc.TimeoutPrecommit, tc.TimeoutPrecommitDelta = c.TimeoutPrecommit, c.TimeoutPrecommitDelta
	tc.TimeoutCommit = c.TimeoutCommit
	tc.CreateEmptyBlocks, tc.EmptyBlockInterval = c.CreateEmptyBlocks, c.CreateEmptyBlocksInterval
	tc.RetransmitInterval = c.RetransmitInterval
	return tc
}

func pbftConfig(c config.ConsensusConfig) pbft.Config {
	pc := pbft.DefaultConfig()
	pc.CheckpointInterval, pc.WatermarkWindow = c.CheckpointInterval, c.WatermarkWindow
	pc.ViewChangeTimeout = c.ViewChangeTimeout
	pc.RequestTimeout = c.RequestTimer()
	pc.TimeoutCommit = c.TimeoutCommit
	pc.CreateEmptyBlocks, pc.EmptyBlockInterval = c.CreateEmptyBlocks, c.CreateEmptyBlocksInterval
	pc.RetransmitInterval = c.RetransmitInterval
	return pc
}
