package pbft

import (
	"github.com/bftnode/bftnode/consensus"
)

// tryPropose is the primary's half of the normal case [§4.2]: once it
// executed n-1, with n inside the watermarks and no pre-prepare for n in
// this view, it asks the application for a block when transactions wait or
// the empty-block interval passed.
func (c *Core) tryPropose() {
	if !c.active || !c.isPrimary() || c.lastDecided != c.lastExecuted {
		return
	}
	n := c.lastExecuted + 1
	if !c.inWindow(n) || n <= c.fetchTo || !c.proposalDue(n) {
		return // peers proved n decided: it is fetched, not proposed
	}
	if vs := c.lookup(n, c.view); vs != nil && vs.prePrepare != nil {
		return
	}
	if c.proposal.Asked && c.proposal.Height == n && c.proposal.View == c.view {
		return
	}
	c.proposal = proposalRecord{Height: n, View: c.view, Asked: true}
	c.emit(consensus.RequestProposal{Height: n, Round: c.view})
}

// onProposalReady broadcasts the primary's PRE-PREPARE for the block the
// application prepared. Stale and repeated answers are ignored.
func (c *Core) onProposalReady(p consensus.ProposalReady) error {
	if p.Value == consensus.Nil {
		return invalid("the application's proposal for height %d has an empty block ID", p.Height)
	}
	if err := checkID("proposal", p.Value); err != nil {
		return err
	}
	r := c.proposal
	if !r.Asked || r.Answered || r.Height != p.Height || r.View != p.Round {
		return nil
	}
	if !c.active || c.view != p.Round || !c.isPrimary() || c.lastExecuted+1 != p.Height || c.lastDecided != c.lastExecuted {
		return nil
	}
	if !c.inWindow(p.Height) || p.Height <= c.fetchTo {
		// A stable checkpoint of others, or one proven for a height whose
		// set this replica does not know yet (advanceStable), overtook
		// the height asked for while the application prepared it: the
		// replica fetches those blocks instead, and signs nothing at or
		// below the checkpoint.
		return nil
	}
	c.proposal.Answered = true
	pp := &consensus.Proposal{Height: p.Height, Round: p.Round, POLRound: -1, Value: p.Value, Proposer: c.selfAt(p.Height)}
	c.emit(consensus.Broadcast{Msg: pp})
	return nil
}

// onPrePrepare accepts a PRE-PREPARE only in the current active view, from
// its primary, within the watermarks, and only one digest per (v, n)
// [§4.2].
func (c *Core) onPrePrepare(p *consensus.Proposal) error {
	if err := c.checkPrePrepareFields(p, c.sets.at(p.Height)); err != nil {
		return err
	}
	if c.forgotten(p.Height) {
		return nil // garbage collected, and who signed it is no longer known here
	}
	if p.Round < c.view {
		c.replyToLaggard(c.currentIndex(p.Height, p.Proposer))
		return nil
	}
	if p.Round > c.view || !c.active {
		return nil
	}
	if !c.isPrimaryAt(p.Round, p.Height, p.Proposer) {
		return invalid("pre-prepare for view %d at height %d from validator %d; the primary is %d", p.Round, p.Height, p.Proposer, c.primaryAt(p.Round, p.Height))
	}
	if !c.inWindow(p.Height) {
		return nil
	}
	if vs := c.lookup(p.Height, p.Round); vs != nil && vs.prePrepare != nil {
		if vs.prePrepare.Value == p.Value || vs.ppEvident {
			return nil
		}
		vs.ppEvident = true
		c.evidence(vs.prePrepare, p)
		return nil
	}
	if p.Value == consensus.Nil {
		return invalid("null pre-prepare for (%d, %d) outside a NEW-VIEW", p.Round, p.Height)
	}
	vs := c.viewSlotFor(p.Height, p.Round)
	vs.prePrepare = p
	return c.afterPrePrepare(p.Height)
}

// afterPrePrepare runs once a pre-prepare for (view, n) is in the log.
func (c *Core) afterPrePrepare(n int64) error {
	c.askVerdict(n)
	c.tryPrepare(n)
	c.checkPrepared(n)
	c.armProgressTimer()
	return c.tryDecide()
}

