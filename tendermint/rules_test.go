package tendermint

import (
	"errors"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

const (
	valueA consensus.ID = "block-A"
	valueB consensus.ID = "block-B"
)

func TestStartRound_NonProposerSchedulesTimeoutPropose(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	acts := h.start()
	ts := timeouts(acts, consensus.TimeoutPropose)
	if len(ts) != 1 || ts[0].Timeout.Round != 0 || ts[0].After != h.cfg.TimeoutPropose {
		t.Fatalf("want one propose timeout for round 0 after %v, got %+v", h.cfg.TimeoutPropose, ts)
	}
	if len(actionsOf[consensus.RequestProposal](acts)) != 0 {
		t.Fatal("a non-proposer asked for a proposal")
	}
}

func TestStartRound_ProposerAsksAppAndProposes(t *testing.T) {
	h := newHarness(t, equalPowers(4), -1)
	h.self = h.vals.ProposerOf(0)
	acts := h.start()
	reqs := actionsOf[consensus.RequestProposal](acts)
	if len(reqs) != 1 || reqs[0].Height != 1 || reqs[0].Round != 0 {
		t.Fatalf("want RequestProposal{1, 0}, got %+v", reqs)
	}
	if len(timeouts(acts, consensus.TimeoutPropose)) != 0 {
		t.Fatal("the proposer scheduled timeoutPropose (line 21 is for others)")
	}
	acts = h.step(consensus.ProposalReady{Height: 1, Round: 0, Value: valueA})
	props := actionsOf[consensus.Broadcast](acts)
	p, ok := props[0].Msg.(*consensus.Proposal)
	if !ok || p.Value != valueA || p.POLRound != -1 || p.Proposer != h.self || !p.Timestamp.IsZero() {
		t.Fatalf("want unsigned proposal of %q with POL -1, got %+v", valueA, props[0].Msg)
	}
	// The echo of the signed proposal triggers line 22 for the proposer too.
	onlyVote(t, acts, consensus.Prevote, 0, valueA)
	// A repeated answer changes nothing.
	if again := h.step(consensus.ProposalReady{Height: 1, Round: 0, Value: valueB}); len(again) != 0 {
		t.Fatalf("repeated ProposalReady produced %v", again)
	}
}

func TestStartRound_ProposerReproposesValidValue(t *testing.T) {
	h := newHarness(t, equalPowers(4), -1)
	h.self = h.vals.ProposerOf(1)
	if h.self == h.vals.ProposerOf(0) {
		t.Fatal("test needs different proposers for rounds 0 and 1")
	}
	h.start()
	h.lockOn(0, valueA)
	h.votesFrom(consensus.Precommit, 0, consensus.Nil, h.others()...)
	acts := h.fire(consensus.TimeoutPrecommit, 0)
	if len(actionsOf[consensus.RequestProposal](acts)) != 0 {
		t.Fatal("asked the app although validValue is set (line 15)")
	}
	p := actionsOf[consensus.Broadcast](acts)[0].Msg.(*consensus.Proposal)
	if p.Value != valueA || p.POLRound != 0 || p.Round != 1 {
		t.Fatalf("want re-proposal of %q with POL round 0 in round 1, got %+v", valueA, p)
	}
	// The prevotes of round 0 go with it, so that nodes that missed them
	// can apply line 28.
	relayed := 0
	for _, s := range actionsOf[consensus.Send](acts) {
		if v, ok := s.Msg.(*consensus.Vote); ok && v.Round == 0 && v.Type == consensus.Prevote && v.Value == valueA && v.Signature != nil {
			relayed++
		}
	}
	if relayed != 4 {
		t.Fatalf("relayed %d signed prevotes of the POL round, want all 4", relayed)
	}
	// Line 28 then prevotes it: the polka of round 0 is in the log.
	onlyVote(t, acts, consensus.Prevote, 1, valueA)
}

func TestLine22_PrevoteProposalWhenUnlocked(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	acts := h.receive(h.proposal(0, -1, valueA))
	onlyVote(t, acts, consensus.Prevote, 0, valueA)
	if h.core.Status().Step != "prevote" {
		t.Fatalf("step %s, want prevote (line 27)", h.core.Status().Step)
	}
}

func TestLine22_PrevoteNilWhenLockedOnOtherValue(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 2)
	h.start()
	h.lockOn(0, valueA)
	h.nextRound()
	acts := h.receive(h.proposal(1, -1, valueB))
	onlyVote(t, acts, consensus.Prevote, 1, consensus.Nil)
}

