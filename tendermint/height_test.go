package tendermint

import (
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

func TestHeight_ExecutedStartsNextHeightWithNextSet(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	h.decideHeight(valueA)
	next := h.core.h.vals.Next()
	acts := h.execute("app-1")
	if st := h.core.Status(); st.Height != 2 || st.Round != 0 {
		t.Fatalf("status %+v, want height 2 round 0", st)
	}
	if len(actionsOf[consensus.SaveSnapshot](acts)) != 1 {
		t.Fatal("no snapshot at the start of height 2")
	}
	if got, want := h.core.RoundState().Proposer, next.ProposerOf(0); got != want {
		t.Fatalf("proposer %d, want %d of the Next set", got, want)
	}
	if rs := h.core.RoundState(); rs.LockedRound != -1 || rs.ValidRound != -1 || rs.Decided {
		t.Fatalf("height 2 inherited state: %+v", rs)
	}
	if again := h.step(consensus.Executed{Height: 1, Next: next}); len(again) != 0 {
		t.Fatalf("repeated Executed produced %v", again)
	}
	if _, err := h.core.Step(consensus.Executed{Height: 2, Next: nil}); !isInvalid(err) {
		t.Fatalf("Executed before the decision: %v", err)
	}
}

func TestHeight_ExecutedWithBadNextSetIsRejected(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	h.decideHeight(valueA)
	for _, next := range []*consensus.ValidatorSet{nil, {}, {Validators: []consensus.Validator{{Address: []byte{1}, Power: 0}}}} {
		if _, err := h.core.Step(consensus.Executed{Height: 1, Next: next}); !isInvalid(err) {
			t.Fatalf("next set %+v accepted: %v", next, err)
		}
	}
	if h.core.Status().Height != 1 {
		t.Fatal("a rejected Executed moved the height")
	}
}

func TestHeight_NextHeightMessagesWaitForIt(t *testing.T) {
	h := newQuietValidator(t, equalPowers(4), 1, 2)
	h.start()
	h.decideHeight(valueA)
	next := h.core.h.vals.Next()
	proposer := next.ProposerOf(0)
	early := []consensus.Message{
		h.sign(&consensus.Proposal{Height: 2, Round: 0, POLRound: -1, Value: valueB, Proposer: proposer}),
	}
	for _, v := range h.others() {
		early = append(early, h.sign(&consensus.Vote{Type: consensus.Prevote, Height: 2, Value: valueB, Validator: v}))
	}
	if acts := h.receive(early...); len(acts) != 0 {
		t.Fatalf("messages of the next height acted early: %v", acts)
	}
	acts := h.execute("app-1")
	// The buffered proposal and polka: prevote B, then lock and precommit.
	onlyVote(t, acts, consensus.Prevote, 0, valueB)
	onlyVote(t, acts, consensus.Precommit, 0, valueB)
}

func TestHeight_BufferIsBoundedPerSigner(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	h.decideHeight(valueA)
	o := h.others()[0]
	for r := int32(0); r < 100; r++ {
		h.receive(h.sign(&consensus.Vote{Type: consensus.Prevote, Height: 2, Round: r, Value: valueB, Validator: o}))
		// Duplicates do not use up the share.
		h.receive(h.sign(&consensus.Vote{Type: consensus.Prevote, Height: 2, Round: 0, Value: valueB, Validator: o}))
	}
	if n := len(h.core.carry.buffered.msgs); n != maxBufferedPerSigner {
		t.Fatalf("buffered %d messages of one signer, want %d", n, maxBufferedPerSigner)
	}
	other := h.others()[1]
	h.receive(h.sign(&consensus.Vote{Type: consensus.Prevote, Height: 2, Value: valueB, Validator: other}))
	if n := len(h.core.carry.buffered.msgs); n != maxBufferedPerSigner+1 {
		t.Fatal("a full share of one signer crowded out another")
	}
}

// toQuietHeight runs heights 1 and 2 with the same application hash, so
// that height 3 has no reason of its own to start (not the first height,
// the application hash unchanged).
func toQuietHeight(t *testing.T, cfg func(*Config)) *harness {
	h := newQuietValidator(t, equalPowers(4), 1, 3)
	cfg(&h.cfg)
	acts := h.start()
	if len(timeouts(acts, consensus.TimeoutPropose)) != 1 {
		t.Fatal("the first height must start at once")
	}
	h.decideHeight(valueA)
	h.execute("same")
	if h.core.Status().Step == "new-height" {
		t.Fatal("height 2 waited although the application hash is new")
	}
	h.decideHeight(valueB)
	return h
}

func TestHeightStart_WaitsForTransactionsWhenEmptyBlocksAreOff(t *testing.T) {
	h := toQuietHeight(t, func(c *Config) { c.CreateEmptyBlocks = false })
	acts := h.execute("same")
	if st := h.core.Status(); st.Height != 3 || st.Step != "new-height" {
		t.Fatalf("status %+v, want height 3 waiting", st)
	}
	if len(timeouts(acts, consensus.TimeoutPropose)) != 0 || len(timeouts(acts, consensus.TimeoutEmptyBlock)) != 0 {
		t.Fatalf("waiting height scheduled %v", acts)
	}
	acts = h.step(consensus.TxsAvailable{})
	if h.core.Status().Step != "propose" || len(timeouts(acts, consensus.TimeoutPropose)) != 1 {
		t.Fatalf("TxsAvailable did not start round 0: %+v", h.core.Status())
	}
}

func TestHeightStart_ChangedAppHashStartsAtOnce(t *testing.T) {
	h := toQuietHeight(t, func(c *Config) { c.CreateEmptyBlocks = false })
	h.execute("changed")
	if st := h.core.Status(); st.Step != "propose" {
		t.Fatalf("status %+v: a new application hash must reach a header", st)
	}
}

func TestHeightStart_TxsAvailableIsSticky(t *testing.T) {
	h := toQuietHeight(t, func(c *Config) { c.CreateEmptyBlocks = false })
	h.step(consensus.TxsAvailable{}) // while height 2 executes
	h.execute("same")
	if st := h.core.Status(); st.Step != "propose" {
		t.Fatalf("status %+v: the earlier TxsAvailable was forgotten", st)
	}
	h.decideHeight(valueA)
	h.execute("same")
	if st := h.core.Status(); st.Step != "new-height" {
		t.Fatalf("status %+v: TxsAvailable started two heights", st)
	}
}

func TestHeightStart_EmptyBlockInterval(t *testing.T) {
	h := toQuietHeight(t, func(c *Config) { c.EmptyBlockInterval = 5 * time.Second })
	acts := h.execute("same")
	ts := timeouts(acts, consensus.TimeoutEmptyBlock)
	if len(ts) != 1 || ts[0].After != 5*time.Second || ts[0].Timeout.Height != 3 {
		t.Fatalf("want an empty-block timeout of 5s for height 3, got %+v", ts)
	}
	if h.core.Status().Step != "new-height" {
		t.Fatal("started before the interval")
	}
	h.fire(consensus.TimeoutEmptyBlock, 0)
	if h.core.Status().Step != "propose" {
		t.Fatal("the empty-block timeout did not start round 0")
	}
	if again := h.fire(consensus.TimeoutEmptyBlock, 0); len(again) != 0 {
		t.Fatalf("repeated empty-block timeout produced %v", again)
	}
}

func TestHeightStart_JoinsWhenAnotherValidatorStarted(t *testing.T) {
	h := toQuietHeight(t, func(c *Config) { c.CreateEmptyBlocks = false })
	h.execute("same")
	acts := h.receive(h.proposal(0, -1, valueA))
	onlyVote(t, acts, consensus.Prevote, 0, valueA)
}

// TestHeightStart_TimeoutCommitDelaysTheHeight: CometBFT starts the next
// height timeout_commit after the commit (+2/3 precommits), so the wait is
// scheduled at the decision and executing the block overlaps it.
func TestHeightStart_TimeoutCommitDelaysTheHeight(t *testing.T) {
	h := newQuietValidator(t, equalPowers(4), 1, 2)
	h.cfg.TimeoutCommit = 2 * time.Second
	acts := h.start()
	if len(timeouts(acts, consensus.TimeoutCommit)) != 0 {
		t.Fatal("the first height waited for a commit delay")
	}
	acts = h.decideHeight(valueA)
	ts := timeouts(acts, consensus.TimeoutCommit)
	if len(ts) != 1 || ts[0].After != 2*time.Second || ts[0].Timeout.Height != 2 {
		t.Fatalf("decision: want a 2s commit timeout for height 2, got %+v", ts)
	}
	if again := timeouts(h.execute("app"), consensus.TimeoutCommit); len(again) != 0 {
		t.Fatalf("executing scheduled the commit wait again: %+v", again)
	}
	if st := h.core.Status(); st.Height != 2 || st.Step != "commit-wait" {
		t.Fatalf("status %+v", st)
	}
	if acts := h.receive(h.proposal(0, -1, valueB)); len(acts) != 0 {
		t.Fatalf("acted during the commit delay: %v", acts)
	}
	acts = h.fire(consensus.TimeoutCommit, 0)
	onlyVote(t, acts, consensus.Prevote, 0, valueB)
}

// TestHeightStart_CommitWaitOverDuringExecution: an application slower
// than timeout_commit makes the next height begin as soon as the block is
// executed, and a restart from that height's snapshot does not wait again.
func TestHeightStart_CommitWaitOverDuringExecution(t *testing.T) {
	h := newQuietValidator(t, equalPowers(4), 1, 2)
	h.cfg.TimeoutCommit = 2 * time.Second
	h.start()
	h.decideHeight(valueA)
	if acts := h.step(consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutCommit, Height: 2}}); len(acts) != 0 {
		t.Fatalf("the commit wait running out before execution acted: %v", acts)
	}
	acts := h.execute("app")
	if st := h.core.Status(); st.Height != 2 || st.Step == "commit-wait" {
		t.Fatalf("status %+v: waited although timeout_commit had passed", st)
	}
	c, err := New(h.cfg, h.address(), h.vals, actionsOf[consensus.SaveSnapshot](acts)[0].State)
	if err != nil {
		t.Fatal(err)
	}
	restarted, err := c.Step(consensus.Start{})
	if err != nil {
		t.Fatal(err)
	}
	if st := c.Status(); st.Step == "commit-wait" || len(timeouts(restarted, consensus.TimeoutCommit)) != 0 {
		t.Fatalf("restart: status %+v, actions %v; the wait was over", st, restarted)
	}
}

