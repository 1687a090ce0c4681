package sim

import "testing"

// tightens accepts new powers only if every quorum of them is a quorum of
// the old ones: growing one of four equal validators a little keeps that
// (each new quorum holds it and two others), growing it to more than the
// rest together does not (it alone is a new quorum).
func TestTightens(t *testing.T) {
	cases := []struct {
		old, next []int64
		want      bool
	}{
		{[]int64{1, 1, 1, 1}, []int64{1, 1, 1, 1}, true},
		{[]int64{1, 1, 1, 1}, []int64{1, 1, 1, 2}, true},
		{[]int64{1, 1, 1, 1}, []int64{1, 1, 1, 100}, false},
		{[]int64{10, 10, 10, 10}, []int64{40, 40, 10, 10}, false}, // {0, 1} is 80 of 100
	}
	for _, c := range cases {
		if got := tightens(c.old, c.next); got != c.want {
			t.Errorf("tightens(%v, %v) = %v, want %v", c.old, c.next, got, c.want)
		}
	}
}

// The valset family changes powers in most runs, and every change
// tightens the quorums of all earlier sets.
func TestValSetPlanChangesPowers(t *testing.T) {
	changed := 0
	for seed := uint64(1); seed <= 20; seed++ {
		w, err := newWorld(Options{Protocol: toyProtocol, Scenario: ValSetScenario, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if len(w.res.Byzantine) != 0 {
			t.Fatalf("seed %d: Byzantine validators %v in the valset family", seed, w.res.Byzantine)
		}
		if len(w.powerChanges) > 0 {
			changed++
		}
		sets := [][]int64{powersOf(w.genesis)}
		for h := int64(2); h <= 12; h++ {
			if p, ok := w.powerChanges[h]; ok {
				if !tightensAll(sets, p) {
					t.Fatalf("seed %d: the change at height %d loosens a quorum", seed, h)
				}
				sets = append(sets, p)
				if got := powersOf(w.valsAt(h)); !equalPowers(got, p) {
					t.Fatalf("seed %d: set of height %d has powers %v, want %v", seed, h, got, p)
				}
			}
		}
	}
	if changed < 15 {
		t.Fatalf("powers changed in only %d of 20 runs", changed)
	}
}

func equalPowers(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
