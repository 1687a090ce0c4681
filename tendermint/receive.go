package tendermint

import "github.com/bftnode/bftnode/consensus"

// receive handles a message whose signature the driver verified. Every
// check comes before any change, so a rejected message leaves the core as
// it was.
func (c *Core) receive(m consensus.Message) error {
	height, round, err := checkFields(m)
	if err != nil {
		return err
	}
	h := c.h
	switch {
	case height < h.number:
		return nil // decided heights need nothing more
	case height > h.number:
		return c.receiveAhead(m, height, round)
	}
	if c.roundTooFar(round) {
		return nil
	}
	signer := m.Signer()
	if !h.vals.Has(signer) {
		return invalidf("%s signed by validator index %d, but height %d has %d validators", describe(m), signer, h.number, h.vals.Size())
	}
	if p, ok := m.(*consensus.Proposal); ok {
		if want := h.proposerOf(round); p.Proposer != want {
			return invalidf("%s from validator %d, but proposer(%d, %d) is validator %d", describe(m), p.Proposer, h.number, round, want)
		}
	}
	if round < h.round {
		c.replyToLaggard(signer, round)
	}
	switch h.phase {
	case phaseCommitWait:
		c.carry.buffered.add(m, height)
		if c.carry.buffered.decides(height, h.vals) {
			// The others decided this height while this node still waits
			// out timeout_commit (it decided the last one later than
			// they did). As CometBFT does on +2/3 precommits during its
			// commit wait, begin now: the height decides at once, with
			// this node's precommit, rather than later by block sync
			// without it.
			return c.beginHeight()
		}
		return nil
	case phaseNewHeight:
		// Another validator started this height: join rather than wait
		// for transactions or the empty-block interval.
		if signer != h.self {
			if err := c.startHeight(); err != nil {
				return err
			}
		}
	}
	c.record(m, round)
	if h.phase != phaseRunning {
		return nil
	}
	if err := c.tryDecide(round); err != nil || h.phase != phaseRunning {
		return err
	}
	c.trySkipRound(round)
	c.progress()
	return nil
}

// checkFields validates what can be checked without the validator set.
func checkFields(m consensus.Message) (height int64, round int32, err error) {
	switch m := m.(type) {
	case *consensus.Proposal:
		if m == nil {
			return 0, 0, invalidf("nil proposal")
		}
		switch {
		case m.Height < 0 || m.Round < 0:
			return 0, 0, invalidf("%s has a negative height or round", describe(m))
		case m.POLRound < -1 || m.POLRound >= m.Round:
			return 0, 0, invalidf("%s has POL round %d; it must be in [-1, %d)", describe(m), m.POLRound, m.Round)
		case m.Value == consensus.Nil:
			return 0, 0, invalidf("%s proposes no value", describe(m))
		case m.Proposer < 0:
			return 0, 0, invalidf("%s has negative proposer index %d", describe(m), m.Proposer)
		}
		return m.Height, m.Round, nil
	case *consensus.Vote:
		if m == nil {
			return 0, 0, invalidf("nil vote")
		}
		switch {
		case m.Type != consensus.Prevote && m.Type != consensus.Precommit:
			return 0, 0, invalidf("vote of unknown type %d; want prevote (1) or precommit (2)", m.Type)
		case m.Height < 0 || m.Round < 0:
			return 0, 0, invalidf("%s has a negative height or round", describe(m))
		case m.Validator < 0:
			return 0, 0, invalidf("%s has negative validator index %d", describe(m), m.Validator)
		}
		return m.Height, m.Round, nil
	case nil:
		return 0, 0, invalidf("receive without a message")
	default:
		return 0, 0, invalidf("message of type %T is not a Tendermint proposal or vote", m)
	}
}

// roundTooFar bounds the rounds the core keeps state for.
func (c *Core) roundTooFar(round int32) bool {
	return int64(round) > int64(c.h.round)+int64(c.cfg.MaxRoundsAhead)
}

// receiveAhead handles a message for a later height. The next height's
// messages are kept until it begins; any message from another validator of
// this height means this node fell behind, so it asks for the blocks it
// missed (once per height).
func (c *Core) receiveAhead(m consensus.Message, height int64, round int32) error {
	h := c.h
	if round > c.cfg.MaxRoundsAhead {
		return nil
	}
	if height == h.number+1 {
		c.carry.buffered.add(m, height)
	}
	signer := m.Signer()
	if h.phase != phaseDecided && !h.fetchRequested && h.vals.Has(signer) && signer != h.self {
		h.fetchRequested = true
		c.emit(consensus.FetchBlocks{From: h.number})
	}
	return nil
}

// record logs a message of the current height. A validator's second,
// different message for a slot is reported as evidence (once); see voteSet
// and roundLog for how such messages count.
func (c *Core) record(m consensus.Message, round int32) {
	h := c.h
	l := h.log(round)
	l.noteSender(m.Signer(), h.vals.Power(m.Signer()))
	switch m := m.(type) {
	case *consensus.Proposal:
		c.recordProposal(l, m)
	case *consensus.Vote:
		c.recordVote(l, m)
	}
}

func (c *Core) recordProposal(l *roundLog, m *consensus.Proposal) {
	h := c.h
	if l.proposal == nil {
		l.proposal = copyProposal(m)
		if m.Proposer == h.self {
			l.ownProposal = l.proposal
		}
		c.requestVerdict(m.Value)
		return
	}
	if l.known(m) {
		if m.Proposer == h.self && l.ownProposal == nil {
			l.ownProposal = copyProposal(m)
		}
		return
	}
	if !l.conflict {
		l.conflict = true
		c.emit(consensus.Evidence{First: copyProposal(l.proposal), Second: copyProposal(m)})
	}
	if len(l.otherProposals) < maxExtraValues {
		l.otherProposals = append(l.otherProposals, copyProposal(m))
		c.requestVerdict(m.Value)
	}
}

func (c *Core) recordVote(l *roundLog, m *consensus.Vote) {
	cp := copyVote(m)
	counted, prior := l.votes(m.Type).add(cp, c.bug.firstVoteOnly)
	if prior != nil {
		c.emit(consensus.Evidence{First: copyVote(prior), Second: copyVote(cp)})
	}
	if !counted || m.Validator != c.h.self {
		return
	}
	if m.Type == consensus.Prevote {
		l.ownPrevote = cp
	} else {
		l.ownPrecommit = cp
	}
}

// requestVerdict asks the application for valid(v), once per value.
func (c *Core) requestVerdict(v consensus.ID) {
	h := c.h
	if h.phase == phaseDecided {
		return
	}
	if _, ok := h.verdicts[v]; !ok {
		h.verdicts[v] = verdictPending
		c.emit(consensus.RequestVerdict{Height: h.number, Value: v})
	}
}
