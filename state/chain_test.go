package state_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/merkle"
	"github.com/cometbft/cometbft/crypto/tmhash"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"

	"github.com/bftnode/bftnode/state"
	"github.com/bftnode/bftnode/state/statetest"
)

func TestFromGenesis(t *testing.T) {
	gen, _ := testGenesis(t, 10, 20, 30)
	gen.AppHash = []byte{1, 2, 3}
	s, err := state.FromGenesis(gen)
	if err != nil {
		t.Fatal(err)
	}
	if s.ChainID != testChainID || s.InitialHeight != 1 || s.LastBlockHeight != 0 || s.NextHeight() != 1 {
		t.Errorf("identity fields wrong: %+v", s)
	}
	if !s.LastBlockTime.Equal(genesisTime) || !bytes.Equal(s.AppHash, gen.AppHash) {
		t.Errorf("genesis time or app hash not carried over")
	}
	if s.Version.Consensus.Block != version.BlockProtocol {
		t.Errorf("block protocol %d, want %d", s.Version.Consensus.Block, version.BlockProtocol)
	}
	if s.Validators.Size() != 3 || s.LastValidators.Size() != 0 {
		t.Errorf("validator sets have sizes %d and %d", s.Validators.Size(), s.LastValidators.Size())
	}
	// NextValidators is the same membership one proposer step further.
	if !bytes.Equal(s.Validators.Hash(), s.NextValidators.Hash()) {
		t.Error("next validators differ in membership")
	}
	want := s.Validators.CopyIncrementProposerPriority(1)
	if !bytes.Equal(want.GetProposer().Address, s.NextValidators.GetProposer().Address) {
		t.Error("next validators' proposer is not one step ahead")
	}
	if s.LastHeightValidatorsChanged != 1 || s.LastHeightConsensusParamsChanged != 1 {
		t.Error("change heights should be the initial height")
	}
}

func TestFromGenesisRejectsBadDocuments(t *testing.T) {
	if _, err := state.FromGenesis(nil); err == nil {
		t.Error("nil genesis accepted")
	}
	gen, _ := testGenesis(t, 10)
	gen.ChainID = ""
	if _, err := state.FromGenesis(gen); err == nil {
		t.Error("genesis without chain ID accepted")
	}
	// The same key twice must be an error, not a panic.
	gen, _ = testGenesis(t, 10, 20)
	gen.Validators[1].PubKey = gen.Validators[0].PubKey
	gen.Validators[1].Address = gen.Validators[0].Address
	if _, err := state.FromGenesis(gen); err == nil {
		t.Error("genesis with a duplicate validator accepted")
	}
}

