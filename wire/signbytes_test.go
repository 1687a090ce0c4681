package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

// signedPrecommits has validators 0..n-1 of keys sign precommits for value
// at (height, round) over SignBytes.
func signedPrecommits(t testing.TB, keys []ed25519.PrivKey, n int, chainID string, height int64, round int32, value consensus.ID) []consensus.Vote {
	t.Helper()
	var votes []consensus.Vote
	for i := 0; i < n; i++ {
		v := consensus.Vote{Type: consensus.Precommit, Height: height, Round: round, Value: value, Validator: int32(i),
			Timestamp: time.Unix(1_700_000_000+int64(i), 0).UTC()}
		sb, err := SignBytes(chainID, &v)
		if err != nil {
			t.Fatal(err)
		}
		if v.Signature, err = keys[i].Sign(sb); err != nil {
			t.Fatal(err)
		}
		votes = append(votes, v)
	}
	return votes
}

func TestSignedVotesFormACommitCometBFTVerifies(t *testing.T) {
	keys, vals := testVals(4)
	block := testBlock(t, "tx")
	value := blockID(t, block)
	bid, _ := DecodeID(value)
	// Tendermint round 0, and a PBFT COMMIT quorum in view 3 (round = view).
	for _, round := range []int32{0, 3} {
		votes := signedPrecommits(t, keys, 3, testChainID, 7, round, value)
		commit, err := CommitFromVotes(votes, vals)
		if err != nil {
			t.Fatal(err)
		}
		if err := vals.VerifyCommit(testChainID, bid, 7, commit); err != nil {
			t.Fatalf("round %d: VerifyCommit refused our commit: %v", round, err)
		}
		if err := vals.VerifyCommitLight(testChainID, bid, 7, commit); err != nil {
			t.Fatalf("round %d: VerifyCommitLight refused our commit: %v", round, err)
		}
		back, err := VotesFromCommit(commit)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, votes) {
			t.Fatalf("round %d: votes from commit differ:\n got %v\nwant %v", round, back, votes)
		}
	}
}

func TestCommitVerificationFailsForTheWrongThing(t *testing.T) {
	keys, vals := testVals(4)
	value := blockID(t, testBlock(t, "tx"))
	bid, _ := DecodeID(value)

	otherChain := signedPrecommits(t, keys, 3, "other-chain", 7, 0, value)
	commit, err := CommitFromVotes(otherChain, vals)
	if err != nil {
		t.Fatal(err)
	}
	if err := vals.VerifyCommit(testChainID, bid, 7, commit); err == nil {
		t.Error("a commit signed for another chain verified")
	}

	tooFew := signedPrecommits(t, keys, 2, testChainID, 7, 0, value)
	commit, err = CommitFromVotes(tooFew, vals)
	if err != nil {
		t.Fatal(err)
	}
	if err := vals.VerifyCommit(testChainID, bid, 7, commit); err == nil {
		t.Error("2 of 4 signatures verified as a commit")
	}

	// Prevote signatures cannot pass for precommits.
	votes := signedPrecommits(t, keys, 3, testChainID, 7, 0, value)
	for i := range votes {
		pv := votes[i]
		pv.Type, pv.Signature = consensus.Prevote, nil
		sb, _ := SignBytes(testChainID, &pv)
		votes[i].Signature, _ = keys[i].Sign(sb)
	}
	commit, err = CommitFromVotes(votes, vals)
	if err != nil {
		t.Fatal(err)
	}
	if err := vals.VerifyCommit(testChainID, bid, 7, commit); err == nil {
		t.Error("prevote signatures verified as a commit")
	}
}

