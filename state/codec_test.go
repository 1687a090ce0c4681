package state_test

import (
	"bytes"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/state"
)

func advancedState(tt testing.TB) state.State {
	s, keys := genesisState(tt, 10, 20, 30)
	var lastCommit *types.Commit
	for h := 0; h < 3; h++ {
		resp := &abci.ResponseFinalizeBlock{}
		if h == 1 {
			resp.ValidatorUpdates = []abci.ValidatorUpdate{validatorUpdate(tt, keys.Add(4).PubKey(), 5)}
		}
		step := nextBlock(tt, s, keys, lastCommit, nil, resp)
		s, lastCommit = step.After, step.Commit
	}
	return s
}

func TestBytesRoundTrip(t *testing.T) {
	genesis, _ := genesisState(t, 10)
	for name, s := range map[string]state.State{"genesis": genesis, "after blocks": advancedState(t)} {
		bz, err := s.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		got, err := state.FromBytes(bz)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		again, err := got.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bz, again) || !got.Equals(s) {
			t.Errorf("%s: state changed in a round trip", name)
		}
		if got.Validators.GetProposer() == nil || !bytes.Equal(got.Validators.GetProposer().Address, s.Validators.GetProposer().Address) {
			t.Errorf("%s: proposer lost in a round trip", name)
		}
		if !got.LastBlockID.Equals(s.LastBlockID) || !got.LastBlockTime.Equal(s.LastBlockTime) {
			t.Errorf("%s: last block lost in a round trip", name)
		}
	}
}

func TestFromBytesRejectsBadBytes(t *testing.T) {
	good, err := advancedState(t).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":          nil,
		"unknown format": append([]byte{9}, good[1:]...),
		"truncated":      good[:len(good)/2],
		"garbage":        {1, 0xff, 0xff, 0xff},
		"empty message":  {1},
	}
	for name, bz := range cases {
		if _, err := state.FromBytes(bz); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

func TestCopyIsDeep(t *testing.T) {
	s := advancedState(t)
	before, _ := s.Bytes()
	c := s.Copy()
	c.AppHash[0] ^= 1
	c.LastResultsHash[0] ^= 1
	c.LastBlockID.Hash[0] ^= 1
	c.Validators.Validators[0].VotingPower++
	c.NextValidators.IncrementProposerPriority(3)
	c.ConsensusParams.Validator.PubKeyTypes[0] = "changed"
	if after, _ := s.Bytes(); !bytes.Equal(before, after) {
		t.Error("changing a copy changed the original")
	}
	var zero state.State
	if !zero.Copy().IsEmpty() {
		t.Error("copy of the zero state is not empty")
	}
}

// FuzzFromBytes: arbitrary bytes decode to a state or an error, never a
// panic, and whatever decodes re-encodes to a state that decodes equally.
func FuzzFromBytes(f *testing.F) {
	good, err := advancedState(f).Bytes()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte{1})
	f.Add(good[:len(good)-3])
	f.Fuzz(func(t *testing.T, bz []byte) {
		s, err := state.FromBytes(bz)
		if err != nil {
			return
		}
		again, err := s.Bytes()
		if err != nil {
			t.Fatalf("decoded state does not encode: %v", err)
		}
		if _, err := state.FromBytes(again); err != nil {
			t.Fatalf("re-encoded state does not decode: %v", err)
		}
	})
}
