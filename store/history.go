package store

import (
	"fmt"
	"math"

	cmtstate "github.com/cometbft/cometbft/proto/tendermint/state"
	"github.com/cometbft/cometbft/types"
	"github.com/syndtr/goleveldb/leveldb"

	"github.com/bftnode/bftnode/state"
)

// checkpointInterval: every this many heights the full validator set is
// stored even if unchanged, bounding how many proposer-priority steps
// LoadValidators replays.
var checkpointInterval int64 = 100_000

// putValidators records the set signing height, which last changed at
// changed: in full if it changed at height or height is a checkpoint,
// otherwise only the change height.
func putValidators(batch *leveldb.Batch, height, changed int64, set *types.ValidatorSet) error {
	if changed > height || changed < 1 {
		return fmt.Errorf("validators of height %d say they changed at height %d", height, changed)
	}
	info := cmtstate.ValidatorsInfo{LastHeightChanged: changed}
	if changed == height || height%checkpointInterval == 0 {
		pb, err := set.ToProto()
		if err != nil {
			return fmt.Errorf("encoding the validators of height %d: %w", height, err)
		}
		info.ValidatorSet = pb
	}
	bz, err := info.Marshal()
	if err != nil {
		return fmt.Errorf("encoding the validators of height %d: %w", height, err)
	}
	batch.Put(heightKey(prefixValidators, height), bz)
	return nil
}

// LoadValidators returns the validator set, with proposer priorities, that
// signs height, or an error wrapping ErrNotFound if the store has not
// recorded it (heights before the chain or beyond the next two).
func (ss *StateStore) LoadValidators(height int64) (*types.ValidatorSet, error) {
	info, err := ss.loadValidatorsInfo(height)
	if err != nil {
		return nil, err
	}
	if info.ValidatorSet != nil {
		return decodeSet(info, height)
	}
	if info.LastHeightChanged > height || info.LastHeightChanged < 1 {
		return nil, corrupted("validators", height, fmt.Errorf("they say they changed at height %d", info.LastHeightChanged))
	}
	// The set is stored in full at its change height and at checkpoints;
	// take the closest one at or below height.
	from := max(height-height%checkpointInterval, info.LastHeightChanged)
	full, err := ss.loadValidatorsInfo(from)
	if err == nil && full.ValidatorSet == nil && from != info.LastHeightChanged {
		from = info.LastHeightChanged
		full, err = ss.loadValidatorsInfo(from)
	}
	if err != nil {
		return nil, corrupted("validators", height, fmt.Errorf("the full set of height %d is unavailable: %w", from, err))
	}
	if full.ValidatorSet == nil {
		return nil, corrupted("validators", height, fmt.Errorf("height %d holds no full set", from))
	}
	set, err := decodeSet(full, from)
	if err != nil {
		return nil, err
	}
	// Each block advances the next set's priorities by one step (see
	// state.Update), so the set of height is from's advanced height-from.
	if steps := height - from; steps > 0 {
		if steps > math.MaxInt32 {
			return nil, corrupted("validators", height, fmt.Errorf("the closest full set is %d heights below", steps))
		}
		set.IncrementProposerPriority(int32(steps))
	}
	return set, nil
}

func (ss *StateStore) loadValidatorsInfo(height int64) (*cmtstate.ValidatorsInfo, error) {
	v, err := get(ss.db, heightKey(prefixValidators, height))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("validators of height %d: %w", height, ErrNotFound)
	}
	info := new(cmtstate.ValidatorsInfo)
	if err := info.Unmarshal(v); err != nil {
		return nil, corrupted("validators", height, err)
	}
	return info, nil
}

func decodeSet(info *cmtstate.ValidatorsInfo, height int64) (*types.ValidatorSet, error) {
	set, err := types.ValidatorSetFromProto(info.ValidatorSet)
	if err != nil {
		return nil, corrupted("validators", height, err)
	}
	return set, nil
}

// putParams records the consensus parameters of height, in full only if
// they changed at height.
func putParams(batch *leveldb.Batch, height, changed int64, params types.ConsensusParams) error {
	if changed > height || changed < 1 {
		return fmt.Errorf("consensus params of height %d say they changed at height %d", height, changed)
	}
	info := cmtstate.ConsensusParamsInfo{LastHeightChanged: changed}
	if changed == height {
		info.ConsensusParams = params.ToProto()
	}
	bz, err := info.Marshal()
	if err != nil {
		return fmt.Errorf("encoding the consensus params of height %d: %w", height, err)
	}
	batch.Put(heightKey(prefixParams, height), bz)
	return nil
}

// LoadConsensusParams returns the consensus parameters in force at height,
// or an error wrapping ErrNotFound if the store has not recorded them.
func (ss *StateStore) LoadConsensusParams(height int64) (types.ConsensusParams, error) {
	info, err := ss.loadParamsInfo(height)
	if err != nil {
		return types.ConsensusParams{}, err
	}
	if info.ConsensusParams.Block == nil {
		changed := info.LastHeightChanged
		if changed > height || changed < 1 {
			return types.ConsensusParams{}, corrupted("consensus params", height, fmt.Errorf("they say they changed at height %d", changed))
		}
		if info, err = ss.loadParamsInfo(changed); err != nil {
			return types.ConsensusParams{}, corrupted("consensus params", height, fmt.Errorf("those of height %d are unavailable: %w", changed, err))
		}
	}
	params, err := state.ParamsFromProto(info.ConsensusParams)
	if err != nil {
		return types.ConsensusParams{}, corrupted("consensus params", height, err)
	}
	return params, nil
}

func (ss *StateStore) loadParamsInfo(height int64) (*cmtstate.ConsensusParamsInfo, error) {
	v, err := get(ss.db, heightKey(prefixParams, height))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("consensus params of height %d: %w", height, ErrNotFound)
	}
	info := new(cmtstate.ConsensusParamsInfo)
	if err := info.Unmarshal(v); err != nil {
		return nil, corrupted("consensus params", height, err)
	}
	return info, nil
}
