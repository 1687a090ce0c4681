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

// Every third valset seed draws a checkpoint turn where the powers allow
// it: the others but the slow node and the held one hold more than 2/3 of
// the old powers and no more than 2/3 of the new ones, with the held one
// more than 2/3 of both, and the new powers tighten the old quorums.
func TestCheckpointTurnPowers(t *testing.T) {
	turns := 0
	for seed := uint64(3); seed <= 60; seed += 3 {
		w, err := newWorld(Options{Protocol: toyProtocol, Scenario: ValSetScenario, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		ct := w.ckTurn
		if ct == nil {
			continue
		}
		turns++
		old, next := powersOf(w.genesis), w.powerChanges[ct.height]
		s, h := w.nodes[ct.slow].val, w.nodes[ct.held].val
		if restOld, totalOld := othersPower(old, s, h); restOld*3 <= totalOld*2 {
			t.Errorf("seed %d: the others hold %d of the old %d", seed, restOld, totalOld)
		}
		rest, total := othersPower(next, s, h)
		if rest*3 > total*2 || (rest+next[h])*3 <= total*2 || !tightens(old, next) {
			t.Errorf("seed %d: new powers %v (old %v, slow %d, held %d) do not make the turn", seed, next, old, s, h)
		}
		if ct.height%CheckpointInterval != 0 || len(w.slowExec) != 1 || w.slowExec[ct.slow] == 0 {
			t.Errorf("seed %d: turn at height %d, slow nodes %v", seed, ct.height, w.slowExec)
		}
	}
	if turns < 5 {
		t.Fatalf("only %d of 20 seeds drew a checkpoint turn", turns)
	}
}