func TestLine22_PrevoteLockedValueAgain(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 2)
	h.start()
	h.lockOn(0, valueA)
	h.nextRound()
	acts := h.receive(h.proposal(1, -1, valueA))
	onlyVote(t, acts, consensus.Prevote, 1, valueA)
}

func TestLine22_WaitsForVerdictAndInvalidValueGetsNil(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.autoVerdict = false
	h.start()
	acts := h.receive(h.proposal(0, -1, valueA))
	if rv := actionsOf[consensus.RequestVerdict](acts); len(rv) != 1 || rv[0].Value != valueA || rv[0].Height != 1 {
		t.Fatalf("want RequestVerdict for %q, got %+v", valueA, rv)
	}
	noVote(t, acts, consensus.Prevote)
	acts = h.step(consensus.Verdict{Height: 1, Value: valueA, Valid: false})
	onlyVote(t, acts, consensus.Prevote, 0, consensus.Nil)
	// A second verdict is harmless: the first answer wins.
	if again := h.step(consensus.Verdict{Height: 1, Value: valueA, Valid: true}); len(again) != 0 {
		t.Fatalf("repeated verdict produced %v", again)
	}
	// A polka for the rejected value never locks it (line 36 needs valid(v)).
	acts = h.votesFrom(consensus.Prevote, 0, valueA, h.others()...)
	noVote(t, acts, consensus.Precommit)
	if rs := h.core.RoundState(); rs.LockedRound != -1 || rs.ValidRound != -1 {
		t.Fatalf("locked or valid on a rejected value: %+v", rs)
	}
}

func TestLine22_VerdictIsAskedOncePerValue(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 2)
	h.start()
	h.receive(h.proposal(0, -1, valueA))
	h.nextRound()
	acts := h.receive(h.proposal(1, -1, valueA))
	if n := len(actionsOf[consensus.RequestVerdict](acts)); n != 0 {
		t.Fatalf("asked again for a value with a known verdict (%d requests)", n)
	}
	onlyVote(t, acts, consensus.Prevote, 1, valueA)
}

func TestLine28_PrevoteWhenLockIsNotAfterPOLRound(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 3)
	h.start()
	h.lockOn(0, valueA)
	h.nextRound()
	// Round 1: a polka for B that this node saw (it prevoted nil: locked).
	h.receive(h.proposal(1, -1, valueB))
	h.votesFrom(consensus.Prevote, 1, valueB, h.others()...)
	// It saw the polka in step prevote: line 36 moves the lock to B.
	if rs := h.core.RoundState(); rs.LockedValue != valueB || rs.LockedRound != 1 {
		t.Fatalf("polka in round 1 did not relock: %+v", rs)
	}
	h.nextRound()
	acts := h.receive(h.proposal(2, 1, valueB))
	onlyVote(t, acts, consensus.Prevote, 2, valueB)
}

func TestLine28_PrevoteWhenPOLRoundAboveLockForOtherValue(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 3)
	h.start()
	h.lockOn(0, valueA)
	h.nextRound()
	// Round 1: the others prevote B but this node misses the proposal, so
	// it keeps its lock on A from round 0.
	h.votesFrom(consensus.Prevote, 1, valueB, h.others()...)
	h.nextRound()
	if rs := h.core.RoundState(); rs.LockedValue != valueA || rs.LockedRound != 0 {
		t.Fatalf("lock changed without the proposal: %+v", rs)
	}
	// lockedRound 0 <= vr 1: prevote B although locked on A (line 29).
	acts := h.receive(h.proposal(2, 1, valueB))
	onlyVote(t, acts, consensus.Prevote, 2, valueB)
}

func TestLine28_PrevoteNilWhenLockedAfterPOLRound(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 3)
	h.start()
	// Round 0: a polka for B that this node did not see as a proposal.
	h.votesFrom(consensus.Prevote, 0, valueB, h.others()...)
	h.nextRound()
	h.lockOn(1, valueA)
	h.nextRound()
	// Proposal of B with POL round 0 < lockedRound 1, value differs: nil.
	acts := h.receive(h.proposal(2, 0, valueB))
	onlyVote(t, acts, consensus.Prevote, 2, consensus.Nil)
}

func TestLine28_WaitsForPolkaAtPOLRound(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 2)
	h.start()
	h.nextRound()
	acts := h.receive(h.proposal(1, 0, valueA))
	noVote(t, acts, consensus.Prevote)
	// Two prevotes of four are not 2f+1.
	acts = h.votesFrom(consensus.Prevote, 0, valueA, h.others()[:2]...)
	noVote(t, acts, consensus.Prevote)
	acts = h.votesFrom(consensus.Prevote, 0, valueA, h.others()[2])
	onlyVote(t, acts, consensus.Prevote, 1, valueA)
}

