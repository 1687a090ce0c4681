package tendermint

import (
	"errors"

	"github.com/bftnode/bftnode/consensus"
)

// Bounds of the buffer of early messages. An honest validator sends three
// messages a round, so these hold several rounds of every validator while a
// Byzantine one can only crowd out itself.
const (
	maxBufferedPerSigner = 16
	maxBuffered          = 4096
)

// messageBuffer keeps messages for a height that has not begun: the next
// height's while this one is decided or executing, the current one's during
// the commit delay. The slice keeps arrival order, so replay is exact.
type messageBuffer struct {
	msgs []bufferedMessage
}

type bufferedMessage struct {
	height int64
	msg    consensus.Message
}

// slot is what one validator may send once: its proposal, prevote or
// precommit of one round.
type slot struct {
	height int64
	round  int32
	kind   uint8 // 0 proposal, else the vote type
	signer int32
}

func slotOf(height int64, m consensus.Message) slot {
	switch m := m.(type) {
	case *consensus.Proposal:
		return slot{height, m.Round, 0, m.Proposer}
	case *consensus.Vote:
		return slot{height, m.Round, uint8(m.Type), m.Validator}
	}
	return slot{}
}

// add keeps a copy of m unless its slot is already held or its signer's
// share (or the whole buffer) is full.
func (b *messageBuffer) add(m consensus.Message, height int64) {
	if len(b.msgs) >= maxBuffered {
		return
	}
	s, mine := slotOf(height, m), 0
	for _, e := range b.msgs {
		es := slotOf(e.height, e.msg)
		if es == s {
			return
		}
		if es.signer == s.signer {
			mine++
		}
	}
	if mine >= maxBufferedPerSigner {
		return
	}
	b.msgs = append(b.msgs, bufferedMessage{height, copyMessage(m)})
}

// take removes and returns the messages for height, drops older ones and
// keeps later ones.
func (b *messageBuffer) take(height int64) []consensus.Message {
	var now []consensus.Message
	var later []bufferedMessage
	for _, e := range b.msgs {
		switch {
		case e.height == height:
			now = append(now, e.msg)
		case e.height > height:
			later = append(later, e)
		}
	}
	b.msgs = later
	return now
}

func copyMessage(m consensus.Message) consensus.Message {
	switch m := m.(type) {
	case *consensus.Proposal:
		return copyProposal(m)
	case *consensus.Vote:
		return copyVote(m)
	}
	return m
}

// applyBuffered delivers the buffered messages of the height that began. A
// message that turns out invalid for it (its signer is not in this height's
// set, say) is dropped like any rejected message.
func (c *Core) applyBuffered() error {
	for _, m := range c.carry.buffered.take(c.h.number) {
		if err := c.receive(m); err != nil && !errors.Is(err, consensus.ErrInvalidInput) {
			return err
		}
	}
	return nil
}

// decides tells whether the buffer holds, for one round of height, a
// proposal and precommits for its value from more than 2/3 of vals' power:
// the height is decided, and a node still waiting out timeout_commit is
// behind the others.
func (b *messageBuffer) decides(height int64, vals *consensus.ValidatorSet) bool {
	type key struct {
		round int32
		value consensus.ID
	}
	proposed := map[key]bool{}
	power := map[key]int64{}
	for _, e := range b.msgs {
		if e.height != height {
			continue
		}
		switch m := e.msg.(type) {
		case *consensus.Proposal:
			proposed[key{m.Round, m.Value}] = true
		case *consensus.Vote:
			// One buffered message per slot (add), so each signer counts
			// once per round.
			if m.Type == consensus.Precommit && m.Value != consensus.Nil {
				power[key{m.Round, m.Value}] += vals.Power(m.Validator)
			}
		}
	}
	for k, p := range power {
		if proposed[k] && vals.IsQuorum(p) {
			return true
		}
	}
	return false
}