func TestCommitFromVotesRefusesMixedVotes(t *testing.T) {
	keys, vals := testVals(4)
	value := blockID(t, testBlock(t, "tx"))
	base := signedPrecommits(t, keys, 3, testChainID, 7, 0, value)
	mutate := map[string]func([]consensus.Vote) []consensus.Vote{
		"empty":        func([]consensus.Vote) []consensus.Vote { return nil },
		"prevote":      func(v []consensus.Vote) []consensus.Vote { v[1].Type = consensus.Prevote; return v },
		"other height": func(v []consensus.Vote) []consensus.Vote { v[1].Height = 8; return v },
		"other round":  func(v []consensus.Vote) []consensus.Vote { v[2].Round = 1; return v },
		"other value":  func(v []consensus.Vote) []consensus.Vote { v[2].Value = consensus.Nil; return v },
		"nil value": func(v []consensus.Vote) []consensus.Vote {
			for i := range v {
				v[i].Value = consensus.Nil
			}
			return v
		},
		"twice":         func(v []consensus.Vote) []consensus.Vote { return append(v, v[0]) },
		"outside set":   func(v []consensus.Vote) []consensus.Vote { v[0].Validator = 4; return v },
		"no signature":  func(v []consensus.Vote) []consensus.Vote { v[0].Signature = nil; return v },
		"invalid round": func(v []consensus.Vote) []consensus.Vote { v[0].Round = -1; return v },
	}
	for name, f := range mutate {
		votes := f(append([]consensus.Vote(nil), base...))
		if _, err := CommitFromVotes(votes, vals); err == nil {
			t.Errorf("%s: commit built", name)
		}
	}
}

func TestVoteAndProposalSignBytesAreCometBFTs(t *testing.T) {
	keys, _ := testVals(1)
	g := newGen(11)
	value := blockID(t, testBlock(t, "tx"))
	bid, _ := DecodeID(value)

	v := g.vote(consensus.Prevote, 9, 2, value, 0)
	sb, err := SignBytes(testChainID, &v)
	if err != nil {
		t.Fatal(err)
	}
	cmtVote := &types.Vote{Type: cmtproto.PrevoteType, Height: 9, Round: 2, BlockID: bid, Timestamp: v.Timestamp,
		ValidatorAddress: keys[0].PubKey().Address(), ValidatorIndex: 0}
	if want := types.VoteSignBytes(testChainID, cmtVote.ToProto()); !bytes.Equal(sb, want) {
		t.Fatalf("vote sign bytes differ from CometBFT's:\n got %X\nwant %X", sb, want)
	}
	cmtVote.Signature, _ = keys[0].Sign(sb)
	if err := cmtVote.Verify(testChainID, keys[0].PubKey()); err != nil {
		t.Fatalf("CometBFT refuses a vote signed over our bytes: %v", err)
	}

	p := g.proposal(9, 2, value)
	p.POLRound = 1
	sb, err = SignBytes(testChainID, &p)
	if err != nil {
		t.Fatal(err)
	}
	cmtProp := types.NewProposal(9, 2, 1, bid)
	cmtProp.Timestamp = p.Timestamp
	if want := types.ProposalSignBytes(testChainID, cmtProp.ToProto()); !bytes.Equal(sb, want) {
		t.Fatalf("proposal sign bytes differ from CometBFT's:\n got %X\nwant %X", sb, want)
	}
	// A PBFT null pre-prepare (value nil) has sign bytes too.
	null := g.proposal(9, 0, consensus.Nil)
	if _, err := SignBytes(testChainID, &null); err != nil {
		t.Fatalf("null pre-prepare: %v", err)
	}
}

func TestPBFTSignBytesCoverEverythingButTheOwnSignature(t *testing.T) {
	g := newGen(12)
	for i := 0; i < 50; i++ {
		for k := 2; k <= 4; k++ {
			m := g.message(k)
			sb, err := SignBytes(testChainID, m)
			if err != nil {
				t.Fatalf("%T: %v", m, err)
			}
			domain := map[int]string{2: checkpointDomain, 3: viewChangeDomain, 4: newViewDomain}[k]
			if !bytes.HasPrefix(sb, []byte(domain+"\x00")) {
				t.Fatalf("%T sign bytes lack the %q prefix", m, domain)
			}
			again, _ := SignBytes(testChainID, m)
			if !bytes.Equal(sb, again) {
				t.Fatalf("%T: sign bytes not deterministic", m)
			}
			if other, _ := SignBytes(testChainID+"-2", m); bytes.Equal(sb, other) {
				t.Fatalf("%T: sign bytes ignore the chain ID", m)
			}
			m.SetOwnSignature(nil)
			if unsigned, err := SignBytes(testChainID, m); err != nil || !bytes.Equal(sb, unsigned) {
				t.Fatalf("%T: own signature changes the sign bytes (%v)", m, err)
			}
			for _, change := range changes(m) {
				change.apply()
				changed, err := SignBytes(testChainID, m)
				if err != nil {
					t.Fatalf("%T: changing %s: %v", m, change.what, err)
				}
				if bytes.Equal(sb, changed) {
					t.Fatalf("%T: changing %s leaves the sign bytes unchanged", m, change.what)
				}
				change.undo()
			}
		}
	}
}