func TestLine34_TimeoutPrevoteOnceOnAnyQuorum(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	h.receive(h.proposal(0, -1, valueA)) // own prevote for A: step prevote
	o := h.others()
	acts := h.receive(h.vote(consensus.Prevote, 0, valueB, o[0]))
	if len(timeouts(acts, consensus.TimeoutPrevote)) != 0 {
		t.Fatal("timeout prevote with 2 of 4 prevotes")
	}
	acts = h.receive(h.vote(consensus.Prevote, 0, consensus.Nil, o[1]))
	ts := timeouts(acts, consensus.TimeoutPrevote)
	if len(ts) != 1 || ts[0].Timeout.Round != 0 || ts[0].After != h.cfg.TimeoutPrevote {
		t.Fatalf("want one prevote timeout for round 0, got %+v", ts)
	}
	acts = h.receive(h.vote(consensus.Prevote, 0, valueB, o[2]))
	if len(timeouts(acts, consensus.TimeoutPrevote)) != 0 {
		t.Fatal("timeout prevote scheduled twice in one round")
	}
}

func TestLine34_NotInProposeStep(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	acts := h.votesFrom(consensus.Prevote, 0, valueB, h.others()...)
	if len(timeouts(acts, consensus.TimeoutPrevote)) != 0 {
		t.Fatal("timeout prevote scheduled in step propose")
	}
}

func TestLine36_LockAndPrecommit(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	acts := h.lockOn(0, valueA)
	onlyVote(t, acts, consensus.Precommit, 0, valueA)
	rs := h.core.RoundState()
	if rs.ValidValue != valueA || rs.ValidRound != 0 || rs.Step != "precommit" {
		t.Fatalf("after line 36: %+v", rs)
	}
}

func TestLine36_LockOnlyInPrevoteStep(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	h.receive(h.proposal(0, -1, valueA))
	o := h.others()
	// Two prevotes for A and one nil: 2f+1 any, then the prevote timeout
	// moves this node to precommit nil.
	h.receive(h.vote(consensus.Prevote, 0, consensus.Nil, o[0]))
	h.receive(h.vote(consensus.Prevote, 0, valueA, o[1]))
	acts := h.fire(consensus.TimeoutPrevote, 0)
	onlyVote(t, acts, consensus.Precommit, 0, consensus.Nil)
	// The third prevote for A completes the polka in step precommit.
	acts = h.receive(h.vote(consensus.Prevote, 0, valueA, o[2]))
	noVote(t, acts, consensus.Precommit)
	rs := h.core.RoundState()
	if rs.LockedRound != -1 || rs.LockedValue != consensus.Nil {
		t.Fatalf("locked in step precommit: %+v", rs)
	}
	if rs.ValidValue != valueA || rs.ValidRound != 0 {
		t.Fatalf("validValue not updated (line 42): %+v", rs)
	}
}

func TestLine36_PolkaBeforeProposalFiresOnProposal(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	h.votesFrom(consensus.Prevote, 0, valueA, h.others()...)
	h.fire(consensus.TimeoutPropose, 0) // prevote nil; step prevote
	acts := h.receive(h.proposal(0, -1, valueA))
	onlyVote(t, acts, consensus.Precommit, 0, valueA)
}

func TestLine44_PrecommitNilOnNilPolka(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	h.fire(consensus.TimeoutPropose, 0)
	acts := h.votesFrom(consensus.Prevote, 0, consensus.Nil, h.others()[:2]...)
	// Own nil prevote plus two: 3 of 4.
	onlyVote(t, acts, consensus.Precommit, 0, consensus.Nil)
}

func TestLine44_NilPolkaKeepsLock(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 2)
	h.start()
	h.lockOn(0, valueA)
	h.nextRound()
	h.fire(consensus.TimeoutPropose, 1)
	acts := h.votesFrom(consensus.Prevote, 1, consensus.Nil, h.others()...)
	onlyVote(t, acts, consensus.Precommit, 1, consensus.Nil)
	if rs := h.core.RoundState(); rs.LockedValue != valueA || rs.LockedRound != 0 {
		t.Fatalf("a nil polka released the lock: %+v", rs)
	}
}

