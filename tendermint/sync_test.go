package tendermint

import (
	"errors"
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

func precommits(h *harness, round int32, value consensus.ID, validators ...int32) []consensus.Vote {
	var out []consensus.Vote
	for _, v := range validators {
		out = append(out, *h.vote(consensus.Precommit, round, value, v))
	}
	return out
}

func TestSynced_ValidCommitDecides(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	commit := precommits(h, 3, valueA, 0, 1, 2)
	acts := h.step(consensus.Synced{Height: 1, Value: valueA, Commit: commit})
	ds := actionsOf[consensus.Decide](acts)
	if len(ds) != 1 || ds[0].Value != valueA || len(ds[0].Commit) != 3 {
		t.Fatalf("want a decision with the synced commit, got %v", acts)
	}
	if again := h.step(consensus.Synced{Height: 1, Value: valueA, Commit: commit}); len(again) != 0 {
		t.Fatalf("repeated Synced produced %v", again)
	}
	h.execute("app")
	if h.core.Status().Height != 2 {
		t.Fatal("no next height after a synced block")
	}
	if acts := h.step(consensus.Synced{Height: 1, Value: valueB, Commit: precommits(h, 0, valueB, 0, 1, 2)}); len(acts) != 0 {
		t.Fatal("a Synced for an old height acted")
	}
}

func TestSynced_BadCommitsAreRejected(t *testing.T) {
	cases := map[string]func(h *harness) consensus.Synced{
		"short power": func(h *harness) consensus.Synced {
			return consensus.Synced{Height: 1, Value: valueA, Commit: precommits(h, 0, valueA, 0, 1)}
		},
		"mixed rounds": func(h *harness) consensus.Synced {
			c := append(precommits(h, 0, valueA, 0, 1), precommits(h, 1, valueA, 2)...)
			return consensus.Synced{Height: 1, Value: valueA, Commit: c}
		},
		"duplicate validator": func(h *harness) consensus.Synced {
			return consensus.Synced{Height: 1, Value: valueA, Commit: precommits(h, 0, valueA, 0, 1, 1)}
		},
		"prevotes": func(h *harness) consensus.Synced {
			c := precommits(h, 0, valueA, 0, 1, 2)
			c[2].Type = consensus.Prevote
			return consensus.Synced{Height: 1, Value: valueA, Commit: c}
		},
		"other value": func(h *harness) consensus.Synced {
			return consensus.Synced{Height: 1, Value: valueA, Commit: append(precommits(h, 0, valueA, 0, 1), precommits(h, 0, valueB, 2)...)}
		},
		"nil value": func(h *harness) consensus.Synced {
			return consensus.Synced{Height: 1, Value: consensus.Nil, Commit: precommits(h, 0, consensus.Nil, 0, 1, 2)}
		},
		"other height": func(h *harness) consensus.Synced {
			c := precommits(h, 0, valueA, 0, 1, 2)
			c[0].Height = 2
			return consensus.Synced{Height: 1, Value: valueA, Commit: c}
		},
		"unknown validator": func(h *harness) consensus.Synced {
			return consensus.Synced{Height: 1, Value: valueA, Commit: precommits(h, 0, valueA, 0, 1, 7)}
		},
		"empty commit": func(h *harness) consensus.Synced {
			return consensus.Synced{Height: 1, Value: valueA}
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			h := newNonProposer(t, equalPowers(4), 1)
			h.start()
			acts, err := h.core.Step(mk(h))
			if !isInvalid(err) || acts != nil {
				t.Fatalf("want ErrInvalidInput, got %v %v", acts, err)
			}
			if h.core.Status().Step == "commit" {
				t.Fatal("decided on a bad commit")
			}
		})
	}
}

func TestSynced_WeightedPower(t *testing.T) {
	// Powers 5, 3, 2, 1 (total 11): 5+3 = 8 > 22/3 decides, 5+2 = 7 does not.
	h := newNonProposer(t, []int64{5, 3, 2, 1}, 1)
	h.start()
	if _, err := h.core.Step(consensus.Synced{Height: 1, Value: valueA, Commit: precommits(h, 0, valueA, 0, 2)}); !isInvalid(err) {
		t.Fatalf("7 of 11 accepted: %v", err)
	}
	acts := h.step(consensus.Synced{Height: 1, Value: valueA, Commit: precommits(h, 0, valueA, 0, 1)})
	if len(actionsOf[consensus.Decide](acts)) != 1 {
		t.Fatal("8 of 11 did not decide")
	}
}

func TestSynced_ConflictingWithOwnDecisionHalts(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	h.decideHeight(valueA)
	_, err := h.core.Step(consensus.Synced{Height: 1, Value: valueB, Commit: precommits(h, 0, valueB, 0, 1, 2)})
	if !errors.Is(err, ErrBrokenInvariant) || isInvalid(err) {
		t.Fatalf("want a broken invariant, got %v", err)
	}
}

func TestSynced_ValueThisNodeRejectedHalts(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.autoVerdict = false
	h.start()
	h.receive(h.proposal(0, -1, valueA))
	h.step(consensus.Verdict{Height: 1, Value: valueA, Valid: false})
	_, err := h.core.Step(consensus.Synced{Height: 1, Value: valueA, Commit: precommits(h, 0, valueA, 0, 1, 2)})
	if !errors.Is(err, ErrBrokenInvariant) {
		t.Fatalf("want a broken invariant, got %v", err)
	}
}
