package consensus

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtypes "github.com/cometbft/cometbft/types"
)

// randomSets builds the same validator set twice: ours and CometBFT's.
func randomSets(t *testing.T, rng *rand.Rand) (*ValidatorSet, *cmtypes.ValidatorSet) {
	t.Helper()
	n := 1 + rng.Intn(12)
	var ours []Validator
	var theirs []*cmtypes.Validator
	for i := 0; i < n; i++ {
		pk := ed25519.GenPrivKeyFromSecret([]byte(fmt.Sprintf("v%d-%d", i, rng.Int()))).PubKey()
		power := int64(1 + rng.Intn(100))
		if rng.Intn(4) == 0 {
			power = 10 // ties exercise the address tie-break
		}
		ours = append(ours, Validator{Address: pk.Address(), PubKey: pk.Bytes(), Power: power})
		theirs = append(theirs, cmtypes.NewValidator(pk, power))
	}
	vs, err := NewValidatorSet(ours)
	if err != nil {
		t.Fatal(err)
	}
	return vs, cmtypes.NewValidatorSet(theirs)
}

func TestProposerSelectionMatchesCometBFT(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for trial := 0; trial < 200; trial++ {
		ours, theirs := randomSets(t, rng)
		for i, v := range theirs.Validators {
			if !bytes.Equal(ours.Validators[i].Address, v.Address) {
				t.Fatalf("trial %d: order differs at %d", trial, i)
			}
		}
		for height := 1; height <= 30; height++ {
			for round := int32(0); round < 5; round++ {
				want := theirs.CopyIncrementProposerPriority(max(round, 1)).GetProposer().Address
				if round == 0 {
					want = theirs.GetProposer().Address
				}
				got := ours.Validators[ours.ProposerOf(round)].Address
				if !bytes.Equal(got, want) {
					t.Fatalf("trial %d height %d round %d: proposer %X, CometBFT %X", trial, height, round, got, want)
				}
			}
			for i, v := range theirs.Validators {
				if ours.Validators[i].ProposerPriority != v.ProposerPriority {
					t.Fatalf("trial %d height %d: priority of %d is %d, CometBFT %d", trial, height, i, ours.Validators[i].ProposerPriority, v.ProposerPriority)
				}
			}
			ours = ours.Next()
			theirs.IncrementProposerPriority(1)
		}
	}
}

