package consensus

import "testing"

// The limits of a validator set and a tally hold at exactly their bounds.

func TestValidatorSetAcceptsTotalPowerOfExactlyTheLimit(t *testing.T) {
	vs, err := NewValidatorSet([]Validator{{Address: []byte{1}, Power: MaxTotalPower - 1}, {Address: []byte{2}, Power: 1}})
	if err != nil {
		t.Fatalf("total power of exactly MaxTotalPower refused: %v", err)
	}
	if vs.TotalPower() != MaxTotalPower {
		t.Fatalf("total power %d, want %d", vs.TotalPower(), MaxTotalPower)
	}
	if _, err := NewValidatorSet([]Validator{{Address: []byte{1}, Power: MaxTotalPower}, {Address: []byte{2}, Power: 1}}); err == nil {
		t.Fatal("total power of MaxTotalPower+1 accepted")
	}
}

// Has is true for the indexes 0 .. Size-1 only; Power is 0 outside them,
// never a panic (an index can come from a peer's message).
func TestHasEndsBelowTheSetSize(t *testing.T) {
	vs, err := NewValidatorSet([]Validator{{Address: []byte{1}, Power: 3}, {Address: []byte{2}, Power: 2}, {Address: []byte{3}, Power: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for i := int32(-1); i <= 4; i++ {
		want := i >= 0 && i < 3
		if got := vs.Has(i); got != want {
			t.Errorf("Has(%d) = %v, want %v", i, got, want)
		}
		if !want {
			if p := vs.Power(i); p != 0 {
				t.Errorf("Power(%d) = %d outside the set, want 0", i, p)
			}
		}
	}
}

// QuorumValue names a value other than Nil only when it has more than 2/3
// of the power.
func TestTallyQuorumValueNeedsAQuorum(t *testing.T) {
	vs, err := NewValidatorSet([]Validator{{Address: []byte{1}, Power: 1}, {Address: []byte{2}, Power: 1}, {Address: []byte{3}, Power: 1}, {Address: []byte{4}, Power: 1}})
	if err != nil {
		t.Fatal(err)
	}
	tally := NewTally[string](vs)
	tally.Add(0, "block", "a")
	tally.Add(1, "block", "b")
	if v, ok := tally.QuorumValue(); ok {
		t.Fatalf("power 2 of 4: QuorumValue %q, want none", v)
	}
	tally.Add(2, Nil, "c")
	tally.Add(3, Nil, "d")
	if v, ok := tally.QuorumValue(); ok {
		t.Fatalf("power 2 of 4 each for a block and for nil: QuorumValue %q, want none", v)
	}
	full := NewTally[string](vs)
	for i := int32(0); i < 3; i++ {
		full.Add(i, "block", "x")
	}
	if v, ok := full.QuorumValue(); !ok || v != "block" {
		t.Fatalf("power 3 of 4: QuorumValue %q (%v), want block", v, ok)
	}
}
