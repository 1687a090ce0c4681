package sim

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// A forger's answer starts with a block nobody decided whose commit is
// signed but is no commit: its precommits for the forged value come from
// the Byzantine validators only, less than a quorum. The rest is real.
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
			if n.honest {
				v, err := n.signer.signUnprotected(&consensus.Vote{Type: consensus.Precommit, Height: h, Value: "real", Validator: n.val})
				if err != nil {
					t.Fatal(err)
				}
				commit = append(commit, *v.(*consensus.Vote))
			}
		}
		real = append(real, consensus.Synced{Height: h, Value: "real", Commit: commit})
	}
	for range 10 {
		got := w.forgedBlocks(forger, real)
		if len(got) != 3 || got[1].Value != "real" || got[2].Value != "real" {
			t.Fatalf("answer %+v: want a forged first block, then the real ones", got)
		}
		f := got[0]
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
		if f.Value == "real" || w.genesis.IsQuorum(power) {
			t.Fatalf("forged block %q with power %d for it: want another value without a quorum", f.Value, power)
		}
	}
}