// TestHeightStart_IntervalAloneMakesEmptyBlocks: CometBFT schedules the
// empty-block interval whenever it is set (WaitForTxs), even with
// create_empty_blocks off.
func TestHeightStart_IntervalAloneMakesEmptyBlocks(t *testing.T) {
	h := toQuietHeight(t, func(c *Config) { c.CreateEmptyBlocks, c.EmptyBlockInterval = false, 4*time.Second })
	ts := timeouts(h.execute("same"), consensus.TimeoutEmptyBlock)
	if len(ts) != 1 || ts[0].After != 4*time.Second || ts[0].Timeout.Height != 3 {
		t.Fatalf("want an empty-block timeout of 4s for height 3, got %+v", ts)
	}
	h.fire(consensus.TimeoutEmptyBlock, 0)
	if h.core.Status().Step != "propose" {
		t.Fatal("the empty-block timeout did not start round 0")
	}
}

func TestCatchUp_FetchBlocksOncePerHeight(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	o := h.others()
	ahead := func(height int64, v int32) []consensus.Action {
		return h.receive(h.sign(&consensus.Vote{Type: consensus.Precommit, Height: height, Value: valueA, Validator: v}))
	}
	fb := actionsOf[consensus.FetchBlocks](ahead(5, o[0]))
	if len(fb) != 1 || fb[0].From != 1 {
		t.Fatalf("want FetchBlocks from 1, got %+v", fb)
	}
	if n := len(actionsOf[consensus.FetchBlocks](ahead(6, o[1]))); n != 0 {
		t.Fatal("fetched twice at one height")
	}
	h.decideHeight(valueA)
	if n := len(actionsOf[consensus.FetchBlocks](ahead(7, o[1]))); n != 0 {
		t.Fatal("fetched although the height is decided")
	}
	h.execute("app")
	fb = actionsOf[consensus.FetchBlocks](ahead(7, o[1]))
	if len(fb) != 1 || fb[0].From != 2 {
		t.Fatalf("after progress: want FetchBlocks from 2, got %+v", fb)
	}
	if n := len(actionsOf[consensus.FetchBlocks](h.receive(h.sign(&consensus.Vote{Type: consensus.Precommit, Height: 9, Validator: h.self})))); n != 0 {
		t.Fatal("this node's own message is not a hint")
	}
}

