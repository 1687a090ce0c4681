package state

import (
	"errors"
	"fmt"
	"time"

	"github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"
)

// MakeBlock builds the block at height that follows s, carrying txs (as
// PrepareProposal returned them), the commit of the previous height, the
// evidence to include, the proposer's address and the block time (see
// BlockTime). It fills every header field the way CometBFT v0.38 does and
// returns the block with its part set and BlockID. For the first block
// lastCommit may be nil: it carries an empty commit.
func MakeBlock(
	s State, height int64, txs []types.Tx, lastCommit *types.Commit,
	evidence []types.Evidence, proposer types.Address, blockTime time.Time,
) (*types.Block, *types.PartSet, types.BlockID, error) {
	if height != s.NextHeight() {
		return nil, nil, types.BlockID{}, fmt.Errorf("cannot make block %d: the state expects height %d next", height, s.NextHeight())
	}
	if lastCommit == nil {
		if height != s.InitialHeight {
			return nil, nil, types.BlockID{}, fmt.Errorf("cannot make block %d without the commit of height %d", height, height-1)
		}
		lastCommit = &types.Commit{}
	}
	block := &types.Block{
		Header: types.Header{
			Version:            s.Version.Consensus,
			ChainID:            s.ChainID,
			Height:             height,
			Time:               cmttime.Canonical(blockTime),
			LastBlockID:        s.LastBlockID,
			LastCommitHash:     lastCommit.Hash(),
			ValidatorsHash:     s.Validators.Hash(),
			NextValidatorsHash: s.NextValidators.Hash(),
			ConsensusHash:      s.ConsensusParams.Hash(),
			AppHash:            s.AppHash,
			LastResultsHash:    s.LastResultsHash,
			ProposerAddress:    proposer,
		},
		Data:       types.Data{Txs: txs},
		Evidence:   types.EvidenceData{Evidence: evidence},
		LastCommit: lastCommit,
	}
	block.DataHash = block.Data.Hash()
	block.EvidenceHash = block.Evidence.Hash()
	parts, err := block.MakePartSet(types.BlockPartSizeBytes)
	if err != nil {
		return nil, nil, types.BlockID{}, fmt.Errorf("splitting block %d into parts: %w", height, err)
	}
	return block, parts, types.BlockID{Hash: block.Hash(), PartSetHeader: parts.Header()}, nil
}

// BlockTime is the time of the block that follows s and carries lastCommit:
// the genesis time for the first block, otherwise CometBFT's median time,
// the timestamp of lastCommit's signatures weighted by voting power in
// s.LastValidators. Faulty validators holding less than a third of the power
// cannot move it outside the honest validators' timestamps.
func BlockTime(s State, lastCommit *types.Commit) (time.Time, error) {
	if s.LastBlockHeight == 0 {
		return s.LastBlockTime, nil
	}
	return MedianTime(lastCommit, s.LastValidators)
}

// MedianTime is the voting-power weighted median of the timestamps of the
// commit's present signatures. Every signer must be in vals.
func MedianTime(commit *types.Commit, vals *types.ValidatorSet) (time.Time, error) {
	if commit == nil || vals == nil {
		return time.Time{}, errors.New("median time needs a commit and its validator set")
	}
	weighted := make([]*cmttime.WeightedTime, 0, len(commit.Signatures))
	var total int64
	for _, sig := range commit.Signatures {
		if sig.BlockIDFlag == types.BlockIDFlagAbsent {
			continue
		}
		_, val := vals.GetByAddress(sig.ValidatorAddress)
		if val == nil {
			return time.Time{}, fmt.Errorf("commit of height %d is signed by %X, which is not in its validator set", commit.Height, sig.ValidatorAddress)
		}
		total += val.VotingPower
		weighted = append(weighted, cmttime.NewWeightedTime(sig.Timestamp, val.VotingPower))
	}
	if total == 0 {
		return time.Time{}, fmt.Errorf("commit of height %d has no signatures to take a time from", commit.Height)
	}
	return cmttime.WeightedMedian(weighted, total), nil
}
