package sim

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// toyCore is a deliberately naive protocol for testing the simulator: the
// proposer of a height proposes, everyone precommits the first proposal it
// sees from the proposer, and a node decides that proposal once precommits
// of any values from more than 2/3 of the power arrived. It is live on a
// network that eventually delivers, and unsafe under an equivocating
// proposer, which makes it the simulator's positive control.
type toyCore struct {
	self     int32
	genesis  *consensus.ValidatorSet
	vals     *consensus.ValidatorSet
	height   int64
	proposed bool
	proposal *consensus.Proposal
	ownVote  *consensus.Vote
	votes    *consensus.Tally[consensus.Vote]
	decided  bool
	synced   map[int64]consensus.Synced
	fetched  int64
	// appHash is the application hash after the last executed height.
	appHash []byte

	// broken variants
	// forgetProposals saves a snapshot right after proposing that does
	// not record the proposal: restarted from it, the core asks for a
	// proposal again and signs a second one for the same height.
	forgetProposals bool
	accuseHonest    bool // reports evidence against validator 0
	neverDecide     bool
	// checkpoints broadcasts a CHECKPOINT after each executed height,
	// which every toy refuses as a message it does not know.
	checkpoints bool
}

func newToy(self []byte, genesis *consensus.ValidatorSet, snapshot []byte) (*toyCore, error) {
	c := &toyCore{self: -1, genesis: genesis, height: 1, synced: map[int64]consensus.Synced{}}
	for i, v := range genesis.Validators {
		if bytes.Equal(v.Address, self) {
			c.self = int32(i)
		}
	}
	if c.self < 0 {
		return nil, fmt.Errorf("toy: %X is not a validator", self)
	}
	if snapshot != nil {
		h, err := strconv.ParseInt(string(snapshot), 10, 64)
		if err != nil || h < 1 {
			return nil, fmt.Errorf("toy: bad snapshot %q", snapshot)
		}
		c.height = h
	}
	c.vals = genesis.Copy()
	for h := int64(1); h < c.height; h++ {
		c.vals = c.vals.Next()
	}
	c.votes = consensus.NewTally[consensus.Vote](c.vals)
	return c, nil
}

var toyProtocol = Protocol{Name: "toy", New: func(self []byte, g *consensus.ValidatorSet, s []byte) (consensus.Core, error) {
	return newToy(self, g, s)
}}

func toyVariant(name string, tweak func(*toyCore)) Protocol {
	return Protocol{Name: name, New: func(self []byte, g *consensus.ValidatorSet, s []byte) (consensus.Core, error) {
		c, err := newToy(self, g, s)
		if err == nil {
			tweak(c)
		}
		return c, err
	}}
}

func (c *toyCore) Status() consensus.Status {
	return consensus.Status{Height: c.height, Step: "toy"}
}

func (c *toyCore) leader() bool { return c.vals.Proposer == c.self }

func (c *toyCore) Step(in consensus.Input) ([]consensus.Action, error) {
	switch in := in.(type) {
	case consensus.Start:
		return c.enterHeight(), nil
	case consensus.ProposalReady:
		if in.Height != c.height || !c.leader() || (c.proposed && !c.forgetProposals) {
			return nil, nil
		}
		c.proposed = true
		acts := []consensus.Action{consensus.Broadcast{Msg: &consensus.Proposal{Height: c.height, POLRound: -1, Value: in.Value, Proposer: c.self}}}
		if c.forgetProposals {
			acts = append(acts, consensus.SaveSnapshot{State: []byte(strconv.FormatInt(c.height, 10)), SignFloor: c.height})
		}
		return acts, nil
	case consensus.Receive:
		return c.receive(in.Msg)
	case consensus.TimeoutFired:
		return c.retransmit(in.Timeout), nil
	case consensus.Executed:
		if in.Height != c.height || !c.decided {
			return nil, fmt.Errorf("%w: executed %d at height %d", consensus.ErrInvalidInput, in.Height, c.height)
		}
		c.height++
		c.vals = in.Next
		c.appHash = bytes.Clone(in.AppHash)
		c.proposed, c.proposal, c.ownVote, c.decided = false, nil, nil, false
		c.votes = consensus.NewTally[consensus.Vote](c.vals)
		acts := []consensus.Action{consensus.SaveSnapshot{State: []byte(strconv.FormatInt(c.height, 10)), SignFloor: c.height}}
		if c.checkpoints {
			acts = append(acts, consensus.Broadcast{Msg: &consensus.Checkpoint{Height: in.Height, AppHash: in.AppHash, Validator: c.self}})
		}
		return append(acts, c.enterHeight()...), nil
	case consensus.Synced:
		c.synced[in.Height] = in
		return c.useSynced(), nil
	case consensus.Verdict, consensus.TxsAvailable:
		return nil, nil
	}
	return nil, fmt.Errorf("%w: %T", consensus.ErrInvalidInput, in)
}

