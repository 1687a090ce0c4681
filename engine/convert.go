package engine

import (
	"bytes"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
	"github.com/cometbft/cometbft/types"
)

// toConsensusSet converts a CometBFT validator set, priorities and
// proposer included, to the cores' form. The order is kept, so validator
// indices agree with CometBFT's commits.
func toConsensusSet(vs *types.ValidatorSet) *consensus.ValidatorSet {
	if vs == nil || vs.Size() == 0 {
		return nil
	}
	vals := make([]consensus.Validator, len(vs.Validators))
	proposer := int32(0)
	p := vs.GetProposer()
	for i, v := range vs.Validators {
		vals[i] = consensus.Validator{Address: v.Address, PubKey: v.PubKey.Bytes(), Power: v.VotingPower, ProposerPriority: v.ProposerPriority}
		if p != nil && bytes.Equal(p.Address, v.Address) {
			proposer = int32(i)
		}
	}
	set, err := consensus.ValidatorSetFromExisting(vals, proposer)
	if err != nil {
		// A CometBFT set that passed its own checks always converts.
		panic(fmt.Sprintf("converting a validator set: %v", err))
	}
	return set
}

// genesisValidators is the set of the chain's first height, after the
// application's InitChain had its say.
func (e *Engine) genesisValidators() (*consensus.ValidatorSet, error) {
	if e.state.LastBlockHeight == 0 {
		return toConsensusSet(e.state.Validators), nil
	}
	first := e.firstHeight()
	vs, err := e.p.States.LoadValidators(first)
	if err != nil {
		return nil, fmt.Errorf("validators of the first height %d: %w", first, err)
	}
	return toConsensusSet(vs), nil
}