func TestRetransmit_OwnSignedMessagesOfTheRound(t *testing.T) {
	h := newHarness(t, equalPowers(4), -1)
	h.self = h.vals.ProposerOf(0)
	h.cfg.RetransmitInterval = time.Second
	acts := h.start()
	ts := timeouts(acts, consensus.TimeoutRetransmit)
	if len(ts) != 1 || ts[0].After != time.Second {
		t.Fatalf("want a retransmit timeout, got %+v", ts)
	}
	first := ts[0].Timeout
	h.step(consensus.ProposalReady{Height: 1, Round: 0, Value: valueA})
	h.votesFrom(consensus.Prevote, 0, valueA, h.others()...)
	acts = h.step(consensus.TimeoutFired{Timeout: first})
	sends := actionsOf[consensus.Send](acts)
	if len(sends) != 3 {
		t.Fatalf("want proposal, prevote and precommit resent, got %v", sends)
	}
	for _, s := range sends {
		if s.To != consensus.All {
			t.Fatalf("send to %d", s.To)
		}
		switch m := s.Msg.(type) {
		case *consensus.Proposal:
			if m.Signature == nil || m.Value != valueA {
				t.Fatalf("resent unsigned or wrong proposal %+v", m)
			}
		case *consensus.Vote:
			if m.Signature == nil || m.Value != valueA || m.Validator != h.self {
				t.Fatalf("resent unsigned or wrong vote %+v", m)
			}
		}
	}
	next := timeouts(acts, consensus.TimeoutRetransmit)
	if len(next) != 1 || next[0].Timeout == first {
		t.Fatalf("want the next retransmit timeout, got %+v", next)
	}
	if again := h.step(consensus.TimeoutFired{Timeout: first}); len(again) != 0 {
		t.Fatalf("a repeated retransmit firing produced %v", again)
	}
	// In round 1 the precommit of round 0 is still resent.
	h.votesFrom(consensus.Precommit, 0, consensus.Nil, h.others()...)
	h.fire(consensus.TimeoutPrecommit, 0)
	acts = h.step(consensus.TimeoutFired{Timeout: next[0].Timeout})
	sends = actionsOf[consensus.Send](acts)
	if len(sends) != 1 || sends[0].Msg.(*consensus.Vote).Round != 0 || sends[0].Msg.(*consensus.Vote).Type != consensus.Precommit {
		t.Fatalf("round 1: want the precommit of round 0 resent, got %v", sends)
	}
}

func TestFollower_NeverVotesButDecides(t *testing.T) {
	h := newHarness(t, equalPowers(4), -1)
	acts := h.start()
	acts = append(acts, h.fire(consensus.TimeoutPropose, 0)...)
	acts = append(acts, h.receive(h.proposal(0, -1, valueA))...)
	acts = append(acts, h.votesFrom(consensus.Prevote, 0, valueA, h.others()...)...)
	acts = append(acts, h.votesFrom(consensus.Precommit, 0, valueA, h.others()...)...)
	if n := len(actionsOf[consensus.Broadcast](acts)); n != 0 {
		t.Fatalf("a follower broadcast %d messages", n)
	}
	if n := len(actionsOf[consensus.RequestProposal](acts)); n != 0 {
		t.Fatal("a follower asked for a proposal")
	}
	if ds := actionsOf[consensus.Decide](acts); len(ds) != 1 || ds[0].Value != valueA {
		t.Fatalf("follower did not decide: %v", ds)
	}
	if h.core.RoundState().Self != -1 {
		t.Fatal("follower has a validator index")
	}
}
