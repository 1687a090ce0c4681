package state_test

import (
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/tmhash"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/state"
)

// Every header field the state determines is checked: a block changed in
// any one of them is rejected.
func TestValidateBlockRejectsEachWrongField(t *testing.T) {
	s, keys := genesisState(t, 10, 10, 10, 10)
	first := nextBlock(t, s, keys, nil, nil, nil)
	s = first.After
	bt, err := state.BlockTime(s, first.Commit)
	if err != nil {
		t.Fatal(err)
	}
	fresh := func() *types.Block {
		b, _, _, err := state.MakeBlock(s, 2, []types.Tx{types.Tx("t")}, first.Commit, nil, s.Validators.GetProposer().Address, bt)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if err := state.ValidateBlock(s, fresh()); err != nil {
		t.Fatalf("unchanged block rejected: %v", err)
	}
	otherHash := tmhash.Sum([]byte("other"))
	stranger := testKey(42).PubKey().Address()
	mutations := map[string]func(b *types.Block){
		"app version":          func(b *types.Block) { b.Version.App++ },
		"chain id":             func(b *types.Block) { b.ChainID = "other-chain" },
		"height":               func(b *types.Block) { b.Height = 3 },
		"last block id":        func(b *types.Block) { b.LastBlockID.Hash = otherHash },
		"app hash":             func(b *types.Block) { b.AppHash = otherHash },
		"consensus hash":       func(b *types.Block) { b.ConsensusHash = otherHash },
		"last results hash":    func(b *types.Block) { b.LastResultsHash = otherHash },
		"validators hash":      func(b *types.Block) { b.ValidatorsHash = otherHash },
		"next validators hash": func(b *types.Block) { b.NextValidatorsHash = otherHash },
		"data hash":            func(b *types.Block) { b.DataHash = otherHash },
		"last commit hash":     func(b *types.Block) { b.LastCommitHash = otherHash },
		"proposer not in set":  func(b *types.Block) { b.ProposerAddress = stranger },
		"proposer short":       func(b *types.Block) { b.ProposerAddress = stranger[:5] },
		"time not after last":  func(b *types.Block) { b.Time = s.LastBlockTime },
		"txs changed":          func(b *types.Block) { b.Data = types.Data{Txs: append(b.Txs, types.Tx("extra"))} },
		"commit for other block": func(b *types.Block) {
			c := *b.LastCommit
			c.BlockID.Hash = otherHash
			b.LastCommit = &c
			b.LastCommitHash = c.Hash()
		},
		"commit lacks a signature": func(b *types.Block) {
			c := *b.LastCommit
			c.Signatures = c.Signatures[:3]
			b.LastCommit = &c
			b.LastCommitHash = c.Hash()
		},
		"forged signature": func(b *types.Block) {
			c := *b.LastCommit
			c.Signatures = append([]types.CommitSig(nil), c.Signatures...)
			sig := append([]byte(nil), c.Signatures[0].Signature...)
			sig[0] ^= 1
			c.Signatures[0].Signature = sig
			b.LastCommit = &c
			b.LastCommitHash = c.Hash()
		},
	}
	for name, mutate := range mutations {
		b := fresh()
		mutate(b)
		if err := state.ValidateBlock(s, b); err == nil {
			t.Errorf("%s: block accepted", name)
		}
	}
	if err := state.ValidateBlock(s, nil); err == nil {
		t.Error("nil block accepted")
	}
}

// Less than 2/3 absent is fine: a commit needs more than 2/3 of the power,
// not every signature.
func TestValidateBlockAcceptsQuorumCommit(t *testing.T) {
	s, keys := genesisState(t, 10, 10, 10, 10)
	first := nextBlock(t, s, keys, nil, nil, nil)
	first.Commit.Signatures[2] = types.NewCommitSigAbsent()
	s = first.After
	bt, err := state.BlockTime(s, first.Commit)
	if err != nil {
		t.Fatal(err)
	}
	b, _, _, err := state.MakeBlock(s, 2, nil, first.Commit, nil, s.Validators.GetProposer().Address, bt)
	if err != nil {
		t.Fatal(err)
	}
	if err := state.ValidateBlock(s, b); err != nil {
		t.Errorf("block with a 3/4 commit rejected: %v", err)
	}
	first.Commit.Signatures[1] = types.NewCommitSigAbsent()
	b, _, _, err = state.MakeBlock(s, 2, nil, first.Commit, nil, s.Validators.GetProposer().Address, bt)
	if err != nil {
		t.Fatal(err)
	}
	if err := state.ValidateBlock(s, b); err == nil {
		t.Error("block with a 1/2 commit accepted")
	}
}

func TestFirstBlockRules(t *testing.T) {
	s, keys := genesisState(t, 10)
	b, _, _, err := state.MakeBlock(s, 1, nil, nil, nil, s.Validators.Proposer.Address, genesisTime.Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := state.ValidateBlock(s, b); err == nil {
		t.Error("first block before genesis time accepted")
	}
	later := nextBlock(t, s, keys, nil, nil, nil)
	withSigs, _, _, err := state.MakeBlock(s, 1, nil, later.Commit, nil, s.Validators.Proposer.Address, genesisTime)
	if err != nil {
		t.Fatal(err)
	}
	if err := state.ValidateBlock(s, withSigs); err == nil {
		t.Error("first block with last commit signatures accepted")
	}
	if err := state.CheckMedianTime(s, b); err == nil {
		t.Error("first block not at genesis time passes the median-time rule")
	}
}