// A block made from the state passes CometBFT's own ValidateBasic and has
// every header field CometBFT derives from the state.
func TestMakeBlockHeader(t *testing.T) {
	s, keys := genesisState(t, 10, 10, 10, 10)
	first := nextBlock(t, s, keys, nil, []types.Tx{types.Tx("a=1")}, nil)
	s = first.After
	txs := []types.Tx{types.Tx("k=v"), types.Tx("x=y")}
	bt, err := state.BlockTime(s, first.Commit)
	if err != nil {
		t.Fatal(err)
	}
	proposer := s.Validators.GetProposer().Address
	block, parts, id, err := state.MakeBlock(s, 2, txs, first.Commit, nil, proposer, bt)
	if err != nil {
		t.Fatal(err)
	}
	if err := block.ValidateBasic(); err != nil {
		t.Fatalf("CometBFT rejects the block: %v", err)
	}
	h := block.Header
	checks := []struct {
		name      string
		got, want any
	}{
		{"version", h.Version, s.Version.Consensus},
		{"chain id", h.ChainID, testChainID},
		{"height", h.Height, int64(2)},
		{"time", h.Time, bt},
		{"last block id", h.LastBlockID.String(), first.ID.String()},
		{"last commit hash", h.LastCommitHash.String(), first.Commit.Hash().String()},
		{"data hash", h.DataHash.String(), merkleOfTxs(txs)},
		{"validators hash", h.ValidatorsHash.String(), fmt.Sprintf("%X", s.Validators.Hash())},
		{"next validators hash", h.NextValidatorsHash.String(), fmt.Sprintf("%X", s.NextValidators.Hash())},
		{"consensus hash", h.ConsensusHash.String(), hashedParams(s.ConsensusParams)},
		{"app hash", h.AppHash.String(), fmt.Sprintf("%X", []byte("app-hash-1"))},
		{"last results hash", h.LastResultsHash.String(), fmt.Sprintf("%X", s.LastResultsHash)},
		{"evidence hash", h.EvidenceHash.String(), fmt.Sprintf("%X", merkle.HashFromByteSlices(nil))},
		{"proposer", h.ProposerAddress.String(), proposer.String()},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if !parts.IsComplete() || !bytes.Equal(id.Hash, block.Hash()) || !id.PartSetHeader.Equals(parts.Header()) {
		t.Error("BlockID does not name the block and its parts")
	}
}

// merkleOfTxs computes the data hash from first principles: the RFC 6962
// tree over the SHA-256 of each tx.
func merkleOfTxs(txs []types.Tx) string {
	leaves := make([][]byte, len(txs))
	for i, tx := range txs {
		leaves[i] = tmhash.Sum(tx)
	}
	return fmt.Sprintf("%X", merkle.HashFromByteSlices(leaves))
}

// hashedParams computes the consensus hash from first principles: SHA-256
// of the HashedParams message holding block max bytes and max gas.
func hashedParams(p types.ConsensusParams) string {
	bz, err := (&cmtproto.HashedParams{BlockMaxBytes: p.Block.MaxBytes, BlockMaxGas: p.Block.MaxGas}).Marshal()
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%X", tmhash.Sum(bz))
}

func TestMakeBlockRejectsWrongHeightOrMissingCommit(t *testing.T) {
	s, keys := genesisState(t, 10)
	if _, _, _, err := state.MakeBlock(s, 2, nil, nil, nil, s.Validators.Proposer.Address, genesisTime); err == nil {
		t.Error("block 2 made from the genesis state")
	}
	s = nextBlock(t, s, keys, nil, nil, nil).After
	if _, _, _, err := state.MakeBlock(s, 2, nil, nil, nil, s.Validators.Proposer.Address, genesisTime); err == nil {
		t.Error("block 2 made without a last commit")
	}
}

// A chain of blocks whose commits are signed by ed25519 keys verifies the
// way a CometBFT light client checks it: each header's commit (carried in
// the next block) verifies with VerifyCommit and VerifyCommitLight against
// the set named by the header's ValidatorsHash.
func TestChainVerifiesWithCometBFT(t *testing.T) {
	s, keys := genesisState(t, 5, 10, 15, 20)
	var steps []statetest.Step
	var lastCommit *types.Commit
	for h := 1; h <= 12; h++ {
		valsBefore := s.Validators
		step := nextBlock(t, s, keys, lastCommit, []types.Tx{types.Tx(fmt.Sprintf("tx-%d", h))}, nil)
		if !bytes.Equal(step.Block.ValidatorsHash, valsBefore.Hash()) {
			t.Fatalf("block %d: validators hash does not name the signing set", h)
		}
		if err := valsBefore.VerifyCommit(testChainID, step.ID, int64(h), step.Commit); err != nil {
			t.Fatalf("commit of block %d: %v", h, err)
		}
		if err := valsBefore.VerifyCommitLight(testChainID, step.ID, int64(h), step.Commit); err != nil {
			t.Fatalf("light commit of block %d: %v", h, err)
		}
		steps = append(steps, step)
		s, lastCommit = step.After, step.Commit
	}
	for i := 1; i < len(steps); i++ {
		prev, cur := steps[i-1], steps[i]
		if !cur.Block.LastBlockID.Equals(prev.ID) {
			t.Errorf("block %d does not link to block %d", i+1, i)
		}
		if !bytes.Equal(cur.Block.LastCommitHash, prev.Commit.Hash()) {
			t.Errorf("block %d does not carry the commit of %d", i+1, i)
		}
		if !bytes.Equal(cur.Block.AppHash, []byte(fmt.Sprintf("app-hash-%d", i))) {
			t.Errorf("block %d carries app hash %q, want the one after block %d", i+1, cur.Block.AppHash, i)
		}
		if !cur.Block.Time.After(prev.Block.Time) {
			t.Errorf("block %d time does not advance", i+1)
		}
	}
}

// Validator updates returned by FinalizeBlock at h sign from h+2 (CometBFT's
// rule), and removing a validator takes equally long.
func TestValidatorUpdatesTakeEffectAtHeightPlusTwo(t *testing.T) {
	s, keys := genesisState(t, 10, 10, 10)
	newcomer := keys.Add(7).PubKey()
	var lastCommit *types.Commit
	changeAt := int64(3)
	removeAt := int64(6)
	for h := int64(1); h <= 9; h++ {
		resp := &abci.ResponseFinalizeBlock{}
		switch h {
		case changeAt:
			resp.ValidatorUpdates = []abci.ValidatorUpdate{validatorUpdate(t, newcomer, 25)}
		case removeAt:
			resp.ValidatorUpdates = []abci.ValidatorUpdate{validatorUpdate(t, newcomer, 0)}
		}
		step := nextBlock(t, s, keys, lastCommit, nil, resp)
		signing := s.Validators.HasAddress(newcomer.Address())
		wantSigning := h >= changeAt+2 && h < removeAt+2
		if signing != wantSigning {
			t.Errorf("height %d: newcomer in signing set = %v, want %v", h, signing, wantSigning)
		}
		if h == changeAt && step.After.LastHeightValidatorsChanged != changeAt+2 {
			t.Errorf("LastHeightValidatorsChanged = %d, want %d", step.After.LastHeightValidatorsChanged, changeAt+2)
		}
		s, lastCommit = step.After, step.Commit
	}
	if s.LastHeightValidatorsChanged != removeAt+2 {
		t.Errorf("LastHeightValidatorsChanged = %d after removal, want %d", s.LastHeightValidatorsChanged, removeAt+2)
	}
}

// Proposer priorities advance one step per block whether or not the set
// changes, so every node derives the same proposer for a height.
func TestProposerRotatesByVotingPower(t *testing.T) {
	s, keys := genesisState(t, 1, 1, 2)
	counts := map[string]int{}
	var lastCommit *types.Commit
	for h := 1; h <= 40; h++ {
		counts[string(s.Validators.GetProposer().Address)]++
		step := nextBlock(t, s, keys, lastCommit, nil, nil)
		s, lastCommit = step.After, step.Commit
	}
	for addr, n := range counts {
		_, v := s.Validators.GetByAddress([]byte(addr))
		if want := 10 * int(v.VotingPower); n != want {
			t.Errorf("validator with power %d proposed %d of 40 blocks, want %d", v.VotingPower, n, want)
		}
	}
}

// LastResultsHash covers only Code, Data, GasWanted and GasUsed of each tx
// result, in CometBFT's encoding: logs, info and events may differ between
// nodes without changing it.
func TestLastResultsHashUsesDeterministicFields(t *testing.T) {
	s, keys := genesisState(t, 10)
	results := []*abci.ExecTxResult{
		{Code: 0, Data: []byte("ok"), GasWanted: 5, GasUsed: 3, Log: "node A log", Info: "x"},
		{Code: 7, Data: nil, GasWanted: 1, GasUsed: 1, Codespace: "app", Events: []abci.Event{{Type: "t"}}},
	}
	txs := []types.Tx{types.Tx("a"), types.Tx("b")}
	got := nextBlock(t, s, keys, nil, txs, &abci.ResponseFinalizeBlock{TxResults: results}).After.LastResultsHash

	var leaves [][]byte
	for _, r := range results {
		bz, err := (&abci.ExecTxResult{Code: r.Code, Data: r.Data, GasWanted: r.GasWanted, GasUsed: r.GasUsed}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, bz)
	}
	if want := merkle.HashFromByteSlices(leaves); !bytes.Equal(got, want) {
		t.Errorf("LastResultsHash = %X, want %X", got, want)
	}
	other := []*abci.ExecTxResult{
		{Code: 0, Data: []byte("ok"), GasWanted: 5, GasUsed: 3, Log: "node B log"},
		{Code: 7, GasWanted: 1, GasUsed: 1},
	}
	again := nextBlock(t, s, keys, nil, txs, &abci.ResponseFinalizeBlock{TxResults: other}).After.LastResultsHash
	if !bytes.Equal(got, again) {
		t.Error("non-deterministic fields changed LastResultsHash")
	}
	empty := nextBlock(t, s, keys, nil, nil, nil).After.LastResultsHash
	if !bytes.Equal(empty, merkle.HashFromByteSlices(nil)) {
		t.Errorf("empty block's results hash %X is not the empty tree's", empty)
	}
}

func TestConsensusParamUpdatesApplyFromNextHeight(t *testing.T) {
	s, keys := genesisState(t, 10)
	update := &cmtproto.ConsensusParams{
		Block:   &cmtproto.BlockParams{MaxBytes: 1 << 20, MaxGas: 1000},
		Version: &cmtproto.VersionParams{App: 3},
	}
	step := nextBlock(t, s, keys, nil, nil, &abci.ResponseFinalizeBlock{ConsensusParamUpdates: update})
	after := step.After
	if after.ConsensusParams.Block.MaxGas != 1000 || after.ConsensusParams.Block.MaxBytes != 1<<20 {
		t.Errorf("params not updated: %+v", after.ConsensusParams.Block)
	}
	if after.LastHeightConsensusParamsChanged != 2 || after.Version.Consensus.App != 3 {
		t.Errorf("changed at %d, app version %d; want 2 and 3", after.LastHeightConsensusParamsChanged, after.Version.Consensus.App)
	}
	if s.ConsensusParams.Block.MaxGas == 1000 {
		t.Error("Update changed its input state")
	}
	// Block 2 carries the new params' hash and the new app version.
	next := nextBlock(t, after, keys, step.Commit, nil, nil)
	if !bytes.Equal(next.Block.ConsensusHash, after.ConsensusParams.Hash()) || next.Block.Version.App != 3 {
		t.Error("block 2 does not carry the updated params")
	}
}

func TestUpdateRejectsBadAppAnswers(t *testing.T) {
	s, keys := genesisState(t, 10, 10)
	block, _, id, err := state.MakeBlock(s, 1, nil, nil, nil, s.Validators.Proposer.Address, genesisTime)
	if err != nil {
		t.Fatal(err)
	}
	secp := validatorUpdate(t, keys.Add(5).PubKey(), 10)
	secp.PubKey.Sum = nil
	stranger := validatorUpdate(t, testKey(9).PubKey(), 0)
	both := []abci.ValidatorUpdate{}
	for _, v := range s.Validators.Validators {
		both = append(both, validatorUpdate(t, v.PubKey, 0))
	}
	bad := map[string]*abci.ResponseFinalizeBlock{
		"negative power":       {ValidatorUpdates: []abci.ValidatorUpdate{validatorUpdate(t, testKey(5).PubKey(), -1)}},
		"missing key":          {ValidatorUpdates: []abci.ValidatorUpdate{secp}},
		"remove a stranger":    {ValidatorUpdates: []abci.ValidatorUpdate{stranger}},
		"remove everyone":      {ValidatorUpdates: both},
		"invalid params":       {ConsensusParamUpdates: &cmtproto.ConsensusParams{Block: &cmtproto.BlockParams{MaxBytes: 0}}},
		"nil tx result":        {TxResults: []*abci.ExecTxResult{nil}},
		"vote ext in the past": {ConsensusParamUpdates: &cmtproto.ConsensusParams{Abci: &cmtproto.ABCIParams{VoteExtensionsEnableHeight: 1}}},
	}
	before, _ := s.Bytes()
	for name, resp := range bad {
		if _, err := state.Update(s, id, &block.Header, resp); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if after, _ := s.Bytes(); !bytes.Equal(before, after) {
		t.Error("a rejected update changed the state")
	}
	if err := state.CheckFinalizeBlockResponse(block, &abci.ResponseFinalizeBlock{TxResults: []*abci.ExecTxResult{{}}}); err == nil {
		t.Error("a result for a tx the block does not have was accepted")
	}
	other := block.Header
	other.Height = 2
	if _, err := state.Update(s, id, &other, &abci.ResponseFinalizeBlock{}); err == nil {
		t.Error("update with a header of the wrong height accepted")
	}
}

func TestWithInitChain(t *testing.T) {
	gen, keys := testGenesis(t)
	s, err := state.FromGenesis(gen)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := state.WithInitChain(s, &abci.ResponseInitChain{}); err == nil {
		t.Error("a chain without validators was accepted")
	}
	resp := &abci.ResponseInitChain{
		AppHash:         []byte("init"),
		Validators:      []abci.ValidatorUpdate{validatorUpdate(t, keys.Add(1).PubKey(), 10), validatorUpdate(t, keys.Add(2).PubKey(), 10)},
		ConsensusParams: &cmtproto.ConsensusParams{Version: &cmtproto.VersionParams{App: 2}},
	}
	got, err := state.WithInitChain(s, resp)
	if err != nil {
		t.Fatal(err)
	}
	if got.Validators.Size() != 2 || got.NextValidators.Size() != 2 || string(got.AppHash) != "init" || got.Version.Consensus.App != 2 {
		t.Errorf("InitChain answer not applied: %d validators, app hash %q, app version %d", got.Validators.Size(), got.AppHash, got.Version.Consensus.App)
	}
	if !bytes.Equal(got.LastResultsHash, merkle.HashFromByteSlices(nil)) {
		t.Error("LastResultsHash is not the empty tree's hash")
	}
	// The chain it starts verifies.
	step := nextBlock(t, got, keys, nil, nil, nil)
	nextBlock(t, step.After, keys, step.Commit, nil, nil)

	dup := &abci.ResponseInitChain{Validators: []abci.ValidatorUpdate{resp.Validators[0], resp.Validators[0]}}
	if _, err := state.WithInitChain(s, dup); err == nil {
		t.Error("duplicate validators from InitChain accepted")
	}
	if _, err := state.WithInitChain(step.After, resp); err == nil {
		t.Error("InitChain applied after the first block")
	}
}

func TestMedianTimeIsWeightedByPower(t *testing.T) {
	s, keys := genesisState(t, 10, 10, 10, 70)
	step := nextBlock(t, s, keys, nil, nil, nil)
	commit := step.Commit
	heavy, _ := s.Validators.GetByAddress(s.Validators.Validators[0].Address)
	for i, v := range s.Validators.Validators {
		if v.VotingPower == 70 {
			heavy = int32(i)
		}
		commit.Signatures[i].Timestamp = genesisTime.Add(time.Duration(i+1) * time.Minute)
	}
	got, err := state.MedianTime(commit, s.Validators)
	if err != nil {
		t.Fatal(err)
	}
	if want := commit.Signatures[heavy].Timestamp; !got.Equal(want) {
		t.Errorf("median %v, want the 70%% validator's %v", got, want)
	}
	// Absent signatures do not count.
	commit.Signatures[heavy] = types.NewCommitSigAbsent()
	got, err = state.MedianTime(commit, s.Validators)
	if err != nil {
		t.Fatal(err)
	}
	if got.Equal(genesisTime) || got.After(genesisTime.Add(4*time.Minute)) {
		t.Errorf("median %v not among the present signatures", got)
	}
	stranger := keyring{}
	stranger.Add(99)
	if _, err := state.MedianTime(signCommit(t, stranger, mustSet(t, stranger), 1, step.ID, genesisTime), s.Validators); err == nil {
		t.Error("commit signed by a non-validator accepted")
	}
}

func mustSet(t *testing.T, keys keyring) *types.ValidatorSet {
	t.Helper()
	var vals []*types.Validator
	for _, pk := range keys {
		vals = append(vals, types.NewValidator(pk.PubKey(), 1))
	}
	return types.NewValidatorSet(vals)
}

// A chain may start above height 1 (genesis initial_height): its first
// block is the initial height, carries no last commit and the genesis time.
func TestChainStartingAboveHeightOne(t *testing.T) {
	gen, keys := testGenesis(t, 10, 20)
	gen.InitialHeight = 5
	s, err := state.FromGenesis(gen)
	if err != nil {
		t.Fatal(err)
	}
	if s.NextHeight() != 5 {
		t.Fatalf("next height %d, want 5", s.NextHeight())
	}
	first := nextBlock(t, s, keys, nil, nil, nil)
	if first.Block.Height != 5 || !first.Block.Time.Equal(genesisTime) || len(first.Block.LastCommit.Signatures) != 0 {
		t.Errorf("first block: height %d, time %v, %d last commit signatures", first.Block.Height, first.Block.Time, len(first.Block.LastCommit.Signatures))
	}
	second := nextBlock(t, first.After, keys, first.Commit, nil, nil)
	if second.Block.Height != 6 || second.After.LastBlockHeight != 6 {
		t.Errorf("second block at height %d", second.Block.Height)
	}
	if _, _, _, err := state.MakeBlock(s, 1, nil, nil, nil, s.Validators.Proposer.Address, genesisTime); err == nil {
		t.Error("block 1 made for a chain starting at 5")
	}
}
