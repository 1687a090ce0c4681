package state

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/types"
)

// ValidateBlock checks that block may follow s: its own consistency
// (block.ValidateBasic), then every header field against the state as
// CometBFT v0.38's block validation does, the last commit against
// s.LastValidators, the proposer's membership, the evidence size limit and
// a block time later than the last block's (the first block may not predate
// genesis). Use CheckMedianTime as well where blocks carry BlockTime's time.
func ValidateBlock(s State, block *types.Block) error {
	if block == nil {
		return errors.New("block is missing")
	}
	if err := block.ValidateBasic(); err != nil {
		return fmt.Errorf("block %d is malformed: %w", block.Height, err)
	}
	if err := checkHeader(s, &block.Header); err != nil {
		return fmt.Errorf("block %d does not follow the state: %w", block.Height, err)
	}
	if err := checkLastCommit(s, block); err != nil {
		return fmt.Errorf("block %d: %w", block.Height, err)
	}
	if err := checkBlockTime(s, block); err != nil {
		return fmt.Errorf("block %d: %w", block.Height, err)
	}
	if limit, size := s.ConsensusParams.Evidence.MaxBytes, block.Evidence.ByteSize(); size > limit {
		return fmt.Errorf("block %d: %w", block.Height, types.NewErrEvidenceOverflow(limit, size))
	}
	return nil
}

func checkHeader(s State, h *types.Header) error {
	if h.Version != s.Version.Consensus {
		return fmt.Errorf("version is %v, want %v", h.Version, s.Version.Consensus)
	}
	if h.ChainID != s.ChainID {
		return fmt.Errorf("chain ID is %q, want %q", h.ChainID, s.ChainID)
	}
	if h.Height != s.NextHeight() {
		return fmt.Errorf("height is %d, want %d", h.Height, s.NextHeight())
	}
	if !h.LastBlockID.Equals(s.LastBlockID) {
		return fmt.Errorf("last block ID is %v, want %v", h.LastBlockID, s.LastBlockID)
	}
	hashes := []struct {
		name      string
		got, want []byte
	}{
		{"app hash", h.AppHash, s.AppHash},
		{"consensus hash", h.ConsensusHash, s.ConsensusParams.Hash()},
		{"last results hash", h.LastResultsHash, s.LastResultsHash},
		{"validators hash", h.ValidatorsHash, s.Validators.Hash()},
		{"next validators hash", h.NextValidatorsHash, s.NextValidators.Hash()},
	}
	for _, c := range hashes {
		if !bytes.Equal(c.got, c.want) {
			return fmt.Errorf("%s is %X, want %X", c.name, c.got, c.want)
		}
	}
	// The round a block was proposed in is unknown here, so only membership
	// can be checked, not that it was this validator's turn.
	if len(h.ProposerAddress) != crypto.AddressSize {
		return fmt.Errorf("proposer address has %d bytes, want %d", len(h.ProposerAddress), crypto.AddressSize)
	}
	if !s.Validators.HasAddress(h.ProposerAddress) {
		return fmt.Errorf("proposer %X is not a validator", h.ProposerAddress)
	}
	return nil
}

// checkLastCommit verifies that the block's LastCommit decided the state's
// last block: more than 2/3 of LastValidators' power signed it.
func checkLastCommit(s State, block *types.Block) error {
	if block.Height == s.InitialHeight {
		if len(block.LastCommit.Signatures) != 0 {
			return errors.New("the first block must not carry last commit signatures")
		}
		return nil
	}
	if err := s.LastValidators.VerifyCommit(s.ChainID, s.LastBlockID, block.Height-1, block.LastCommit); err != nil {
		return fmt.Errorf("last commit does not decide block %d: %w", block.Height-1, err)
	}
	return nil
}

func checkBlockTime(s State, block *types.Block) error {
	if block.Height == s.InitialHeight {
		if block.Time.Before(s.LastBlockTime) {
			return fmt.Errorf("time %v is before the genesis time %v", block.Time, s.LastBlockTime)
		}
		return nil
	}
	if !block.Time.After(s.LastBlockTime) {
		return fmt.Errorf("time %v is not after the last block's time %v", block.Time, s.LastBlockTime)
	}
	return nil
}

// CheckMedianTime checks CometBFT's exact block-time rule: the first block
// carries the genesis time, every later block the weighted median time of
// its LastCommit (see BlockTime).
func CheckMedianTime(s State, block *types.Block) error {
	if block == nil || block.LastCommit == nil {
		return errors.New("block or its last commit is missing")
	}
	want, err := BlockTime(s, block.LastCommit)
	if err != nil {
		return fmt.Errorf("block %d: %w", block.Height, err)
	}
	if !block.Time.Equal(want) {
		return fmt.Errorf("block %d has time %v, want %v", block.Height, block.Time, want)
	}
	return nil
}
