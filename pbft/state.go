package pbft

import (
	"bytes"
	"slices"
)

// State is a read-only picture of a replica, for RPC and metrics.
type State struct {
	View    int32
	Primary int32  // validator index of the primary of View
	Mode    string // "normal" or "view-change"
	// Self is this node's validator index, -1 if it only follows.
	Self          int32
	LastExecuted  int64
	LastDecided   int64
	StableHeight  int64
	StableAppHash []byte
	LowWatermark  int64
	HighWatermark int64
	// InFlight lists the sequence numbers with a pre-prepare in the current
	// view that are not executed yet.
	InFlight []int64
	// FetchingTo is the last height of a state transfer in progress (0 if
	// none).
	FetchingTo int64
	ViewChange ViewChangeProgress
}

// ViewChangeProgress describes the view change in progress (in normal mode,
// the view changes heard for higher views).
type ViewChangeProgress struct {
	// Voters are the validators whose latest VIEW-CHANGE is for View or a
	// higher view, and Power their voting power out of TotalPower.
	Voters     []int32
	Power      int64
	TotalPower int64
	// Doublings counts consecutive view changes without an executed block;
	// the view-change timeout is doubled for each beyond the first.
	Doublings   int
	NewViewSent bool
}

// State returns a copy of the replica's position.
func (c *Core) State() State {
	s := State{
		View:          c.view,
		Primary:       c.primaryOf(c.view),
		Mode:          c.Status().Step,
		Self:          c.self,
		LastExecuted:  c.lastExecuted,
		LastDecided:   c.lastDecided,
		StableHeight:  c.stable.Height,
		StableAppHash: bytes.Clone(c.stable.AppHash),
		LowWatermark:  c.low(),
		HighWatermark: c.high(),
	}
	if c.lastDecided < c.fetchTo {
		s.FetchingTo = c.fetchTo
	}
	for _, n := range sortedKeys(c.slots) {
		if vs := c.slots[n].views[c.view]; n > c.lastExecuted && vs != nil && vs.prePrepare != nil {
			s.InFlight = append(s.InFlight, n)
		}
	}
	vals := c.current()
	threshold := int64(c.view)
	if c.active {
		threshold++
	}
	for _, v := range sortedKeys(c.viewChanges) {
		if int64(c.viewChanges[v].View) >= threshold {
			s.ViewChange.Voters = append(s.ViewChange.Voters, v)
			s.ViewChange.Power += vals.Power(v)
		}
	}
	s.ViewChange.Voters = slices.Clip(s.ViewChange.Voters)
	s.ViewChange.TotalPower = vals.TotalPower()
	s.ViewChange.Doublings = c.doublings
	s.ViewChange.NewViewSent = c.newViewSent
	return s
}
