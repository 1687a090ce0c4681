package consensus

import (
	"fmt"
	"strconv"
	"strings"
)

// Schedule says which protocol decides which height of a chain: Protocol
// below SwitchHeight, SwitchProtocol from it on. SwitchHeight 0 means the
// chain never switches. Every validator of a chain must hold the same
// schedule: the block at SwitchHeight-1 is the last one the first protocol
// decides, and its commit hands the chain to the second.
type Schedule struct {
	Protocol       string
	SwitchHeight   int64
	SwitchProtocol string
}

// Switches tells whether the schedule changes protocol at all.
func (s Schedule) Switches() bool { return s.SwitchHeight > 0 }

// At is the protocol that decides height h.
func (s Schedule) At(h int64) string {
	if s.Switches() && h >= s.SwitchHeight {
		return s.SwitchProtocol
	}
	return s.Protocol
}

// String is the schedule as one word ("pbft") or as "tendermint,pbft@100":
// the first protocol, then the second and the first height it decides.
// ParseSchedule reads it back.
func (s Schedule) String() string {
	if !s.Switches() {
		return s.Protocol
	}
	return fmt.Sprintf("%s,%s@%d", s.Protocol, s.SwitchProtocol, s.SwitchHeight)
}

// ParseSchedule reads what String wrote, as peers announce it.
func ParseSchedule(text string) (Schedule, error) {
	first, rest, found := strings.Cut(text, ",")
	if first == "" || strings.Contains(first, "@") {
		return Schedule{}, fmt.Errorf("schedule %q: want \"protocol\" or \"protocol,other@height\"", text)
	}
	if !found {
		return Schedule{Protocol: first}, nil
	}
	second, height, ok := strings.Cut(rest, "@")
	h, err := strconv.ParseInt(height, 10, 64)
	if !ok || second == "" || err != nil || h < 2 {
		return Schedule{}, fmt.Errorf("schedule %q: want \"protocol,other@height\" with a height of at least 2", text)
	}
	return Schedule{Protocol: first, SwitchHeight: h, SwitchProtocol: second}, nil
}
