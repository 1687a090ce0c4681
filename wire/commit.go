package wire

import (
	"fmt"

	"github.com/bftnode/bftnode/consensus"
	"github.com/cometbft/cometbft/types"
)

// CommitFromVotes builds the CometBFT commit that a core's Decide action
// justifies: the precommits (PBFT COMMITs) of one height, round and value,
// each placed at its signer's index in vals; validators without a vote are
// absent. The votes' signatures are not verified here.
func CommitFromVotes(votes []consensus.Vote, vals *types.ValidatorSet) (*types.Commit, error) {
	if len(votes) == 0 {
		return nil, fmt.Errorf("build commit: no votes")
	}
	if vals == nil || vals.Size() == 0 {
		return nil, fmt.Errorf("build commit: no validator set")
	}
	first := votes[0]
	bid, err := DecodeID(first.Value)
	if err != nil {
		return nil, fmt.Errorf("build commit: %w", err)
	}
	if bid.IsZero() {
		return nil, fmt.Errorf("build commit: votes are for nil; a commit names a block")
	}
	sigs := make([]types.CommitSig, vals.Size())
	for i := range sigs {
		sigs[i] = types.NewCommitSigAbsent()
	}
	for i := range votes {
		v := &votes[i]
		if err := validateVote(fmt.Sprintf("build commit: vote %d", i), v, true); err != nil {
			return nil, err
		}
		if v.Type != consensus.Precommit || v.Height != first.Height || v.Round != first.Round || v.Value != first.Value {
			return nil, fmt.Errorf("build commit: vote %d is a %v for height %d round %d; want precommits for height %d round %d and one value", i, v.Type, v.Height, v.Round, first.Height, first.Round)
		}
		if int(v.Validator) >= vals.Size() {
			return nil, fmt.Errorf("build commit: vote %d from validator %d; the set has %d", i, v.Validator, vals.Size())
		}
		if sigs[v.Validator].BlockIDFlag != types.BlockIDFlagAbsent {
			return nil, fmt.Errorf("build commit: validator %d voted twice", v.Validator)
		}
		_, val := vals.GetByIndex(v.Validator)
		sigs[v.Validator] = types.CommitSig{
			BlockIDFlag: types.BlockIDFlagCommit, ValidatorAddress: val.Address,
			Timestamp: v.Timestamp, Signature: v.Signature,
		}
	}
	return &types.Commit{Height: first.Height, Round: first.Round, BlockID: bid, Signatures: sigs}, nil
}

// VotesFromCommit returns the precommits for the committed block that a
// CometBFT commit carries (signatures for nil and absent ones are skipped),
// as a core's Synced input wants them.
func VotesFromCommit(c *types.Commit) ([]consensus.Vote, error) {
	if c == nil {
		return nil, invalidf("nil commit")
	}
	if err := c.ValidateBasic(); err != nil {
		return nil, invalidf("commit: %v", err)
	}
	if err := checkCount("commit signatures", len(c.Signatures), MaxValidators); err != nil {
		return nil, err
	}
	if !c.BlockID.IsComplete() {
		return nil, invalidf("commit for incomplete block ID %v", c.BlockID)
	}
	id := EncodeID(c.BlockID)
	var votes []consensus.Vote
	for i, cs := range c.Signatures {
		if cs.BlockIDFlag != types.BlockIDFlagCommit {
			continue
		}
		v := consensus.Vote{
			Type: consensus.Precommit, Height: c.Height, Round: c.Round, Value: id,
			Validator: int32(i), Timestamp: cs.Timestamp, Signature: cs.Signature,
		}
		if err := validateVote(fmt.Sprintf("commit signature %d", i), &v, true); err != nil {
			return nil, err
		}
		votes = append(votes, v)
	}
	return votes, nil
}

// VotesFromExtendedCommit is VotesFromCommit for an extended commit: the
// precommits for the committed block with their vote extensions and
// extension signatures, so that a node that fetched a block by block sync
// holds what PrepareProposal's local_last_commit needs.
func VotesFromExtendedCommit(ec *types.ExtendedCommit) ([]consensus.Vote, error) {
	if ec == nil {
		return nil, invalidf("nil extended commit")
	}
	if err := checkCount("extended commit signatures", len(ec.ExtendedSignatures), MaxValidators); err != nil {
		return nil, err
	}
	votes, err := VotesFromCommit(ec.ToCommit())
	if err != nil {
		return nil, err
	}
	for i := range votes {
		v := &votes[i]
		s := ec.ExtendedSignatures[v.Validator]
		v.Extension, v.ExtensionSignature = s.Extension, s.ExtensionSignature
		if err := validateVote(fmt.Sprintf("extended commit signature %d", v.Validator), v, true); err != nil {
			return nil, err
		}
	}
	return votes, nil
}
