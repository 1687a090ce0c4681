package tendermint

import (
	"math"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// Lines 34-35 schedule OnTimeoutPrevote once per round: prevotes that come
// after the first 2f+1 schedule no second timeout.
func TestPrevoteTimeout_ScheduledOncePerRound(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	acts := h.receive(h.proposal(0, -1, valueA)) // own prevote for A
	o := h.otherThan(h.proposer(0))
	acts = append(acts, h.votesFrom(consensus.Prevote, 0, consensus.Nil, o[0])...)
	acts = append(acts, h.votesFrom(consensus.Prevote, 0, valueB, o[1])...) // 2f+1 of any values
	acts = append(acts, h.votesFrom(consensus.Prevote, 0, consensus.Nil, h.proposer(0))...)
	if ts := timeouts(acts, consensus.TimeoutPrevote); len(ts) != 1 || ts[0].Timeout.Round != 0 {
		t.Fatalf("want one prevote timeout for round 0, got %+v", ts)
	}
}

// The last representable round has no next one: its precommit timeout
// starts no round, rather than one whose number wrapped negative. (A
// follower, which never asks who proposes a round: that replays the
// priority algorithm once per round.)
func TestPrecommitTimeout_LastRoundStartsNoOther(t *testing.T) {
	h := newHarness(t, equalPowers(4), -1)
	h.cfg.MaxRoundsAhead = math.MaxInt32
	h.start()
	o := h.others()
	h.votesFrom(consensus.Precommit, math.MaxInt32, consensus.Nil, o[0], o[1]) // f+1: line 55
	if st := h.core.Status(); st.Round != math.MaxInt32 {
		t.Fatalf("status %+v, want the last round", st)
	}
	acts := h.fire(consensus.TimeoutPrecommit, math.MaxInt32)
	if st := h.core.Status(); st.Round != math.MaxInt32 || len(acts) != 0 {
		t.Fatalf("status %+v, actions %v: the last round's precommit timeout started another", st, acts)
	}
}

// A decided node keeps retransmitting its messages of the deciding round
// until the block is executed: a validator that lost them needs its
// precommit to decide too.
func TestRetransmit_DecidedNodeResendsItsVotes(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.cfg.RetransmitInterval = time.Second
	h.start()
	h.decideHeight(valueA)
	seq := h.core.carry.retransmitSeq
	acts := h.step(consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutRetransmit, Round: seq}})
	var precommits int
	for _, s := range actionsOf[consensus.Send](acts) {
		if v, ok := s.Msg.(*consensus.Vote); ok && v.Type == consensus.Precommit && v.Value == valueA && v.Validator == h.self && s.To == consensus.All {
			precommits++
		}
	}
	if precommits != 1 {
		t.Fatalf("decided: want this node's precommit for A resent once, got %v", acts)
	}
}

// A decided node still answers a validator left in an earlier round of the
// height with its own messages of that round (see replyToLaggard).
func TestLaggard_DecidedNodeStillReplies(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 2)
	h.cfg.RetransmitInterval = 100
	h.start()
	h.receive(h.proposal(0, -1, valueA)) // own prevote for A
	o := h.otherThan(h.proposer(0))
	h.votesFrom(consensus.Prevote, 0, consensus.Nil, o[0])
	h.votesFrom(consensus.Prevote, 0, valueB, o[1])
	h.fire(consensus.TimeoutPrevote, 0) // own precommit nil
	h.nextRound()
	h.receive(h.proposal(1, -1, valueB))
	h.votesFrom(consensus.Prevote, 1, valueB, h.others()...)
	if ds := actionsOf[consensus.Decide](h.votesFrom(consensus.Precommit, 1, valueB, h.others()...)); len(ds) != 1 {
		t.Fatal("round 1 did not decide B")
	}
	laggard := h.proposer(0)
	if got := sendsTo(h.receive(h.vote(consensus.Prevote, 0, valueA, laggard)), laggard); len(got) != 2 {
		t.Fatalf("decided: sent %v to the validator in round 0, want this node's round-0 prevote and precommit", got)
	}
}

// A round in which this node signed one message only (a prevote, before
// line 55 took it to a later round) is still sent to a validator left in
// it; a second message from that validator in the same tick gets nothing
// more.
func TestLaggard_SingleOwnMessageIsSentOncePerTick(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 2)
	h.cfg.RetransmitInterval = 100
	h.start()
	h.fire(consensus.TimeoutPropose, 0) // own prevote nil (line 59)
	o := h.others()
	h.votesFrom(consensus.Prevote, 1, consensus.Nil, o[0], o[1]) // f+1 of round 1
	if st := h.core.Status(); st.Round != 1 {
		t.Fatalf("status %+v, want round 1", st)
	}
	laggard := o[2]
	got := sendsTo(h.receive(h.vote(consensus.Prevote, 0, consensus.Nil, laggard)), laggard)
	if len(got) != 1 {
		t.Fatalf("sent %v to the validator in round 0, want this node's round-0 prevote", got)
	}
	if v := got[0].(*consensus.Vote); v.Type != consensus.Prevote || v.Round != 0 || v.Value != consensus.Nil || v.Validator != h.self {
		t.Fatalf("sent %+v, want this node's prevote nil of round 0", v)
	}
	if again := sendsTo(h.receive(h.vote(consensus.Precommit, 0, consensus.Nil, laggard)), laggard); len(again) != 0 {
		t.Fatalf("replied twice in one retransmission tick: %v", again)
	}
}

// This node's own message of an earlier round coming back late (a slow
// echo, a replay) is no laggard: nothing is sent to itself.
func TestLaggard_NoReplyToItself(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 2)
	h.cfg.RetransmitInterval = 100
	h.start()
	h.fire(consensus.TimeoutPropose, 0) // own prevote nil, echoed back signed
	echo := h.inputs[len(h.inputs)-1].(consensus.Receive)
	if v, ok := echo.Msg.(*consensus.Vote); !ok || v.Validator != h.self || v.Type != consensus.Prevote {
		t.Fatalf("the last input is %+v, want this node's prevote echoed", echo)
	}
	o := h.others()
	h.votesFrom(consensus.Prevote, 1, consensus.Nil, o[0], o[1]) // f+1 of round 1
	if st := h.core.Status(); st.Round != 1 {
		t.Fatalf("status %+v, want round 1", st)
	}
	late := h.step(echo) // the same prevote, again
	if got := sendsTo(late, h.self); len(got) != 0 {
		t.Fatalf("sent %v to itself", got)
	}
}