func TestQuorumArithmeticIsStrict(t *testing.T) {
	vs, err := NewValidatorSet([]Validator{
		{Address: []byte{1}, Power: 1}, {Address: []byte{2}, Power: 1},
		{Address: []byte{3}, Power: 1}, {Address: []byte{4}, Power: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		power            int64
		quorum, oneThird bool
	}{{1, false, false}, {2, false, true}, {3, true, true}, {4, true, true}}
	for _, c := range cases {
		if vs.IsQuorum(c.power) != c.quorum || vs.IsOneThird(c.power) != c.oneThird {
			t.Errorf("power %d of 4: quorum=%v oneThird=%v, want %v %v", c.power, vs.IsQuorum(c.power), vs.IsOneThird(c.power), c.quorum, c.oneThird)
		}
	}
	// Weighted: 100 of 300 is exactly a third, not more.
	w, _ := NewValidatorSet([]Validator{{Address: []byte{1}, Power: 100}, {Address: []byte{2}, Power: 200}})
	if w.IsOneThird(100) || !w.IsOneThird(101) || w.IsQuorum(200) || !w.IsQuorum(201) {
		t.Error("weighted thresholds must be strict")
	}
}

func TestNewValidatorSetRejectsBadSets(t *testing.T) {
	bad := map[string][]Validator{
		"empty":          nil,
		"zero power":     {{Address: []byte{1}, Power: 0}},
		"duplicate":      {{Address: []byte{1}, Power: 1}, {Address: []byte{1}, Power: 2}},
		"overflow power": {{Address: []byte{1}, Power: MaxTotalPower}, {Address: []byte{2}, Power: 1}},
	}
	for name, vals := range bad {
		if _, err := NewValidatorSet(vals); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestTallyCountsOnceAndReportsEquivocationOnce(t *testing.T) {
	vs, _ := NewValidatorSet([]Validator{
		{Address: []byte{1}, Power: 1}, {Address: []byte{2}, Power: 1},
		{Address: []byte{3}, Power: 1}, {Address: []byte{4}, Power: 1},
	})
	tl := NewTally[string](vs)
	if ok, _, _ := tl.Add(0, "a", "m1"); !ok {
		t.Fatal("first vote not counted")
	}
	if ok, _, conflict := tl.Add(0, "a", "m1-again"); ok || conflict {
		t.Fatal("duplicate vote counted or called a conflict")
	}
	ok, prior, conflict := tl.Add(0, "b", "m2")
	if ok || !conflict || prior != "m1" {
		t.Fatalf("equivocation: counted=%v conflict=%v prior=%q", ok, conflict, prior)
	}
	if _, _, conflict := tl.Add(0, "c", "m3"); conflict {
		t.Fatal("equivocation reported twice")
	}
	if tl.Power("a") != 1 || tl.Power("b") != 0 || tl.AnyPower() != 1 {
		t.Fatalf("powers a=%d b=%d any=%d", tl.Power("a"), tl.Power("b"), tl.AnyPower())
	}
	if ok, _, _ := tl.Add(9, "a", "x"); ok {
		t.Fatal("non-validator counted")
	}
	tl.Add(1, "a", "m4")
	tl.Add(2, "a", "m5")
	if v, ok := tl.QuorumValue(); !ok || v != "a" {
		t.Fatal("quorum of 3/4 not found")
	}
	if got := tl.Messages("a"); len(got) != 3 || got[0] != "m1" {
		t.Fatalf("messages %v", got)
	}
}

// TestPrioritiesMatchCometBFTAfterUpdates starts from the sets CometBFT
// makes after validator updates (new validators enter with a low
// priority, so priorities need rescaling and re-centring) and from sets
// with arbitrary carried-over priorities, and checks proposers and
// priorities height by height: the rescale and the shift by the average
// only act on such sets, never on a genesis set.
func TestPrioritiesMatchCometBFTAfterUpdates(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for trial := 0; trial < 200; trial++ {
		_, theirs := randomSets(t, rng)
		if trial%2 == 0 {
			var changes []*cmtypes.Validator
			for i := 0; i < 1+rng.Intn(3); i++ {
				pk := ed25519.GenPrivKeyFromSecret([]byte(fmt.Sprintf("new%d-%d", i, rng.Int()))).PubKey()
				changes = append(changes, cmtypes.NewValidator(pk, int64(1+rng.Intn(1000))))
			}
			if err := theirs.UpdateWithChangeSet(changes); err != nil {
				t.Fatal(err)
			}
		} else {
			for _, v := range theirs.Validators {
				v.ProposerPriority = rng.Int63n(1<<40) - 1<<39
			}
		}
		ours := fromCometBFT(t, theirs)
		for height := 1; height <= 20; height++ {
			for round := int32(1); round < 4; round++ {
				want := theirs.CopyIncrementProposerPriority(round).GetProposer().Address
				if got := ours.Validators[ours.ProposerOf(round)].Address; !bytes.Equal(got, want) {
					t.Fatalf("trial %d height %d round %d: proposer %X, CometBFT %X", trial, height, round, got, want)
				}
			}
			ours = ours.Next()
			theirs.IncrementProposerPriority(1)
			for i, v := range theirs.Validators {
				if ours.Validators[i].ProposerPriority != v.ProposerPriority {
					t.Fatalf("trial %d height %d: priority of %d is %d, CometBFT %d", trial, height, i, ours.Validators[i].ProposerPriority, v.ProposerPriority)
				}
			}
		}
	}
}

// fromCometBFT carries a CometBFT set over as it stands: order,
// priorities and proposer.
func fromCometBFT(t *testing.T, theirs *cmtypes.ValidatorSet) *ValidatorSet {
	t.Helper()
	var vals []Validator
	proposer := int32(-1)
	for i, v := range theirs.Validators {
		vals = append(vals, Validator{Address: v.Address, PubKey: v.PubKey.Bytes(), Power: v.VotingPower, ProposerPriority: v.ProposerPriority})
		if theirs.Proposer != nil && bytes.Equal(theirs.Proposer.Address, v.Address) {
			proposer = int32(i)
		}
	}
	vs, err := ValidatorSetFromExisting(vals, max(proposer, 0))
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestClippedArithmeticSaturates: priorities add and subtract without
// wrapping around, as CometBFT's safeAddClip and safeSubClip.
func TestClippedArithmeticSaturates(t *testing.T) {
	for _, c := range []struct {
		got, want int64
	}{
		{addClip(math.MaxInt64, 1), math.MaxInt64},
		{addClip(math.MaxInt64-1, 1), math.MaxInt64},
		{addClip(math.MinInt64, -1), math.MinInt64},
		{addClip(3, -5), -2},
		{subClip(math.MinInt64, 1), math.MinInt64},
		{subClip(math.MaxInt64, -1), math.MaxInt64},
		{subClip(math.MinInt64+1, 1), math.MinInt64},
		{subClip(3, 5), -2},
	} {
		if c.got != c.want {
			t.Errorf("got %d, want %d", c.got, c.want)
		}
	}
}

// TestNewValidatorSetStartsPrioritiesFromZero: a genesis set ignores
// priorities its validators carry, and ValidatorSetFromExisting keeps
// them but refuses a proposer outside the set.
func TestNewValidatorSetStartsPrioritiesFromZero(t *testing.T) {
	vals := []Validator{
		{Address: []byte{1}, PubKey: []byte{1}, Power: 10, ProposerPriority: 500},
		{Address: []byte{2}, PubKey: []byte{2}, Power: 10, ProposerPriority: -500},
	}
	vs, err := NewValidatorSet(vals)
	if err != nil {
		t.Fatal(err)
	}
	// One increment from zero: each adds 10, the proposer (the smaller
	// address on a tie) pays the total of 20.
	if p := vs.Validators[0].ProposerPriority; p != -10 || vs.Validators[1].ProposerPriority != 10 || vs.Proposer != 0 {
		t.Errorf("priorities %d, %d, proposer %d; want -10, 10, 0", p, vs.Validators[1].ProposerPriority, vs.Proposer)
	}
	for _, p := range []int32{0, 1} {
		if _, err := ValidatorSetFromExisting(vals, p); err != nil {
			t.Errorf("proposer %d: %v", p, err)
		}
	}
	for _, p := range []int32{-1, 2} {
		if _, err := ValidatorSetFromExisting(vals, p); err == nil {
			t.Errorf("proposer %d of 2 validators accepted", p)
		}
	}
}