type change struct {
	what        string
	apply, undo func()
}

// changes lists single-field edits of m, nested signatures included.
func changes(m consensus.Message) []change {
	var cs []change
	add := func(what string, p *int64) {
		old := *p
		cs = append(cs, change{what, func() { *p = old + 1 }, func() { *p = old }})
	}
	add32 := func(what string, p *int32) {
		old := *p
		cs = append(cs, change{what, func() { *p = old + 1000 }, func() { *p = old }})
	}
	flip := func(what string, b []byte) {
		if len(b) == 0 {
			return
		}
		cs = append(cs, change{what, func() { b[0] ^= 1 }, func() { b[0] ^= 1 }})
	}
	later := func(what string, p *time.Time) {
		old := *p
		cs = append(cs, change{what, func() { *p = old.Add(time.Nanosecond) }, func() { *p = old }})
	}
	viewChange := func(prefix string, vc *consensus.ViewChange) {
		add32(prefix+"validator", &vc.Validator)
		flip(prefix+"stable app hash", vc.Stable.AppHash)
		for i := range vc.Stable.Proof {
			flip(prefix+"stable proof signature", vc.Stable.Proof[i].Signature)
		}
		for i := range vc.Prepared {
			flip(prefix+"pre-prepare signature", vc.Prepared[i].PrePrepare.Signature)
			later(prefix+"pre-prepare timestamp", &vc.Prepared[i].PrePrepare.Timestamp)
			for j := range vc.Prepared[i].Prepares {
				flip(prefix+"prepare signature", vc.Prepared[i].Prepares[j].Signature)
			}
		}
	}
	switch m := m.(type) {
	case *consensus.Checkpoint:
		add("height", &m.Height)
		add32("validator", &m.Validator)
		flip("app hash", m.AppHash)
	case *consensus.ViewChange:
		add32("view", &m.View)
		viewChange("", m)
	case *consensus.NewView:
		add32("validator", &m.Validator)
		for i := range m.ViewChanges {
			flip("view change signature", m.ViewChanges[i].Signature)
			viewChange("view change ", &m.ViewChanges[i])
		}
		for i := range m.PrePrepares {
			flip("O pre-prepare signature", m.PrePrepares[i].Signature)
			add("O pre-prepare height", &m.PrePrepares[i].Height)
		}
	}
	return cs
}

func TestSignBytesRefuseWhatCannotBeSigned(t *testing.T) {
	g := newGen(13)
	v := g.vote(consensus.Precommit, 1, 0, consensus.Nil, 0)
	if _, err := SignBytes("", &v); err == nil {
		t.Error("empty chain ID accepted")
	}
	if _, err := SignBytes(string(make([]byte, types.MaxChainIDLen+1)), &v); err == nil {
		t.Error("overlong chain ID accepted")
	}
	v.Height = 0
	if _, err := SignBytes(testChainID, &v); !errors.Is(err, ErrInvalid) {
		t.Errorf("height 0: %v", err)
	}
	nv := g.newView()
	nv.ViewChanges[0].Signature = nil // a nested message must be signed
	if _, err := SignBytes(testChainID, nv); !errors.Is(err, ErrInvalid) {
		t.Errorf("unsigned nested view change: %v", err)
	}
	if _, err := SignBytes(testChainID, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil message: %v", err)
	}
	if _, err := SignBytes(testChainID, (*consensus.Checkpoint)(nil)); !errors.Is(err, ErrInvalid) {
		t.Errorf("typed nil message: %v", err)
	}
}
