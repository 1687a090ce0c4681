package statetest

import (
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cryptoenc "github.com/cometbft/cometbft/crypto/encoding"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/state"
)

// ChainID names every test chain.
const ChainID = "test-chain"

// GenesisTime is every test chain's genesis time.
var GenesisTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// Key returns the i-th deterministic validator key.
func Key(i int) crypto.PrivKey {
	return ed25519.GenPrivKeyFromSecret([]byte(fmt.Sprintf("validator-%d", i)))
}

// Keyring holds validator keys by address.
type Keyring map[string]crypto.PrivKey

// Add puts Key(i) in the ring and returns it.
func (k Keyring) Add(i int) crypto.PrivKey {
	pk := Key(i)
	k[string(pk.PubKey().Address())] = pk
	return pk
}

// Genesis returns a genesis document with validators of the given powers
// (validator i has Key(i)) and the keys that sign for them.
func Genesis(powers ...int64) (*types.GenesisDoc, Keyring) {
	keys := Keyring{}
	gen := &types.GenesisDoc{ChainID: ChainID, GenesisTime: GenesisTime, InitialHeight: 1}
	for i, p := range powers {
		pk := keys.Add(i)
		gen.Validators = append(gen.Validators, types.GenesisValidator{
			Address: pk.PubKey().Address(), PubKey: pk.PubKey(), Power: p, Name: fmt.Sprint(i),
		})
	}
	return gen, keys
}

// GenesisState is state.FromGenesis of Genesis(powers...).
func GenesisState(t testing.TB, powers ...int64) (state.State, Keyring) {
	t.Helper()
	gen, keys := Genesis(powers...)
	s, err := state.FromGenesis(gen)
	if err != nil {
		t.Fatal(err)
	}
	return s, keys
}

// SignCommit makes the commit of height for blockID: every validator of vals
// precommits in round 0, validator i at ts + i seconds.
func SignCommit(t testing.TB, keys Keyring, vals *types.ValidatorSet, height int64, blockID types.BlockID, ts time.Time) *types.Commit {
	t.Helper()
	commit := &types.Commit{Height: height, Round: 0, BlockID: blockID}
	for i, v := range vals.Validators {
		vote := &types.Vote{
			Type:             cmtproto.PrecommitType,
			Height:           height,
			Round:            0,
			BlockID:          blockID,
			Timestamp:        ts.Add(time.Duration(i) * time.Second),
			ValidatorAddress: v.Address,
			ValidatorIndex:   int32(i),
		}
		pk, ok := keys[string(v.Address)]
		if !ok {
			t.Fatalf("no key for validator %X", v.Address)
		}
		sig, err := pk.Sign(types.VoteSignBytes(ChainID, vote.ToProto()))
		if err != nil {
			t.Fatal(err)
		}
		vote.Signature = sig
		commit.Signatures = append(commit.Signatures, vote.CommitSig())
	}
	return commit
}

// Step is one block of a test chain.
type Step struct {
	Block    *types.Block
	Parts    *types.PartSet
	ID       types.BlockID
	Commit   *types.Commit // the commit deciding Block, signed by Before.Validators
	Response *abci.ResponseFinalizeBlock
	Before   state.State
	After    state.State
}

// NextBlock makes the block following s with txs, checks it with
// state.ValidateBlock and state.CheckMedianTime, executes it with the app
// answer resp (nil: an empty answer; missing tx results and app hash are
// filled in) and signs its commit.
func NextBlock(t testing.TB, s state.State, keys Keyring, lastCommit *types.Commit, txs []types.Tx, resp *abci.ResponseFinalizeBlock) Step {
	t.Helper()
	height := s.NextHeight()
	bt, err := state.BlockTime(s, lastCommit)
	if err != nil {
		t.Fatal(err)
	}
	block, parts, id, err := state.MakeBlock(s, height, txs, lastCommit, nil, s.Validators.GetProposer().Address, bt)
	if err != nil {
		t.Fatal(err)
	}
	if err := state.ValidateBlock(s, block); err != nil {
		t.Fatalf("block %d made from the state fails validation: %v", height, err)
	}
	if err := state.CheckMedianTime(s, block); err != nil {
		t.Fatalf("block %d: %v", height, err)
	}
	if resp == nil {
		resp = &abci.ResponseFinalizeBlock{}
	}
	if resp.TxResults == nil {
		for range txs {
			resp.TxResults = append(resp.TxResults, &abci.ExecTxResult{})
		}
	}
	if resp.AppHash == nil {
		resp.AppHash = AppHash(height)
	}
	if err := state.CheckFinalizeBlockResponse(block, resp); err != nil {
		t.Fatal(err)
	}
	after, err := state.Update(s, id, &block.Header, resp)
	if err != nil {
		t.Fatalf("update after block %d: %v", height, err)
	}
	commit := SignCommit(t, keys, s.Validators, height, id, bt.Add(time.Second))
	return Step{Block: block, Parts: parts, ID: id, Commit: commit, Response: resp, Before: s, After: after}
}

// AppHash is the app hash NextBlock fills in after executing height.
func AppHash(height int64) []byte { return []byte(fmt.Sprintf("app-hash-%d", height)) }

// Chain makes n blocks after s, calling respond (if not nil) for each
// height's app answer.
func Chain(t testing.TB, s state.State, keys Keyring, n int, respond func(height int64) *abci.ResponseFinalizeBlock) []Step {
	t.Helper()
	var steps []Step
	var lastCommit *types.Commit
	for i := 0; i < n; i++ {
		var resp *abci.ResponseFinalizeBlock
		if respond != nil {
			resp = respond(s.NextHeight())
		}
		txs := []types.Tx{types.Tx(fmt.Sprintf("tx-%d", s.NextHeight()))}
		step := NextBlock(t, s, keys, lastCommit, txs, resp)
		steps = append(steps, step)
		s, lastCommit = step.After, step.Commit
	}
	return steps
}

// ValidatorUpdate is the ABCI update giving pk the power.
func ValidatorUpdate(t testing.TB, pk crypto.PubKey, power int64) abci.ValidatorUpdate {
	t.Helper()
	pb, err := cryptoenc.PubKeyToProto(pk)
	if err != nil {
		t.Fatal(err)
	}
	return abci.ValidatorUpdate{PubKey: pb, Power: power}
}
