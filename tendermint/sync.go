package tendermint

import (
	"github.com/bftnode/bftnode/consensus"
)

// onSynced decides the current height from a block fetched from peers,
// exactly as line 49 would: its commit must be precommits of one round for
// the value from distinct validators of this height with more than 2/3 of
// the power.
func (c *Core) onSynced(in consensus.Synced) error {
	h := c.h
	if in.Height != h.number {
		return nil // the driver delivers heights in order; others are stale
	}
	if err := verifyCommit(h.vals, in); err != nil {
		// The peer that answered served no block: the next message of
		// a later height asks again, maybe another peer.
		h.fetchRequested = false
		return err
	}
	if h.phase == phaseDecided {
		if in.Value == h.decision {
			return nil
		}
		return brokenf("height %d: peers' commit decides %X but this node decided %X", h.number, []byte(in.Value), []byte(h.decision))
	}
	if h.verdicts[in.Value] == verdictInvalid {
		return brokenf("height %d: peers' commit decides %X, which this node's application rejected", h.number, []byte(in.Value))
	}
	commit := make([]*consensus.Vote, len(in.Commit))
	for i := range in.Commit {
		commit[i] = copyVote(&in.Commit[i])
	}
	if r := in.Commit[0].Round; c.takesPart(r) {
		c.precommitBeforeDeciding(r, h.log(r), in.Value)
	}
	c.decide(in.Value, commit)
	return nil
}

// takesPart tells whether this node was taking part in round r of its
// height when a fetched commit decided it: it has messages of that round,
// logged or waiting in the buffer. Such a node was only a little behind
// (it still waited out timeout_commit, or its application was slow), and
// it precommits as line 49 would have it do; one that fetches a height it
// saw nothing of is catching up and signs nothing.
func (c *Core) takesPart(r int32) bool {
	h := c.h
	if !h.isValidator() {
		return false
	}
	if l := h.rounds[r]; l != nil && len(l.senders) > 0 {
		return true
	}
	for _, e := range c.carry.buffered.msgs {
		if e.height == h.number && messageRound(e.msg) == r {
			return true
		}
	}
	return false
}

func messageRound(m consensus.Message) int32 {
	switch m := m.(type) {
	case *consensus.Proposal:
		return m.Round
	case *consensus.Vote:
		return m.Round
	}
	return -1
}

// verifyCommit checks that commit justifies deciding value at the set's
// height. Signatures were verified by the driver; power is checked here.
func verifyCommit(vals *consensus.ValidatorSet, in consensus.Synced) error {
	if in.Value == consensus.Nil {
		return invalidf("synced block at height %d has no value", in.Height)
	}
	if len(in.Commit) == 0 {
		return invalidf("synced block at height %d has an empty commit", in.Height)
	}
	round := in.Commit[0].Round
	seen := make(map[int32]bool, len(in.Commit))
	var power int64
	for i, v := range in.Commit {
		switch {
		case v.Type != consensus.Precommit:
			return invalidf("synced commit for height %d: vote %d is a %s, not a precommit", in.Height, i, v.Type)
		case v.Height != in.Height:
			return invalidf("synced commit for height %d: vote %d is for height %d", in.Height, i, v.Height)
		case v.Round != round || round < 0:
			return invalidf("synced commit for height %d: vote %d is for round %d, vote 0 for round %d; a commit holds one round", in.Height, i, v.Round, round)
		case v.Value != in.Value:
			return invalidf("synced commit for height %d: vote %d is for another value", in.Height, i)
		case !vals.Has(v.Validator):
			return invalidf("synced commit for height %d: vote %d is from validator index %d, not in the set of %d", in.Height, i, v.Validator, vals.Size())
		case seen[v.Validator]:
			return invalidf("synced commit for height %d: validator %d appears twice", in.Height, v.Validator)
		}
		seen[v.Validator] = true
		power += vals.Power(v.Validator)
	}
	if !vals.IsQuorum(power) {
		return invalidf("synced commit for height %d carries power %d of %d, not more than 2/3", in.Height, power, vals.TotalPower())
	}
	return nil
}
