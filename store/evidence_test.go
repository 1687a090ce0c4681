package store

import (
	"path/filepath"
	"testing"
	"time"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/state/statetest"
)

// testDuplicateVote is evidence that validator 0 voted for two blocks at
// height, at time at.
func testDuplicateVote(t *testing.T, height int64, at time.Time) *types.DuplicateVoteEvidence {
	t.Helper()
	s, _ := statetest.GenesisState(t, 10)
	key := statetest.Key(0)
	vote := func(b byte) *types.Vote {
		hash := make([]byte, 32)
		hash[0] = b
		v := &types.Vote{Type: cmtproto.PrevoteType, Height: height,
			BlockID:   types.BlockID{Hash: hash, PartSetHeader: types.PartSetHeader{Total: 1, Hash: hash}},
			Timestamp: at, ValidatorAddress: key.PubKey().Address()}
		sig, err := key.Sign(types.VoteSignBytes(s.ChainID, v.ToProto()))
		if err != nil {
			t.Fatal(err)
		}
		v.Signature = sig
		return v
	}
	ev, err := types.NewDuplicateVoteEvidence(vote(1), vote(2), at, s.Validators)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func openEvidence(t *testing.T, dir string) *EvidenceStore {
	t.Helper()
	es, err := OpenEvidenceStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestEvidenceStoreSurvivesReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "evidence.db")
	t0 := time.Unix(1000, 0).UTC()
	a, b := testDuplicateVote(t, 7, t0), testDuplicateVote(t, 3, t0)
	es := openEvidence(t, dir)
	for _, ev := range []types.Evidence{a, b} {
		if err := es.AddPending(ev); err != nil {
			t.Fatal(err)
		}
	}
	es.Close()

	es = openEvidence(t, dir)
	got, err := es.Pending()
	if err != nil || len(got) != 2 || got[0].Height() != 3 || string(got[1].Hash()) != string(a.Hash()) {
		t.Fatalf("pending after reopen: %v %v; want heights 3 then 7", got, err)
	}
	if err := es.MarkCommitted(9, []types.Evidence{a}); err != nil {
		t.Fatal(err)
	}
	es.Close()

	es = openEvidence(t, dir)
	defer es.Close()
	got, _ = es.Pending()
	if len(got) != 1 || string(got[0].Hash()) != string(b.Hash()) {
		t.Errorf("pending after commit: %v, want only the other one", got)
	}
	if yes, err := es.IsCommitted(a.Hash()); !yes || err != nil {
		t.Errorf("committed evidence forgotten after reopen: %v %v", yes, err)
	}
	if yes, _ := es.IsCommitted(b.Hash()); yes {
		t.Error("pending evidence counted as committed")
	}
	if h, err := es.MarkedThrough(); h != 9 || err != nil {
		t.Errorf("MarkedThrough = %d %v, want 9", h, err)
	}
}

func TestEvidenceStoreDeletesOnlyExpired(t *testing.T) {
	es := openEvidence(t, filepath.Join(t.TempDir(), "evidence.db"))
	defer es.Close()
	t0 := time.Unix(1000, 0).UTC()
	old, young := testDuplicateVote(t, 2, t0), testDuplicateVote(t, 8, t0.Add(time.Hour))
	oldCommitted, youngCommitted := testDuplicateVote(t, 1, t0), testDuplicateVote(t, 9, t0.Add(time.Hour))
	for _, ev := range []types.Evidence{old, young} {
		if err := es.AddPending(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := es.MarkCommitted(10, []types.Evidence{oldCommitted, youngCommitted}); err != nil {
		t.Fatal(err)
	}
	n, err := es.DeleteExpired(func(h int64, at time.Time) bool { return h < 5 && at.Equal(t0) })
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpired = %d %v, want 2", n, err)
	}
	got, _ := es.Pending()
	if len(got) != 1 || got[0].Height() != 8 {
		t.Errorf("pending after expiry: %v", got)
	}
	if yes, _ := es.IsCommitted(oldCommitted.Hash()); yes {
		t.Error("expired committed record kept")
	}
	if yes, _ := es.IsCommitted(youngCommitted.Hash()); !yes {
		t.Error("live committed record deleted")
	}
}
