package state

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/merkle"
	cmtstate "github.com/cometbft/cometbft/proto/tendermint/state"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	"github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
)

// InitialVersion is the version a new chain starts with: CometBFT v0.38's
// block protocol, and app version 0 until InitChain's consensus parameters
// or a later update say otherwise.
var InitialVersion = cmtstate.Version{
	Consensus: cmtversion.Consensus{Block: version.BlockProtocol, App: 0},
	Software:  version.TMCoreSemVer,
}

// State describes the latest decided and executed block: everything needed
// to make, validate and execute the next one. Treat it as a value: use Copy
// before changing a field by hand.
type State struct {
	Version cmtstate.Version

	ChainID       string
	InitialHeight int64 // height of the first block; 1 unless genesis says otherwise

	// LastBlockHeight is 0 before the first block is executed.
	LastBlockHeight int64
	LastBlockID     types.BlockID
	LastBlockTime   time.Time // genesis time before the first block

	// Validators signs LastBlockHeight+1, NextValidators LastBlockHeight+2
	// and LastValidators signed LastBlockHeight (empty before the first
	// block). LastHeightValidatorsChanged is the first height signed by the
	// current NextValidators' membership.
	Validators                  *types.ValidatorSet
	NextValidators              *types.ValidatorSet
	LastValidators              *types.ValidatorSet
	LastHeightValidatorsChanged int64

	// ConsensusParams apply to LastBlockHeight+1; they changed last at
	// LastHeightConsensusParamsChanged.
	ConsensusParams                  types.ConsensusParams
	LastHeightConsensusParamsChanged int64

	// LastResultsHash is the Merkle root of the last block's deterministic
	// tx results; AppHash the app hash after executing the last block.
	LastResultsHash []byte
	AppHash         []byte
}

// FromGenesis returns the state of a chain before its first block. If the
// genesis document lists no validators, the state's sets are empty and
// WithInitChain must fill them from the app's InitChain answer.
func FromGenesis(gen *types.GenesisDoc) (State, error) {
	if gen == nil {
		return State{}, errors.New("genesis document is missing")
	}
	if err := gen.ValidateAndComplete(); err != nil {
		return State{}, fmt.Errorf("invalid genesis document: %w; fix genesis.json", err)
	}
	vals := make([]*types.Validator, len(gen.Validators))
	for i, v := range gen.Validators {
		vals[i] = types.NewValidator(v.PubKey, v.Power)
	}
	current := types.NewValidatorSet(nil)
	next := types.NewValidatorSet(nil)
	if len(vals) > 0 {
		var err error
		if current, err = newValidatorSet(vals); err != nil {
			return State{}, fmt.Errorf("invalid validators in genesis document: %w; fix genesis.json", err)
		}
		// The set signing InitialHeight+1 has its proposer priorities
		// advanced by one block, like every NextValidators after Update.
		next = current.CopyIncrementProposerPriority(1)
	}
	return State{
		Version:                          InitialVersion,
		ChainID:                          gen.ChainID,
		InitialHeight:                    gen.InitialHeight,
		LastBlockTime:                    gen.GenesisTime,
		Validators:                       current,
		NextValidators:                   next,
		LastValidators:                   types.NewValidatorSet(nil),
		LastHeightValidatorsChanged:      gen.InitialHeight,
		ConsensusParams:                  *gen.ConsensusParams,
		LastHeightConsensusParamsChanged: gen.InitialHeight,
		AppHash:                          bytes.Clone(gen.AppHash),
	}, nil
}