// askVerdict asks the application whether a backup may prepare the
// pre-prepared value; the driver asks once it executed n-1.
func (c *Core) askVerdict(n int64) {
	vs := c.lookup(n, c.view)
	if !c.isValidator() || c.isPrimary() || vs == nil || vs.prePrepare == nil {
		return
	}
	d := vs.prePrepare.Value
	s := c.slots[n]
	if d == consensus.Nil || n <= c.lastDecided || s.asked[d] {
		return
	}
	if _, known := s.verdicts[d]; known {
		return
	}
	s.asked[d] = true
	c.emit(consensus.RequestVerdict{Height: n, Value: d})
}

func (c *Core) onVerdict(v consensus.Verdict) error {
	if err := c.checkHeight("verdict", v.Height); err != nil {
		return err
	}
	s := c.slots[v.Height]
	if s == nil || !s.asked[v.Value] {
		return nil
	}
	if _, known := s.verdicts[v.Value]; known {
		return nil
	}
	s.verdicts[v.Value] = v.Valid
	c.tryPrepare(v.Height)
	return nil
}

// tryPrepare sends a backup's PREPARE [§4.2] for the pre-prepare of
// (view, n) once the application judged the block valid and the replica
// executed n-1, on which the block chains. A value the replica already
// decided at n (a NEW-VIEW re-proposal) is prepared at once. An invalid
// verdict means no prepare: the view will change.
func (c *Core) tryPrepare(n int64) {
	if !c.active || !c.isValidator() || c.isPrimary() {
		return
	}
	vs := c.lookup(n, c.view)
	if vs == nil || vs.prePrepare == nil || vs.sentPrepare {
		return
	}
	d := vs.prePrepare.Value
	if n <= c.lastDecided {
		if dec, ok := c.decided[n]; !ok || dec != d {
			return
		}
	} else {
		if c.lastExecuted != n-1 || c.lastDecided != n-1 {
			return
		}
		if valid, ok := c.slots[n].verdicts[d]; d != consensus.Nil && (!ok || !valid) {
			return
		}
	}
	self := c.selfAt(n)
	if self < 0 {
		return // a member of the current set that joined after n
	}
	vs.sentPrepare = true
	prepare := &consensus.Vote{Type: consensus.Prevote, Height: n, Round: c.view, Value: d, Validator: self}
	c.emit(consensus.Broadcast{Msg: prepare})
}

func (c *Core) onVote(v *consensus.Vote) error {
	if err := c.checkVoteFields(v, c.sets.at(v.Height)); err != nil {
		return err
	}
	if c.forgotten(v.Height) {
		return nil // garbage collected, and who signed it is no longer known here
	}
	// Refused only when the voter is the primary by both of isPrimaryAt's
	// readings: a vote of a height across a change of the set may come
	// from a backup at the index the other reading names. checkPrepared
	// counts the proposer once either way.
	if v.Type == consensus.Prevote && v.Validator == c.primaryAt(v.Round, v.Height) && v.Validator == c.rotationAt(v.Round, v.Height) {
		return invalid("prepare for (%d, %d) from the primary %d; primaries do not prepare", v.Round, v.Height, v.Validator)
	}
	if v.Round < c.view {
		c.replyToLaggard(c.currentIndex(v.Height, v.Validator))
		if v.Type == consensus.Prevote {
			return nil // prepares of an old view can no longer prepare anything here
		}
	}
	if c.tooFarAhead(v.Round) {
		return nil
	}
	c.noteVoteView(v)
	if !c.inWindow(v.Height) {
		return nil
	}
	c.replyWithCommit(v)
	vs := c.viewSlotFor(v.Height, v.Round)
	if vs == nil {
		return nil
	}
	tally := vs.prepares
	if v.Type == consensus.Precommit {
		tally = vs.commits
	}
	counted, prior, conflict := tally.Add(v.Validator, v.Value, v)
	if conflict {
		c.evidence(prior, v)
		return nil
	}
	if !counted {
		return nil
	}
	if v.Validator == c.self {
		if v.Type == consensus.Prevote {
			vs.ownPrepare = v
		} else {
			vs.ownCommit = v
		}
	}
	if v.Type == consensus.Prevote {
		c.checkPrepared(v.Height)
		return nil
	}
	if !vs.committed && tally.HasQuorum(v.Value) {
		vs.committed, vs.commitValue = true, v.Value
		if err := c.checkCommittedConsistent(v.Height, v.Round, v.Value); err != nil {
			return err
		}
	}
	return c.tryDecide()
}

