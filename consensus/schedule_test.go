package consensus

import "testing"

func TestScheduleAtAndText(t *testing.T) {
	s := Schedule{Protocol: "tendermint", SwitchHeight: 10, SwitchProtocol: "pbft"}
	for h, want := range map[int64]string{1: "tendermint", 9: "tendermint", 10: "pbft", 11: "pbft"} {
		if got := s.At(h); got != want {
			t.Errorf("At(%d) = %s, want %s", h, got, want)
		}
	}
	if none := (Schedule{Protocol: "pbft"}); none.At(1<<40) != "pbft" || none.Switches() {
		t.Errorf("a schedule without a switch switched")
	}
	// Height 2 is the first a chain can switch at: height 1 runs the
	// genesis protocol.
	for _, s := range []Schedule{s, {Protocol: "pbft"}, {Protocol: "pbft", SwitchHeight: 2, SwitchProtocol: "tendermint"}} {
		got, err := ParseSchedule(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSchedule(%q) = %+v, %v; want %+v", s.String(), got, err, s)
		}
	}
	for _, bad := range []string{"", "pbft,", "pbft,tendermint", "pbft,tendermint@x", "pbft,tendermint@1", "@3", "pbft,@4"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("ParseSchedule(%q) accepted", bad)
		}
	}
}

func TestHeightsOfInputsAndActions(t *testing.T) {
	vote := &Vote{Type: Precommit, Height: 7}
	for _, c := range []struct {
		in   Input
		want int64
	}{
		{Receive{Msg: vote}, 7}, {Receive{Msg: &Proposal{Height: 8}}, 8}, {Receive{Msg: &Checkpoint{Height: 5}}, 5},
		{Receive{Msg: &ViewChange{View: 3}}, 0}, {TimeoutFired{Timeout: Timeout{Height: 4}}, 0},
		{ProposalReady{Height: 3}, 3}, {Verdict{Height: 2}, 2}, {Executed{Height: 6}, 6}, {Synced{Height: 9}, 9},
		{Start{}, 0}, {TxsAvailable{}, 0},
	} {
		if got := InputHeight(c.in); got != c.want {
			t.Errorf("InputHeight(%T) = %d, want %d", c.in, got, c.want)
		}
	}
	for _, c := range []struct {
		a    Action
		want int64
	}{
		{Broadcast{Msg: vote}, 7}, {RequestProposal{Height: 3}, 3}, {RequestVerdict{Height: 4}, 4},
		{Decide{Height: 5}, 5}, {SetTimeout{Timeout: Timeout{Height: 9}}, 0}, {Send{Msg: vote}, 0}, {SaveSnapshot{}, 0},
	} {
		if got := ActionHeight(c.a); got != c.want {
			t.Errorf("ActionHeight(%T) = %d, want %d", c.a, got, c.want)
		}
	}
}
