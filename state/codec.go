package state

import (
	"errors"
	"fmt"

	cmtstate "github.com/cometbft/cometbft/proto/tendermint/state"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

// formatV1 marks the first byte of an encoded State: the rest is CometBFT
// v0.38's tendermint.state.State protobuf message. A later format gets a new
// number so old nodes refuse it instead of misreading it.
const formatV1 byte = 1

// Bytes encodes s: a format byte followed by the protobuf State message.
func (s State) Bytes() ([]byte, error) {
	pb, err := s.toProto()
	if err != nil {
		return nil, err
	}
	body, err := pb.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encoding state: %w", err)
	}
	return append([]byte{formatV1}, body...), nil
}

func (s State) toProto() (*cmtstate.State, error) {
	vals, err := setToProto("validators", s.Validators)
	if err != nil {
		return nil, err
	}
	next, err := setToProto("next validators", s.NextValidators)
	if err != nil {
		return nil, err
	}
	var last *cmtproto.ValidatorSet
	if !s.LastValidators.IsNilOrEmpty() { // absent before the first block, as in CometBFT
		if last, err = setToProto("last validators", s.LastValidators); err != nil {
			return nil, err
		}
	}
	return &cmtstate.State{
		Version:                          s.Version,
		ChainID:                          s.ChainID,
		InitialHeight:                    s.InitialHeight,
		LastBlockHeight:                  s.LastBlockHeight,
		LastBlockID:                      s.LastBlockID.ToProto(),
		LastBlockTime:                    s.LastBlockTime,
		Validators:                       vals,
		NextValidators:                   next,
		LastValidators:                   last,
		LastHeightValidatorsChanged:      s.LastHeightValidatorsChanged,
		ConsensusParams:                  s.ConsensusParams.ToProto(),
		LastHeightConsensusParamsChanged: s.LastHeightConsensusParamsChanged,
		LastResultsHash:                  s.LastResultsHash,
		AppHash:                          s.AppHash,
	}, nil
}

func setToProto(name string, set *types.ValidatorSet) (*cmtproto.ValidatorSet, error) {
	pb, err := set.ToProto() // nil and empty sets encode as an empty message
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", name, err)
	}
	return pb, nil
}

// FromBytes decodes what Bytes encoded. Bytes that are empty, of an unknown
// format, malformed or describing an impossible state give an error.
func FromBytes(b []byte) (State, error) {
	if len(b) == 0 {
		return State{}, errors.New("decoding state: no bytes")
	}
	if b[0] != formatV1 {
		return State{}, fmt.Errorf("decoding state: unknown format %d (this node reads format %d); the data is corrupted or from another program", b[0], formatV1)
	}
	var pb cmtstate.State
	if err := pb.Unmarshal(b[1:]); err != nil {
		return State{}, fmt.Errorf("decoding state: %w", err)
	}
	s, err := fromProto(&pb)
	if err != nil {
		return State{}, fmt.Errorf("decoding state: %w", err)
	}
	if err := s.checkSane(); err != nil {
		return State{}, fmt.Errorf("decoding state: %w", err)
	}
	return s, nil
}

func fromProto(pb *cmtstate.State) (State, error) {
	s := State{
		Version:                          pb.Version,
		ChainID:                          pb.ChainID,
		InitialHeight:                    pb.InitialHeight,
		LastBlockHeight:                  pb.LastBlockHeight,
		LastBlockTime:                    pb.LastBlockTime,
		LastHeightValidatorsChanged:      pb.LastHeightValidatorsChanged,
		LastHeightConsensusParamsChanged: pb.LastHeightConsensusParamsChanged,
		LastResultsHash:                  pb.LastResultsHash,
		AppHash:                          pb.AppHash,
	}
	id, err := types.BlockIDFromProto(&pb.LastBlockID)
	if err != nil {
		return State{}, fmt.Errorf("last block ID: %w", err)
	}
	s.LastBlockID = *id
	if s.Validators, err = setFromProto(pb.Validators); err != nil {
		return State{}, fmt.Errorf("validators: %w", err)
	}
	if s.NextValidators, err = setFromProto(pb.NextValidators); err != nil {
		return State{}, fmt.Errorf("next validators: %w", err)
	}
	if s.LastValidators, err = setFromProto(pb.LastValidators); err != nil {
		return State{}, fmt.Errorf("last validators: %w", err)
	}
	if s.ConsensusParams, err = ParamsFromProto(pb.ConsensusParams); err != nil {
		return State{}, err
	}
	return s, nil
}

// setFromProto decodes a validator set, reading an absent or empty message
// as the empty set (a chain whose validators come from InitChain has none
// before it, and LastValidators is empty before the first block).
func setFromProto(pb *cmtproto.ValidatorSet) (*types.ValidatorSet, error) {
	if pb == nil || len(pb.Validators) == 0 {
		return types.NewValidatorSet(nil), nil
	}
	return types.ValidatorSetFromProto(pb)
}

// ParamsFromProto converts consensus parameters, failing on a message that
// lacks one of the required sections (types.ConsensusParamsFromProto would
// panic on it).
func ParamsFromProto(pb cmtproto.ConsensusParams) (types.ConsensusParams, error) {
	if pb.Block == nil || pb.Evidence == nil || pb.Validator == nil || pb.Version == nil {
		return types.ConsensusParams{}, errors.New("consensus params lack the block, evidence, validator or version section")
	}
	return types.ConsensusParamsFromProto(pb), nil
}

// checkSane rejects decoded states no sequence of transitions can produce.
func (s State) checkSane() error {
	switch {
	case s.InitialHeight < 1:
		return fmt.Errorf("initial height %d is below 1", s.InitialHeight)
	case s.LastBlockHeight < 0:
		return fmt.Errorf("last block height %d is negative", s.LastBlockHeight)
	case s.LastBlockHeight > 0 && s.LastBlockHeight < s.InitialHeight:
		return fmt.Errorf("last block height %d is below the initial height %d", s.LastBlockHeight, s.InitialHeight)
	case s.LastBlockHeight > 0 && (s.Validators.IsNilOrEmpty() || s.NextValidators.IsNilOrEmpty()):
		return fmt.Errorf("no validators after block %d", s.LastBlockHeight)
	}
	if err := s.ConsensusParams.ValidateBasic(); err != nil {
		return fmt.Errorf("consensus params: %w", err)
	}
	return nil
}