// checkPrepared records prepared(m, v, n) for the current view: the
// pre-prepare plus PREPAREs from distinct backups whose power together with
// the primary's exceeds 2/3 [§4.2]. The certificate is kept for the P set of
// later view changes, and the replica multicasts its COMMIT. The power is
// counted only once the replica knows the validator set of n, which
// Executed{n-1} reports: a certificate counted with the powers of an
// earlier set may not be one under n's, so every replica would refuse the
// view changes that carry it, and its COMMIT would claim a prepare quorum
// that did not exist. onExecuted checks again.
func (c *Core) checkPrepared(n int64) {
	if !c.active || !c.isValidator() || n > c.lastExecuted+1 {
		return
	}
	vs := c.lookup(n, c.view)
	if vs == nil || vs.prePrepare == nil || vs.certified {
		return
	}
	pp := vs.prePrepare
	vals := c.sets.at(n)
	power := vs.prepares.Power(pp.Value)
	if _, prepared := vs.prepares.Voted(pp.Proposer); !prepared {
		power += vals.Power(pp.Proposer)
	}
	if !vals.IsQuorum(power) {
		return
	}
	vs.certified = true
	if old, ok := c.prepared[n]; !ok || old.PrePrepare.Round < c.view {
		c.prepared[n] = consensus.PreparedCert{PrePrepare: *pp, Prepares: derefVotes(vs.prepares.Messages(pp.Value))}
	}
	self := c.selfAt(n)
	if vs.sentCommit || self < 0 {
		return // sent, or a member of the current set that joined after n
	}
	vs.sentCommit = true
	commit := &consensus.Vote{Type: consensus.Precommit, Height: n, Round: c.view, Value: pp.Value, Validator: self}
	c.emit(consensus.Broadcast{Msg: commit})
}

// replyWithCommit helps a replica that is still preparing a sequence number
// this replica decided a while ago: it sends that replica its own COMMIT,
// so that the laggard can assemble a commit certificate. Only PREPAREs get
// this answer; answering COMMITs with COMMITs would make two replicas
// bounce them forever.
func (c *Core) replyWithCommit(v *consensus.Vote) {
	if !c.isValidator() || v.Type != consensus.Prevote || v.Validator == c.selfAt(v.Height) || v.Height >= c.lastDecided {
		return
	}
	s := c.slots[v.Height]
	if s == nil {
		return
	}
	for _, w := range sortedKeys(s.views) {
		if own := s.views[w].ownCommit; own != nil && own.Value == c.decided[v.Height] {
			c.emit(consensus.Send{To: c.currentIndex(v.Height, v.Validator), Msg: own})
			return
		}
	}
}

// maxLaggardGap caps the retransmission ticks between two NEW-VIEWs sent
// to one laggard.
const maxLaggardGap = 8

// laggardReply is when a laggard was last sent the NEW-VIEW of View (in
// retransmission ticks) and how many ticks must pass before the next.
type laggardReply struct {
	View    int32
	At, Gap int64
}

// replyToLaggard sends a replica that is still in an older view the
// NEW-VIEW of the current one, so that it can join [§4.4]. A NEW-VIEW is
// large (the VIEW-CHANGEs of a quorum with their certificates) and costs
// the laggard every signature in it to check, while its old-view messages
// are cheap and repeated every tick; so the replies to one laggard back
// off within a view: the first at once, the next after 1, 2, 4 ... ticks,
// at most maxLaggardGap apart, so that a lost reply is still repeated.
func (c *Core) replyToLaggard(to int32) {
	if !c.isValidator() || !c.active || c.newView == nil || to == c.self {
		return
	}
	gap := int64(1)
	if last, ok := c.nvReplied[to]; ok && last.View == c.view {
		if c.ticks < last.At+last.Gap {
			return
		}
		gap = min(2*last.Gap, maxLaggardGap)
	}
	c.nvReplied[to] = laggardReply{View: c.view, At: c.ticks, Gap: gap}
	c.emit(consensus.Send{To: to, Msg: c.newView})
}

func derefVotes(vs []*consensus.Vote) []consensus.Vote {
	out := make([]consensus.Vote, len(vs))
	for i, v := range vs {
		out[i] = *v
	}
	return out
}
