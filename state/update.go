package state

import (
	"bytes"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	cryptoenc "github.com/cometbft/cometbft/crypto/encoding"
	"github.com/cometbft/cometbft/types"
)

// Update returns the state after the block identified by blockID, with the
// given header, was executed and the app answered FinalizeBlock with resp.
// It follows CometBFT v0.38's state update:
//
//   - the validator updates change a copy of NextValidators, so they sign
//     from header.Height+2 (LastHeightValidatorsChanged records that);
//   - every set moves one place along (Next becomes current, current
//     becomes last) and the new next set advances its proposer priorities
//     by one block;
//   - consensus parameter updates apply from header.Height+1, after being
//     validated, and may change the app version;
//   - LastResultsHash is the Merkle root of the deterministic fields of the
//     tx results, AppHash the app hash FinalizeBlock returned.
//
// Bad validator or parameter updates from the app give an error and the
// state s unchanged: the caller must halt rather than commit the block.
func Update(s State, blockID types.BlockID, header *types.Header, resp *abci.ResponseFinalizeBlock) (State, error) {
	if header == nil || resp == nil {
		return s, errors.New("updating state: header or FinalizeBlock response is missing")
	}
	if header.Height != s.NextHeight() {
		return s, fmt.Errorf("updating state: block %d does not follow the state at height %d", header.Height, s.LastBlockHeight)
	}
	for i, r := range resp.TxResults {
		if r == nil {
			return s, fmt.Errorf("updating state after block %d: FinalizeBlock returned no result for tx %d", header.Height, i)
		}
	}
	next := s.Copy()
	nextVals, changedAt, err := nextValidators(s, header.Height, resp.ValidatorUpdates)
	if err != nil {
		return s, fmt.Errorf("updating state after block %d: the app's validator updates are invalid: %w", header.Height, err)
	}
	params, paramsChangedAt, err := nextParams(s, header.Height, resp)
	if err != nil {
		return s, fmt.Errorf("updating state after block %d: the app's consensus param updates are invalid: %w", header.Height, err)
	}
	if resp.ConsensusParamUpdates != nil {
		next.Version.Consensus.App = params.Version.App
	}
	next.LastBlockHeight = header.Height
	next.LastBlockID = copyBlockID(blockID)
	next.LastBlockTime = header.Time
	next.LastValidators = copySet(s.Validators)
	next.Validators = copySet(s.NextValidators)
	next.NextValidators = nextVals
	next.LastHeightValidatorsChanged = changedAt
	next.ConsensusParams = params
	next.LastHeightConsensusParamsChanged = paramsChangedAt
	next.LastResultsHash = types.NewResults(resp.TxResults).Hash()
	next.AppHash = bytes.Clone(resp.AppHash)
	return next, nil
}

// nextValidators applies the app's updates to a copy of s.NextValidators
// and advances its proposer priorities by one block. It returns the new set
// and the height its membership last changed.
func nextValidators(s State, height int64, updates []abci.ValidatorUpdate) (*types.ValidatorSet, int64, error) {
	set := s.NextValidators.Copy()
	changedAt := s.LastHeightValidatorsChanged
	if len(updates) > 0 {
		if err := validateValidatorUpdates(updates, s.ConsensusParams.Validator); err != nil {
			return nil, 0, err
		}
		changes, err := types.PB2TM.ValidatorUpdates(updates)
		if err != nil {
			return nil, 0, err
		}
		if err := set.UpdateWithChangeSet(changes); err != nil {
			return nil, 0, err
		}
		// Results of height h decide the set of h+2: h+1's set is already
		// fixed in h+1's header (NextValidatorsHash of block h).
		changedAt = height + 2
	}
	set.IncrementProposerPriority(1)
	return set, changedAt, nil
}

// validateValidatorUpdates rejects negative powers and keys of a type the
// consensus parameters do not allow. A power of 0 removes a validator and
// needs no usable key.
func validateValidatorUpdates(updates []abci.ValidatorUpdate, params types.ValidatorParams) error {
	for i, u := range updates {
		if u.Power < 0 {
			return fmt.Errorf("update %d has negative voting power %d", i, u.Power)
		}
		if u.Power == 0 {
			continue
		}
		pk, err := cryptoenc.PubKeyFromProto(u.PubKey)
		if err != nil {
			return fmt.Errorf("update %d: %w", i, err)
		}
		if !types.IsValidPubkeyType(params, pk.Type()) {
			return fmt.Errorf("update %d uses a %s key, which the consensus params do not allow (allowed: %v)", i, pk.Type(), params.PubKeyTypes)
		}
	}
	return nil
}

// nextParams applies the app's consensus parameter updates, which take
// effect at height+1.
func nextParams(s State, height int64, resp *abci.ResponseFinalizeBlock) (types.ConsensusParams, int64, error) {
	if resp.ConsensusParamUpdates == nil {
		return s.ConsensusParams, s.LastHeightConsensusParamsChanged, nil
	}
	params := s.ConsensusParams.Update(resp.ConsensusParamUpdates)
	if err := params.ValidateBasic(); err != nil {
		return types.ConsensusParams{}, 0, err
	}
	if err := s.ConsensusParams.ValidateUpdate(resp.ConsensusParamUpdates, height); err != nil {
		return types.ConsensusParams{}, 0, err
	}
	return params, height + 1, nil
}

// CheckFinalizeBlockResponse checks that resp answers FinalizeBlock for
// block: one tx result per transaction, none missing. An app that breaks
// this cannot be followed safely.
func CheckFinalizeBlockResponse(block *types.Block, resp *abci.ResponseFinalizeBlock) error {
	if block == nil || resp == nil {
		return errors.New("block or FinalizeBlock response is missing")
	}
	if len(resp.TxResults) != len(block.Txs) {
		return fmt.Errorf("FinalizeBlock for block %d returned %d tx results for %d txs", block.Height, len(resp.TxResults), len(block.Txs))
	}
	for i, r := range resp.TxResults {
		if r == nil {
			return fmt.Errorf("FinalizeBlock for block %d returned no result for tx %d", block.Height, i)
		}
	}
	return nil
}
