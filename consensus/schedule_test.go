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
	for _, s := range []Schedule{s, {Protocol: "pbft"}} {
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
