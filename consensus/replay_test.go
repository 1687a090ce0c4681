package consensus_test

import (
	"fmt"
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

func TestLoggedInputsAnswerTheirRequests(t *testing.T) {
	vote := &consensus.Vote{Type: consensus.Prevote, Height: 3, Round: 1, Value: "x"}
	cases := []struct {
		name   string
		in     consensus.Input
		own    bool
		action consensus.Action
		want   bool
	}{
		{"proposal ready", consensus.ProposalReady{Height: 3, Round: 1}, false, consensus.RequestProposal{Height: 3, Round: 1}, true},
		{"other round", consensus.ProposalReady{Height: 3, Round: 2}, false, consensus.RequestProposal{Height: 3, Round: 1}, false},
		{"verdict", consensus.Verdict{Height: 3, Value: "x"}, false, consensus.RequestVerdict{Height: 3, Value: "x"}, true},
		{"verdict of another height", consensus.Verdict{Height: 2, Value: "x"}, false, consensus.RequestVerdict{Height: 3, Value: "x"}, false},
		{"verdict on another value", consensus.Verdict{Height: 3, Value: "y"}, false, consensus.RequestVerdict{Height: 3, Value: "x"}, false},
		{"executed", consensus.Executed{Height: 3}, false, consensus.Decide{Height: 3}, true},
		{"own vote", consensus.Receive{Msg: vote}, true, consensus.Broadcast{Msg: vote}, true},
		{"peer's vote", consensus.Receive{Msg: vote}, false, consensus.Broadcast{Msg: vote}, false},
		{"timeout", consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: 1, Height: 3}}, false,
			consensus.SetTimeout{Timeout: consensus.Timeout{Kind: 1, Height: 3}}, true},
	}
	for _, c := range cases {
		if got := consensus.Answers(c.in, c.own, c.action); got != c.want {
			t.Errorf("%s: answers = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestResolveKeepsOnlyTheUnanswered holds a replay's actions and lets the
// logged inputs answer some: the rest stays, in the order held.
func TestResolveKeepsOnlyTheUnanswered(t *testing.T) {
	prevote := &consensus.Vote{Type: consensus.Prevote, Height: 5, Round: 0, Value: "v"}
	precommit := &consensus.Vote{Type: consensus.Precommit, Height: 5, Round: 0, Value: "v"}
	timer := consensus.Timeout{Kind: consensus.TimeoutPropose, Height: 5}
	held := []consensus.Action{
		consensus.RequestProposal{Height: 5, Round: 0},
		consensus.Broadcast{Msg: prevote},
		consensus.SetTimeout{Timeout: timer},
		consensus.Broadcast{Msg: precommit},
		consensus.RequestVerdict{Height: 5, Value: "v"},
	}
	held = consensus.Resolve(held, consensus.ProposalReady{Height: 5, Round: 0, Value: "v"}, false)
	held = consensus.Resolve(held, consensus.Receive{Msg: precommit}, false) // a peer's copy answers nothing
	signed := *prevote
	signed.Signature = []byte("sig")
	held = consensus.Resolve(held, consensus.Receive{Msg: &signed}, true)

	want := []consensus.Action{
		consensus.SetTimeout{Timeout: timer},
		consensus.Broadcast{Msg: precommit},
		consensus.RequestVerdict{Height: 5, Value: "v"},
	}
	if len(held) != len(want) {
		t.Fatalf("unanswered %v, want %v", held, want)
	}
	for i := range want {
		if fmt.Sprint(held[i]) != fmt.Sprint(want[i]) {
			t.Errorf("unanswered[%d] = %v, want %v", i, held[i], want[i])
		}
	}
}

func TestSameSlotIgnoresTheSignatureButNotTheSlot(t *testing.T) {
	a := &consensus.Vote{Type: consensus.Precommit, Height: 2, Round: 1, Value: "x"}
	signed := *a
	signed.Signature = []byte("s")
	if !consensus.SameSlot(a, &signed) {
		t.Error("a vote and its signed copy are not the same slot")
	}
	other := *a
	other.Round = 2
	if consensus.SameSlot(a, &other) {
		t.Error("votes of two rounds are the same slot")
	}
	if consensus.SameSlot(a, &consensus.Proposal{Height: 2, Round: 1}) {
		t.Error("a vote and a proposal are the same slot")
	}
	if !consensus.SameSlot(&consensus.ViewChange{View: 3}, &consensus.ViewChange{View: 3, Validator: 1}) {
		t.Error("two view changes of one view are not the same slot")
	}
	if consensus.SameSlot(&consensus.ViewChange{View: 3}, &consensus.ViewChange{View: 4}) {
		t.Error("view changes of two views are the same slot")
	}
	if !consensus.SameSlot(&consensus.NewView{View: 3}, &consensus.NewView{View: 3, Validator: 1}) {
		t.Error("two new views of one view are not the same slot")
	}
	if consensus.SameSlot(&consensus.NewView{View: 3}, &consensus.NewView{View: 4}) {
		t.Error("new views of two views are the same slot")
	}
	// One view's VIEW-CHANGE and NEW-VIEW are two messages (the new
	// primary signs both), so neither answers the other's Broadcast.
	if consensus.SameSlot(&consensus.ViewChange{View: 3}, &consensus.NewView{View: 3}) ||
		consensus.SameSlot(&consensus.NewView{View: 3}, &consensus.ViewChange{View: 3}) {
		t.Error("a view change and a new view of one view are the same slot")
	}
}

// TestSameSlotTellsEveryFieldOfTheSlot changes one field of a slot at a
// time, and pairs messages of different kinds, which never share a slot.
func TestSameSlotTellsEveryFieldOfTheSlot(t *testing.T) {
	vote := &consensus.Vote{Type: consensus.Prevote, Height: 4, Round: 2}
	prop := &consensus.Proposal{Height: 4, Round: 2}
	cp := &consensus.Checkpoint{Height: 4}
	vc := &consensus.ViewChange{View: 4}
	nv := &consensus.NewView{View: 4}
	others := []consensus.Message{
		&consensus.Vote{Type: consensus.Precommit, Height: 4, Round: 2},
		&consensus.Vote{Type: consensus.Prevote, Height: 5, Round: 2},
		&consensus.Vote{Type: consensus.Prevote, Height: 4, Round: 3},
		&consensus.Proposal{Height: 5, Round: 2},
		&consensus.Proposal{Height: 4, Round: 3},
		&consensus.Checkpoint{Height: 5},
	}
	all := []consensus.Message{vote, prop, cp, vc, nv}
	for i, a := range all {
		for j, b := range all {
			if got := consensus.SameSlot(a, b); got != (i == j) {
				t.Errorf("SameSlot(%T, %T) = %v", a, b, got)
			}
		}
		for _, b := range others {
			if consensus.SameSlot(a, b) {
				t.Errorf("SameSlot(%+v, %+v) = true", a, b)
			}
		}
	}
}