// WithInitChain returns the genesis state s adjusted by the app's answer to
// InitChain, as CometBFT's handshake does: a non-empty app hash replaces
// genesis' one, returned validators replace genesis' set, returned consensus
// parameters update genesis' ones, and LastResultsHash becomes the hash of
// no results. It fails if s is not a genesis state, if the app's validators
// or parameters are invalid, or if the chain would have no validators.
func WithInitChain(s State, resp *abci.ResponseInitChain) (State, error) {
	if resp == nil {
		return s, errors.New("InitChain response is missing")
	}
	if s.LastBlockHeight != 0 {
		return s, fmt.Errorf("InitChain applies only before the first block, but the state is at height %d", s.LastBlockHeight)
	}
	next := s.Copy()
	if len(resp.AppHash) > 0 {
		next.AppHash = bytes.Clone(resp.AppHash)
	}
	if resp.ConsensusParams != nil {
		next.ConsensusParams = s.ConsensusParams.Update(resp.ConsensusParams)
		if err := next.ConsensusParams.ValidateBasic(); err != nil {
			return s, fmt.Errorf("InitChain returned invalid consensus params: %w", err)
		}
		next.Version.Consensus.App = next.ConsensusParams.Version.App
	}
	if len(resp.Validators) > 0 {
		if err := validateValidatorUpdates(resp.Validators, next.ConsensusParams.Validator); err != nil {
			return s, fmt.Errorf("InitChain returned invalid validators: %w", err)
		}
		vals, err := types.PB2TM.ValidatorUpdates(resp.Validators)
		if err != nil {
			return s, fmt.Errorf("InitChain returned invalid validators: %w", err)
		}
		set, err := newValidatorSet(vals)
		if err != nil {
			return s, fmt.Errorf("InitChain returned invalid validators: %w", err)
		}
		next.Validators = set
		next.NextValidators = set.CopyIncrementProposerPriority(1)
	}
	if next.Validators.IsNilOrEmpty() {
		return s, errors.New("the chain has no validators: neither genesis.json nor the app's InitChain names any")
	}
	// RFC 6962's hash of an empty list, as CometBFT records before block 1.
	next.LastResultsHash = merkle.HashFromByteSlices(nil)
	return next, nil
}

// newValidatorSet builds a set from validators an app supplied, returning an
// error where types.NewValidatorSet would panic (duplicates, zero power).
func newValidatorSet(vals []*types.Validator) (*types.ValidatorSet, error) {
	set := types.NewValidatorSet(nil)
	if err := set.UpdateWithChangeSet(vals); err != nil {
		return nil, err
	}
	set.IncrementProposerPriority(1)
	return set, nil
}

// NextHeight is the height of the block that follows the state.
func (s State) NextHeight() int64 {
	if s.LastBlockHeight == 0 {
		return s.InitialHeight
	}
	return s.LastBlockHeight + 1
}

// IsEmpty reports whether s is the zero State (nothing loaded yet).
func (s State) IsEmpty() bool { return s.Validators == nil }

// Copy returns a deep copy of s: changing the copy's validator sets, byte
// slices or parameters leaves s as it was.
func (s State) Copy() State {
	c := s
	c.LastBlockID = copyBlockID(s.LastBlockID)
	c.Validators = copySet(s.Validators)
	c.NextValidators = copySet(s.NextValidators)
	c.LastValidators = copySet(s.LastValidators)
	c.ConsensusParams.Validator.PubKeyTypes = append([]string(nil), s.ConsensusParams.Validator.PubKeyTypes...)
	c.LastResultsHash = bytes.Clone(s.LastResultsHash)
	c.AppHash = bytes.Clone(s.AppHash)
	return c
}

// Equals reports whether s and o encode to the same bytes.
func (s State) Equals(o State) bool {
	a, errA := s.Bytes()
	b, errB := o.Bytes()
	return errA == nil && errB == nil && bytes.Equal(a, b)
}

func copySet(set *types.ValidatorSet) *types.ValidatorSet {
	if set == nil {
		return nil
	}
	return set.Copy()
}

func copyBlockID(id types.BlockID) types.BlockID {
	return types.BlockID{
		Hash: bytes.Clone(id.Hash),
		PartSetHeader: types.PartSetHeader{
			Total: id.PartSetHeader.Total,
			Hash:  bytes.Clone(id.PartSetHeader.Hash),
		},
	}
}