func (c *toyCore) enterHeight() []consensus.Action {
	acts := []consensus.Action{consensus.SetTimeout{Timeout: consensus.Timeout{Kind: consensus.TimeoutRetransmit, Height: c.height}, After: 50 * time.Millisecond}}
	if c.leader() && (!c.proposed || c.forgetProposals) {
		acts = append(acts, consensus.RequestProposal{Height: c.height})
	}
	return append(acts, c.useSynced()...)
}

func (c *toyCore) useSynced() []consensus.Action {
	s, ok := c.synced[c.height]
	if !ok || c.decided {
		return nil
	}
	c.decided = true
	return []consensus.Action{consensus.Decide{Height: s.Height, Value: s.Value, Commit: s.Commit}}
}

func (c *toyCore) receive(m consensus.Message) ([]consensus.Action, error) {
	var acts []consensus.Action
	h := int64(0)
	switch m := m.(type) {
	case *consensus.Proposal:
		h = m.Height
		if h == c.height && c.proposal == nil && m.Proposer == c.vals.Proposer {
			c.proposal = m
			c.ownVote = &consensus.Vote{Type: consensus.Precommit, Height: h, Value: m.Value, Validator: c.self}
			acts = append(acts, consensus.Broadcast{Msg: c.ownVote})
		}
	case *consensus.Vote:
		h = m.Height
		if h == c.height {
			if _, prior, conflict := c.votes.Add(m.Validator, m.Value, *m); conflict {
				acts = append(acts, consensus.Evidence{First: &prior, Second: m})
			}
		}
	default:
		return nil, fmt.Errorf("%w: toy has no %T", consensus.ErrInvalidInput, m)
	}
	if h > c.height && h > c.fetched {
		c.fetched = h
		acts = append(acts, consensus.FetchBlocks{From: c.height})
	}
	if c.accuseHonest && h == c.height {
		v := &consensus.Vote{Validator: 0, Height: h}
		acts = append(acts, consensus.Evidence{First: v, Second: v})
	}
	return append(acts, c.maybeDecide()...), nil
}

func (c *toyCore) maybeDecide() []consensus.Action {
	if c.decided || c.proposal == nil || c.neverDecide || !c.votes.HasQuorumAny() {
		return nil
	}
	c.decided = true
	return []consensus.Action{consensus.Decide{Height: c.height, Value: c.proposal.Value, Commit: c.votes.All()}}
}

func (c *toyCore) retransmit(t consensus.Timeout) []consensus.Action {
	if t.Height != c.height {
		return nil
	}
	acts := []consensus.Action{consensus.SetTimeout{Timeout: t, After: 50 * time.Millisecond}}
	if c.proposal != nil {
		acts = append(acts, consensus.Send{To: consensus.All, Msg: c.proposal})
	}
	for _, v := range c.votes.All() {
		acts = append(acts, consensus.Send{To: consensus.All, Msg: &v})
	}
	if c.ownVote != nil && len(c.votes.All()) == 0 {
		acts = append(acts, consensus.Broadcast{Msg: c.ownVote})
	}
	// Polling catches up a node whose peers went quiet ahead of it.
	acts = append(acts, consensus.FetchBlocks{From: c.height})
	return acts
}
