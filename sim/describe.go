package sim

import (
	"fmt"

	"github.com/bftnode/bftnode/consensus"
)

// describe renders a message in one short line for traces and violations.
func describe(m consensus.Message) string {
	switch m := m.(type) {
	case *consensus.Proposal:
		if m == nil {
			return "nil proposal"
		}
		return fmt.Sprintf("proposal{h=%d r=%d pol=%d v=%s by=%d}", m.Height, m.Round, m.POLRound, valueName(m.Value), m.Proposer)
	case *consensus.Vote:
		if m == nil {
			return "nil vote"
		}
		return fmt.Sprintf("%s{h=%d r=%d v=%s by=%d}", m.Type, m.Height, m.Round, valueName(m.Value), m.Validator)
	case *consensus.Checkpoint:
		if m == nil {
			return "nil checkpoint"
		}
		return fmt.Sprintf("checkpoint{h=%d app=%x by=%d}", m.Height, short(m.AppHash), m.Validator)
	case *consensus.ViewChange:
		if m == nil {
			return "nil view-change"
		}
		return fmt.Sprintf("view-change{view=%d stable=%d prepared=%d by=%d}", m.View, m.Stable.Height, len(m.Prepared), m.Validator)
	case *consensus.NewView:
		if m == nil {
			return "nil new-view"
		}
		return fmt.Sprintf("new-view{view=%d vcs=%d pre-prepares=%d by=%d}", m.View, len(m.ViewChanges), len(m.PrePrepares), m.Validator)
	case nil:
		return "nil message"
	}
	return fmt.Sprintf("%T", m)
}

func valueName(v consensus.ID) string {
	if v == consensus.Nil {
		return "nil"
	}
	return string(v)
}

func short(b []byte) []byte {
	if len(b) > 4 {
		return b[:4]
	}
	return b
}

// describeInput renders an input for the trace.
func describeInput(in consensus.Input) string {
	switch in := in.(type) {
	case consensus.Start:
		return "start"
	case consensus.Receive:
		return "receive " + describe(in.Msg)
	case consensus.TimeoutFired:
		return fmt.Sprintf("timeout %s h=%d r=%d", in.Timeout.Kind, in.Timeout.Height, in.Timeout.Round)
	case consensus.ProposalReady:
		return fmt.Sprintf("proposal-ready h=%d r=%d v=%s", in.Height, in.Round, valueName(in.Value))
	case consensus.Verdict:
		return fmt.Sprintf("verdict h=%d v=%s valid=%v", in.Height, valueName(in.Value), in.Valid)
	case consensus.Executed:
		if in.LeftOut != "" {
			return fmt.Sprintf("executed h=%d app=%x left-out=%s", in.Height, short(in.AppHash), in.LeftOut)
		}
		return fmt.Sprintf("executed h=%d app=%x", in.Height, short(in.AppHash))
	case consensus.TxsAvailable:
		return "txs-available"
	case consensus.Synced:
		return fmt.Sprintf("synced h=%d v=%s commit=%d", in.Height, valueName(in.Value), len(in.Commit))
	}
	return fmt.Sprintf("%T", in)
}

// describeAction renders an action for the trace.
func describeAction(a consensus.Action) string {
	switch a := a.(type) {
	case consensus.Broadcast:
		return "broadcast " + describe(a.Msg)
	case consensus.Send:
		return fmt.Sprintf("send to=%d %s", a.To, describe(a.Msg))
	case consensus.SetTimeout:
		return fmt.Sprintf("set-timeout %s h=%d r=%d after=%v", a.Timeout.Kind, a.Timeout.Height, a.Timeout.Round, a.After)
	case consensus.RequestProposal:
		return fmt.Sprintf("request-proposal h=%d r=%d", a.Height, a.Round)
	case consensus.RequestVerdict:
		return fmt.Sprintf("request-verdict h=%d v=%s", a.Height, valueName(a.Value))
	case consensus.Decide:
		return fmt.Sprintf("decide h=%d v=%s commit=%d", a.Height, valueName(a.Value), len(a.Commit))
	case consensus.Evidence:
		return fmt.Sprintf("evidence %s vs %s", describe(a.First), describe(a.Second))
	case consensus.FetchBlocks:
		return fmt.Sprintf("fetch-blocks %d..%d", a.From, a.To)
	case consensus.SaveSnapshot:
		return fmt.Sprintf("save-snapshot %d bytes sign-floor=%d", len(a.State), a.SignFloor)
	}
	return fmt.Sprintf("%T", a)
}