func TestLine47_TimeoutPrecommitOnceInAnyStep(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	o := h.others()
	h.receive(h.vote(consensus.Precommit, 0, valueB, o[0]), h.vote(consensus.Precommit, 0, consensus.Nil, o[1]))
	acts := h.receive(h.vote(consensus.Precommit, 0, valueA, o[2]))
	ts := timeouts(acts, consensus.TimeoutPrecommit)
	if len(ts) != 1 || ts[0].After != h.cfg.TimeoutPrecommit {
		t.Fatalf("want one precommit timeout in step propose, got %+v", ts)
	}
	acts = h.fire(consensus.TimeoutPropose, 0)
	if len(timeouts(acts, consensus.TimeoutPrecommit)) != 0 {
		t.Fatal("precommit timeout scheduled twice")
	}
}

func TestLine49_DecideInEarlierRound(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 2)
	h.start()
	h.receive(h.proposal(0, -1, valueA))
	h.fire(consensus.TimeoutPrecommit, 0)
	// Late precommits of round 0 for A decide although round 1 runs.
	acts := h.votesFrom(consensus.Precommit, 0, valueA, h.others()...)
	ds := actionsOf[consensus.Decide](acts)
	if len(ds) != 1 || ds[0].Value != valueA || ds[0].Height != 1 || len(ds[0].Commit) != 3 {
		t.Fatalf("want a decision for %q with 3 precommits, got %+v", valueA, ds)
	}
	for _, v := range ds[0].Commit {
		if v.Round != 0 || v.Value != valueA || v.Type != consensus.Precommit {
			t.Fatalf("commit holds %+v", v)
		}
	}
	if h.core.Status().Step != "commit" {
		t.Fatalf("step %q after deciding", h.core.Status().Step)
	}
}

func TestLine49_DecideNeedsTheProposal(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	acts := h.votesFrom(consensus.Precommit, 0, valueA, h.others()...)
	if len(actionsOf[consensus.Decide](acts)) != 0 {
		t.Fatal("decided without the proposal")
	}
	h.autoVerdict = false
	acts = h.receive(h.proposal(0, -1, valueA))
	if len(actionsOf[consensus.Decide](acts)) != 1 {
		t.Fatalf("proposal after 2f+1 precommits did not decide (without waiting for the verdict): %v", acts)
	}
}

func TestLine49_InvalidVerdictHalts(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.autoVerdict = false
	h.start()
	h.receive(h.proposal(0, -1, valueA))
	h.step(consensus.Verdict{Height: 1, Value: valueA, Valid: false})
	o := h.others()
	h.votesFrom(consensus.Precommit, 0, valueA, o[:2]...)
	_, err := h.stepErr(consensus.Receive{Msg: h.vote(consensus.Precommit, 0, valueA, o[2])})
	if err == nil || isInvalid(err) || !errors.Is(err, ErrBrokenInvariant) {
		t.Fatalf("want a broken invariant, got %v", err)
	}
}

func TestLine49_InvalidVerdictAfterDecisionHalts(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.autoVerdict = false
	h.start()
	h.receive(h.proposal(0, -1, valueA))
	h.votesFrom(consensus.Precommit, 0, valueA, h.others()...)
	_, err := h.stepErr(consensus.Verdict{Height: 1, Value: valueA, Valid: false})
	if !errors.Is(err, ErrBrokenInvariant) {
		t.Fatalf("want a broken invariant, got %v", err)
	}
}

// laterRoundNotProposed is a round above from that this node does not propose.
func (h *harness) laterRoundNotProposed(from int32) int32 {
	r := from + 1
	for h.proposer(r) == h.self {
		r++
	}
	return r
}

func TestLine55_SkipRoundOnOneThird(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	r := h.laterRoundNotProposed(4)
	o := h.others()
	h.receive(h.vote(consensus.Prevote, r, valueA, o[0]))
	if h.core.Status().Round != 0 {
		t.Fatal("one of four (not more than 1/3) moved the round")
	}
	acts := h.receive(h.vote(consensus.Precommit, r, consensus.Nil, o[1]))
	if h.core.Status().Round != r || h.core.Status().Step != "propose" {
		t.Fatalf("status %+v, want round %d propose", h.core.Status(), r)
	}
	ts := timeouts(acts, consensus.TimeoutPropose)
	if len(ts) != 1 || ts[0].Timeout.Round != r {
		t.Fatalf("StartRound(%d) did not schedule its propose timeout: %+v", r, ts)
	}
}

func TestLine55_SameSignerCountsOnce(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	o := h.others()
	h.receive(h.vote(consensus.Prevote, 5, valueA, o[0]), h.vote(consensus.Precommit, 5, valueA, o[0]))
	if h.core.Status().Round != 0 {
		t.Fatal("two messages of one validator moved the round")
	}
}

