package node

import (
	"fmt"

	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/engine"
	"github.com/bftnode/bftnode/pbft"
	"github.com/bftnode/bftnode/tendermint"
)

// coreFactory maps the [consensus] section onto the chosen protocol.
func coreFactory(c config.ConsensusConfig, initialHeight int64) (engine.CoreFactory, error) {
	switch c.Protocol {
	case config.ProtocolTendermint:
		tc := tendermint.DefaultConfig()
		tc.TimeoutPropose, tc.TimeoutProposeDelta = c.TimeoutPropose, c.TimeoutProposeDelta
		tc.TimeoutPrevote, tc.TimeoutPrevoteDelta = c.TimeoutPrevote, c.TimeoutPrevoteDelta
		tc.TimeoutPrecommit, tc.TimeoutPrecommitDelta = c.TimeoutPrecommit, c.TimeoutPrecommitDelta
		tc.TimeoutCommit = c.TimeoutCommit
		tc.CreateEmptyBlocks, tc.EmptyBlockInterval = c.CreateEmptyBlocks, c.CreateEmptyBlocksInterval
		tc.RetransmitInterval = c.RetransmitInterval
		tc.InitialHeight = initialHeight
		if err := tc.Validate(); err != nil {
			return nil, err
		}
		return func(self []byte, genesis *consensus.ValidatorSet, snapshot []byte) (consensus.Core, error) {
			return tendermint.New(tc, self, genesis, snapshot)
		}, nil
	case config.ProtocolPBFT:
		pc := pbft.DefaultConfig()
		pc.CheckpointInterval, pc.WatermarkWindow = c.CheckpointInterval, c.WatermarkWindow
		pc.ViewChangeTimeout = c.ViewChangeTimeout
		pc.CreateEmptyBlocks, pc.EmptyBlockInterval = c.CreateEmptyBlocks, c.CreateEmptyBlocksInterval
		pc.RetransmitInterval = c.RetransmitInterval
		pc.InitialHeight = initialHeight
		if err := pc.Validate(); err != nil {
			return nil, err
		}
		return func(self []byte, genesis *consensus.ValidatorSet, snapshot []byte) (consensus.Core, error) {
			return pbft.New(pc, self, genesis, snapshot)
		}, nil
	}
	return nil, fmt.Errorf("[consensus] protocol %q: want %q or %q", c.Protocol, config.ProtocolTendermint, config.ProtocolPBFT)
}
