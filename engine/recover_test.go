package engine

import (
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
		{"executed", consensus.Executed{Height: 3}, false, consensus.Decide{Height: 3}, true},
		{"own vote", consensus.Receive{Msg: vote}, true, consensus.Broadcast{Msg: vote}, true},
		{"peer's vote", consensus.Receive{Msg: vote}, false, consensus.Broadcast{Msg: vote}, false},
		{"timeout", consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: 1, Height: 3}}, false,
			consensus.SetTimeout{Timeout: consensus.Timeout{Kind: 1, Height: 3}}, true},
	}
	for _, c := range cases {
		if got := answers(c.in, c.own, c.action); got != c.want {
			t.Errorf("%s: answers = %v, want %v", c.name, got, c.want)
		}
	}
}
