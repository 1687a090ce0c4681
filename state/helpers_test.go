package state

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
)

var genesisTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

const testChainID = "test-chain"

// keyring holds deterministic ed25519 validator keys by address.
type keyring map[string]crypto.PrivKey

func testKey(i int) crypto.PrivKey {
	return ed25519.GenPrivKeyFromSecret([]byte(fmt.Sprintf("validator-%d", i)))
}

func (k keyring) add(i int) crypto.PrivKey {
	pk := testKey(i)
	k[string(pk.PubKey().Address())] = pk
	return pk
}

// testGenesis returns a genesis document with validators of the given
// powers and the keys that sign for them.
func testGenesis(t testing.TB, powers ...int64) (*types.GenesisDoc, keyring) {
	t.Helper()
	keys := keyring{}
	gen := &types.GenesisDoc{ChainID: testChainID, GenesisTime: genesisTime, InitialHeight: 1}
	for i, p := range powers {
		pk := keys.add(i)
		gen.Validators = append(gen.Validators, types.GenesisValidator{
			Address: pk.PubKey().Address(), PubKey: pk.PubKey(), Power: p, Name: fmt.Sprint(i),
		})
	}
	return gen, keys
}

func genesisState(t testing.TB, powers ...int64) (State, keyring) {
	t.Helper()
	gen, keys := testGenesis(t, powers...)
	s, err := FromGenesis(gen)
	if err != nil {
		t.Fatal(err)
	}
	return s, keys
}

// signCommit makes the commit of height for blockID, every validator of
// vals precommitting at ts + its index seconds.
func signCommit(t testing.TB, keys keyring, vals *types.ValidatorSet, height int64, blockID types.BlockID, ts time.Time) *types.Commit {
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
		sig, err := pk.Sign(types.VoteSignBytes(testChainID, vote.ToProto()))
		if err != nil {
			t.Fatal(err)
		}
		vote.Signature = sig
		commit.Signatures = append(commit.Signatures, vote.CommitSig())
	}
	return commit
}

// chainStep makes, validates and executes the next block of s with txs and
// the app's FinalizeBlock answer resp, returning the new state, the block
// and the commit that decided it.
type chainStep struct {
	block  *types.Block
	id     types.BlockID
	commit *types.Commit
	after  State
}

func nextBlock(t testing.TB, s State, keys keyring, lastCommit *types.Commit, txs []types.Tx, resp *abci.ResponseFinalizeBlock) chainStep {
	t.Helper()
	height := s.NextHeight()
	bt, err := BlockTime(s, lastCommit)
	if err != nil {
		t.Fatal(err)
	}
	block, _, id, err := MakeBlock(s, height, txs, lastCommit, nil, s.Validators.GetProposer().Address, bt)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateBlock(s, block); err != nil {
		t.Fatalf("block %d made from the state fails validation: %v", height, err)
	}
	if err := CheckMedianTime(s, block); err != nil {
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
		resp.AppHash = []byte(fmt.Sprintf("app-hash-%d", height))
	}
	if err := CheckFinalizeBlockResponse(block, resp); err != nil {
		t.Fatal(err)
	}
	after, err := Update(s, id, &block.Header, resp)
	if err != nil {
		t.Fatalf("update after block %d: %v", height, err)
	}
	commit := signCommit(t, keys, s.Validators, height, id, bt.Add(time.Second))
	return chainStep{block: block, id: id, commit: commit, after: after}
}

func validatorUpdate(t testing.TB, pk crypto.PubKey, power int64) abci.ValidatorUpdate {
	t.Helper()
	pb, err := cryptoenc.PubKeyToProto(pk)
	if err != nil {
		t.Fatal(err)
	}
	return abci.ValidatorUpdate{PubKey: pb, Power: power}
}
