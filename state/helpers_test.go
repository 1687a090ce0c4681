package state_test

import (
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/state"
	"github.com/bftnode/bftnode/state/statetest"
)

var genesisTime = statetest.GenesisTime

const testChainID = statetest.ChainID

type keyring = statetest.Keyring

func testKey(i int) crypto.PrivKey { return statetest.Key(i) }

func testGenesis(t testing.TB, powers ...int64) (*types.GenesisDoc, keyring) {
	return statetest.Genesis(powers...)
}

func genesisState(t testing.TB, powers ...int64) (state.State, keyring) {
	return statetest.GenesisState(t, powers...)
}

func signCommit(t testing.TB, keys keyring, vals *types.ValidatorSet, height int64, id types.BlockID, ts time.Time) *types.Commit {
	return statetest.SignCommit(t, keys, vals, height, id, ts)
}

func nextBlock(t testing.TB, s state.State, keys keyring, lastCommit *types.Commit, txs []types.Tx, resp *abci.ResponseFinalizeBlock) statetest.Step {
	return statetest.NextBlock(t, s, keys, lastCommit, txs, resp)
}

func validatorUpdate(t testing.TB, pk crypto.PubKey, power int64) abci.ValidatorUpdate {
	return statetest.ValidatorUpdate(t, pk, power)
}