func TestLine55_ProposalCountsAsAMessage(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	r := h.laterRoundNotProposed(2)
	p := h.proposal(r, -1, valueA)
	other := h.otherThan(p.Proposer)[0]
	h.receive(p)
	if h.core.Status().Round != 0 {
		t.Fatal("a lone proposal moved the round")
	}
	h.receive(h.vote(consensus.Prevote, r, valueA, other))
	if h.core.Status().Round != r {
		t.Fatalf("round %d, want %d", h.core.Status().Round, r)
	}
}

func TestLine57_TimeoutProposePrevotesNil(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	acts := h.fire(consensus.TimeoutPropose, 0)
	onlyVote(t, acts, consensus.Prevote, 0, consensus.Nil)
	// A late proposal in step prevote no longer prevotes (line 22 needs
	// step propose).
	acts = h.receive(h.proposal(0, -1, valueA))
	noVote(t, acts, consensus.Prevote)
}

func TestLine61_TimeoutPrevotePrecommitsNil(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	h.fire(consensus.TimeoutPropose, 0)
	acts := h.fire(consensus.TimeoutPrevote, 0)
	onlyVote(t, acts, consensus.Precommit, 0, consensus.Nil)
}

func TestLine65_TimeoutPrecommitStartsNextRound(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 2)
	h.start()
	acts := h.fire(consensus.TimeoutPrecommit, 0)
	if st := h.core.Status(); st.Round != 1 || st.Step != "propose" {
		t.Fatalf("status %+v, want round 1 propose", st)
	}
	if len(timeouts(acts, consensus.TimeoutPropose)) != 1 {
		t.Fatal("round 1 has no propose timeout")
	}
}

func TestTimeouts_StaleOnesAreIgnored(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 3)
	h.start()
	h.fire(consensus.TimeoutPropose, 0)
	h.fire(consensus.TimeoutPrecommit, 0) // to round 1
	for _, to := range []consensus.Timeout{
		{Kind: consensus.TimeoutPropose, Height: 1, Round: 0},
		{Kind: consensus.TimeoutPrevote, Height: 1, Round: 0},
		{Kind: consensus.TimeoutPrecommit, Height: 1, Round: 0},
		{Kind: consensus.TimeoutPropose, Height: 2, Round: 1},
		{Kind: consensus.TimeoutEmptyBlock, Height: 1},
		{Kind: consensus.TimeoutCommit, Height: 1},
		{Kind: consensus.TimeoutRetransmit, Round: 7},
	} {
		if acts := h.step(consensus.TimeoutFired{Timeout: to}); len(acts) != 0 {
			t.Errorf("stale %+v produced %v", to, acts)
		}
	}
	if st := h.core.Status(); st.Round != 1 || st.Step != "propose" {
		t.Fatalf("stale timeouts moved the core: %+v", st)
	}
	if _, err := h.core.Step(consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutViewChange}}); !isInvalid(err) {
		t.Fatalf("a PBFT timeout was accepted: %v", err)
	}
}

func TestTimeouts_GrowWithRound(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	for h.core.h.round < 3 || h.proposer(h.core.h.round) == h.self {
		h.nextRound()
	}
	r := h.core.h.round
	acts := h.fire(consensus.TimeoutPropose, r)
	acts = append(acts, h.votesFrom(consensus.Prevote, r, valueB, h.others()...)...)
	acts = append(acts, h.votesFrom(consensus.Precommit, r, valueB, h.others()...)...)
	cfg := h.cfg
	d := time.Duration(r)
	want := map[consensus.TimeoutKind]time.Duration{
		consensus.TimeoutPrevote:   cfg.TimeoutPrevote + d*cfg.TimeoutPrevoteDelta,
		consensus.TimeoutPrecommit: cfg.TimeoutPrecommit + d*cfg.TimeoutPrecommitDelta,
	}
	for kind, after := range want {
		ts := timeouts(acts, kind)
		if len(ts) != 1 || ts[0].After != after {
			t.Errorf("%s timeout of round %d: %+v, want %v", kind, r, ts, after)
		}
	}
	if got := cfg.proposeTimeout(3); got != cfg.TimeoutPropose+3*cfg.TimeoutProposeDelta {
		t.Errorf("propose timeout of round 3 is %v", got)
	}
	if got := grow(1, 1<<62, 1<<30); got <= 0 {
		t.Errorf("timeout overflowed to %v", got)
	}
}
