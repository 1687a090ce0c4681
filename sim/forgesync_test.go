package sim

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// A forger's answer starts with a block whose commit is signed but is no
// commit: either a block nobody decided, with precommits for it from the
// Byzantine validators only, less than a quorum, or the real block with
// precommits of two rounds or none. The rest is real.
func TestForgedBlocksAreSignedButNoCommit(t *testing.T) {
	w, err := newWorld(Options{Protocol: toyProtocol, Scenario: ForgedSyncScenario, Seed: 5, Validators: 7, Powers: "equal"})
	if err != nil {
		t.Fatal(err)
	}
	forger := w.nodes[w.res.Byzantine[0]]
	if !forger.forges() {
		t.Fatalf("Byzantine node %v does not forge", forger)
	}
	var real []consensus.Synced
	for h := int64(1); h <= 3; h++ {
		var commit []consensus.Vote
		for _, n := range w.nodes {
			if n.val != forger.val || h == 1 {
				v, err := n.signer.signUnprotected(&consensus.Vote{Type: consensus.Precommit, Height: h, Round: 2, Value: "real", Validator: n.val})
				if err != nil {
					t.Fatal(err)
				}
				commit = append(commit, *v.(*consensus.Vote))
			}
		}
		real = append(real, consensus.Synced{Height: h, Value: "real", Commit: commit})
	}
	forgedValue, mixed, empty := 0, 0, 0
	for range 40 {
		got := w.forgedBlocks(forger, real)
		if len(got) != 3 || got[1].Value != "real" || got[2].Value != "real" {
			t.Fatalf("answer %+v: want a forged first block, then the real ones", got)
		}
		f := got[0]
		if f.Value == "real" && len(f.Commit) == 0 {
			empty++
			continue
		}
		if f.Value == "real" {
			mixed++
			if !mixesRounds(f.Commit) || len(f.Commit) != len(real[0].Commit) {
				t.Fatalf("real block served with commit %+v: want the real commit's voters with two rounds", f.Commit)
			}
			continue
		}
		forgedValue++
		seen := map[int32]bool{}
		var power int64
		for i := range f.Commit {
			v := &f.Commit[i]
			if err := w.keys.verify(v); err != nil {
				t.Fatalf("forged commit vote %d fails verification: %v", i, err)
			}
			if v.Value == f.Value && !seen[v.Validator] {
				seen[v.Validator] = true
				power += w.genesis.Power(v.Validator)
			}
		}
		if w.genesis.IsQuorum(power) {
			t.Fatalf("forged block %q with power %d for it: want another value without a quorum", f.Value, power)
		}
	}
	if forgedValue == 0 || mixed == 0 || empty == 0 {
		t.Fatalf("in 40 answers, %d forged values, %d mixed-round commits and %d empty ones: want each", forgedValue, mixed, empty)
	}
}

func mixesRounds(commit []consensus.Vote) bool {
	for _, v := range commit {
		if v.Round != commit[0].Round {
			return true
		}
	}
	return false
}

// At an odd height, a forger that saw the honest prevotes for the real
// block serves it, now and then, with those prevotes, padded with the
// Byzantine validators' own to a quorum, as its commit: signed votes for
// the right height, round and value that are no commit.
func TestForgedBlocksServePrevotesAsACommit(t *testing.T) {
	w, err := newWorld(Options{Protocol: toyProtocol, Scenario: ForgedSyncScenario, Seed: 5, Validators: 7, Powers: "equal"})
	if err != nil {
		t.Fatal(err)
	}
	forger := w.nodes[w.res.Byzantine[0]]
	for slot, n := range w.nodes {
		if !n.honest {
			continue
		}
		v, err := n.signer.signUnprotected(&consensus.Vote{Type: consensus.Prevote, Height: 3, Round: 1, Value: "real", Validator: n.val})
		if err != nil {
			t.Fatal(err)
		}
		w.forgery.note(w, slot, v)
	}
	real := []consensus.Synced{{Height: 3, Value: "real", Commit: []consensus.Vote{{Type: consensus.Precommit, Height: 3, Round: 1, Value: "real"}}}}
	served := 0
	for range 40 {
		f := w.forgedBlocks(forger, real)[0]
		if f.Value != "real" || len(f.Commit) == 0 || f.Commit[0].Type != consensus.Prevote {
			continue
		}
		served++
		seen := map[int32]bool{}
		var power int64
		for i := range f.Commit {
			v := &f.Commit[i]
			if err := w.keys.verify(v); err != nil || v.Height != 3 || v.Round != 1 || v.Value != "real" || seen[v.Validator] {
				t.Fatalf("prevote %d of the served commit: %+v (%v)", i, v, err)
			}
			seen[v.Validator] = true
			power += w.genesis.Power(v.Validator)
		}
		if !w.genesis.IsQuorum(power) {
			t.Fatalf("served prevotes hold power %d: want a quorum", power)
		}
	}
	if served == 0 {
		t.Fatal("in 40 answers at an odd height, no block served with prevotes as its commit")
	}
}
