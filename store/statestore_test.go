package store

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/state"
	"github.com/bftnode/bftnode/state/statetest"
)

func openStates(t *testing.T, dir string) *StateStore {
	t.Helper()
	ss, err := OpenStateStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// setBytes encodes a set with its proposer priorities, for comparison.
func setBytes(t *testing.T, set *types.ValidatorSet) []byte {
	t.Helper()
	pb, err := set.ToProto()
	if err != nil {
		t.Fatal(err)
	}
	bz, err := pb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

// changingChain runs 16 blocks in which the app adds a validator at 3,
// changes a power at 7, removes a validator at 11 and updates params at 5,
// saving the state after every block as the engine does.
func changingChain(t *testing.T, ss *StateStore) ([]statetest.Step, state.State) {
	t.Helper()
	s, keys := statetest.GenesisState(t, 10, 20, 30)
	if err := ss.Save(s); err != nil {
		t.Fatal(err)
	}
	newcomer := keys.Add(5).PubKey()
	respond := func(h int64) *abci.ResponseFinalizeBlock {
		resp := &abci.ResponseFinalizeBlock{}
		switch h {
		case 3:
			resp.ValidatorUpdates = []abci.ValidatorUpdate{statetest.ValidatorUpdate(t, newcomer, 15)}
		case 5:
			resp.ConsensusParamUpdates = &cmtproto.ConsensusParams{Block: &cmtproto.BlockParams{MaxBytes: 4 << 20, MaxGas: 77}}
		case 7:
			resp.ValidatorUpdates = []abci.ValidatorUpdate{statetest.ValidatorUpdate(t, statetest.Key(0).PubKey(), 45)}
		case 11:
			resp.ValidatorUpdates = []abci.ValidatorUpdate{statetest.ValidatorUpdate(t, statetest.Key(1).PubKey(), 0)}
		}
		return resp
	}
	steps := statetest.Chain(t, s, keys, 16, respond)
	for _, st := range steps {
		if err := ss.Save(st.After); err != nil {
			t.Fatal(err)
		}
	}
	return steps, steps[len(steps)-1].After
}

func TestSaveAndLoadState(t *testing.T) {
	dir := t.TempDir()
	ss := openStates(t, dir)
	if _, ok, err := ss.Load(); ok || err != nil {
		t.Fatalf("empty store: ok %v, err %v", ok, err)
	}
	_, last := changingChain(t, ss)
	ss.Close()
	ss = openStates(t, dir)
	defer ss.Close()
	got, ok, err := ss.Load()
	if err != nil || !ok {
		t.Fatalf("load: %v, %v", ok, err)
	}
	if !got.Equals(last) {
		t.Error("loaded state differs from the saved one")
	}
	empty, _ := statetest.Genesis()
	noVals, err := state.FromGenesis(empty)
	if err != nil {
		t.Fatal(err)
	}
	if err := ss.Save(noVals); err == nil {
		t.Error("state without validators saved")
	}
}

// LoadValidators returns, for every height, exactly the set (proposer
// priorities included) that signed it, also across checkpoints.
func TestLoadValidatorsOfEveryHeight(t *testing.T) {
	for _, interval := range []int64{100_000, 4} {
		func() {
			defer func(old int64) { checkpointInterval = old }(checkpointInterval)
			checkpointInterval = interval
			ss := openStates(t, t.TempDir())
			defer ss.Close()
			steps, last := changingChain(t, ss)
			want := map[int64]*types.ValidatorSet{}
			for _, st := range steps {
				want[st.Block.Height] = st.Before.Validators
			}
			want[last.LastBlockHeight+1] = last.Validators
			want[last.LastBlockHeight+2] = last.NextValidators
			for h, set := range want {
				got, err := ss.LoadValidators(h)
				if err != nil {
					t.Fatalf("checkpoints every %d: LoadValidators(%d): %v", interval, h, err)
				}
				if !bytes.Equal(setBytes(t, got), setBytes(t, set)) {
					t.Errorf("checkpoints every %d: validators of %d differ (proposer %X, want %X)",
						interval, h, got.GetProposer().Address, set.GetProposer().Address)
				}
			}
			for _, h := range []int64{0, last.LastBlockHeight + 3} {
				if _, err := ss.LoadValidators(h); !errors.Is(err, ErrNotFound) {
					t.Errorf("LoadValidators(%d): %v, want ErrNotFound", h, err)
				}
			}
		}()
	}
}

func TestLoadConsensusParamsOfEveryHeight(t *testing.T) {
	ss := openStates(t, t.TempDir())
	defer ss.Close()
	steps, last := changingChain(t, ss)
	for _, st := range steps {
		h := st.Block.Height
		got, err := ss.LoadConsensusParams(h)
		if err != nil {
			t.Fatalf("LoadConsensusParams(%d): %v", h, err)
		}
		if !bytes.Equal(got.Hash(), st.Block.ConsensusHash) || !paramsEqual(t, got, st.Before.ConsensusParams) {
			t.Errorf("params of %d differ from those the block was made with", h)
		}
		wantGas := int64(-1)
		if h >= 6 { // updated by block 5's results
			wantGas = 77
		}
		if got.Block.MaxGas != wantGas {
			t.Errorf("params of %d have max gas %d, want %d", h, got.Block.MaxGas, wantGas)
		}
	}
	if _, err := ss.LoadConsensusParams(last.LastBlockHeight + 2); !errors.Is(err, ErrNotFound) {
		t.Errorf("params beyond the next height: %v, want ErrNotFound", err)
	}
}

func TestFinalizeBlockResponses(t *testing.T) {
	dir := t.TempDir()
	ss := openStates(t, dir)
	if h, err := ss.LastFinalizedHeight(); h != 0 || err != nil {
		t.Fatalf("empty store: last finalized %d, %v", h, err)
	}
	resps := map[int64]*abci.ResponseFinalizeBlock{}
	for h := int64(1); h <= 3; h++ {
		resps[h] = &abci.ResponseFinalizeBlock{
			TxResults: []*abci.ExecTxResult{{Code: uint32(h), Data: []byte("d"), Log: "log"}},
			AppHash:   statetest.AppHash(h),
			Events:    []abci.Event{{Type: "e"}},
		}
		if err := ss.SaveFinalizeBlockResponse(h, resps[h]); err != nil {
			t.Fatal(err)
		}
	}
	ss.Close()
	ss = openStates(t, dir)
	defer ss.Close()
	if h, err := ss.LastFinalizedHeight(); h != 3 || err != nil {
		t.Errorf("last finalized %d, %v; want 3", h, err)
	}
	for h, want := range resps {
		got, err := ss.LoadFinalizeBlockResponse(h)
		if err != nil {
			t.Fatal(err)
		}
		gotBz, _ := got.Marshal()
		wantBz, _ := want.Marshal()
		if !bytes.Equal(gotBz, wantBz) {
			t.Errorf("response of %d differs", h)
		}
	}
	if _, err := ss.LoadFinalizeBlockResponse(4); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing response: %v, want ErrNotFound", err)
	}
	if err := ss.SaveFinalizeBlockResponse(5, nil); err == nil {
		t.Error("nil response saved")
	}
	if err := ss.db.Put(heightKey(prefixFinalizeRes, 2), []byte{0xff, 0xff}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.LoadFinalizeBlockResponse(2); err == nil || !strings.Contains(err.Error(), "height 2") {
		t.Errorf("corrupted response: %v", err)
	}
}

func TestCorruptedStateIsAnError(t *testing.T) {
	ss := openStates(t, t.TempDir())
	defer ss.Close()
	changingChain(t, ss)
	if err := ss.db.Put(stateKey, []byte{1, 0xff}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ss.Load(); err == nil || !strings.Contains(err.Error(), "unsafe-reset-all") {
		t.Errorf("corrupted state: %v", err)
	}
	if err := ss.db.Put(heightKey(prefixValidators, 4), []byte{0xff}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.LoadValidators(4); err == nil || !strings.Contains(err.Error(), "height 4") {
		t.Errorf("corrupted validators: %v", err)
	}
}

func paramsEqual(t *testing.T, a, b types.ConsensusParams) bool {
	t.Helper()
	pa, pb := a.ToProto(), b.ToProto()
	return pa.Equal(&pb)
}

func TestHistoryOfChainStartingAboveHeightOne(t *testing.T) {
	ss := openStates(t, t.TempDir())
	defer ss.Close()
	gen, keys := statetest.Genesis(10, 20, 30)
	gen.InitialHeight = 5
	s, err := state.FromGenesis(gen)
	if err != nil {
		t.Fatal(err)
	}
	if err := ss.Save(s); err != nil {
		t.Fatal(err)
	}
	steps := statetest.Chain(t, s, keys, 3, nil)
	for _, st := range steps {
		if err := ss.Save(st.After); err != nil {
			t.Fatal(err)
		}
		got, err := ss.LoadValidators(st.Block.Height)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(setBytes(t, got), setBytes(t, st.Before.Validators)) {
			t.Errorf("validators of %d differ", st.Block.Height)
		}
		if _, err := ss.LoadConsensusParams(st.Block.Height); err != nil {
			t.Errorf("params of %d: %v", st.Block.Height, err)
		}
	}
	if _, err := ss.LoadValidators(4); !errors.Is(err, ErrNotFound) {
		t.Errorf("validators before the initial height: %v, want ErrNotFound", err)
	}
}
