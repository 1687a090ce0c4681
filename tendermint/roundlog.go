package tendermint

import (
	"bytes"
	"sort"

	"github.com/bftnode/bftnode/consensus"
)

// roundLog is the message log of one round of the current height: what the
// rules of Algorithm 1 count, and the latches of the rules that fire "for
// the first time" only.
type roundLog struct {
	// proposal is the first proposal from proposer(h_p, round): the one
	// lines 22 and 28 prevote on. An equivocating proposer's other
	// proposals (a few) are kept in otherProposals for lines 36 and 49,
	// which the paper fires for any proposal of the round; conflict
	// records that the equivocation was reported.
	proposal       *consensus.Proposal
	otherProposals []*consensus.Proposal
	conflict       bool

	prevotes   *voteSet
	precommits *voteSet

	// senders are the validators with any message in this round and
	// senderPower their power: line 55's "f+1 <*, h_p, round, *, *>".
	senders     map[int32]bool
	senderPower int64

	prevoteTimeoutScheduled   bool // line 34
	polkaHandled              bool // line 36
	precommitTimeoutScheduled bool // line 47

	// proposalRequested: RequestProposal was emitted for this round;
	// proposed: this node broadcast its proposal for this round.
	proposalRequested bool
	proposed          bool
	// precommitted: this node sent its precommit of this round (its own
	// copy may still be on its way back through the driver).
	precommitted bool

	// The signed copies of this node's own messages, for retransmission.
	ownProposal  *consensus.Proposal
	ownPrevote   *consensus.Vote
	ownPrecommit *consensus.Vote
}

func newRoundLog(vals *consensus.ValidatorSet) *roundLog {
	return &roundLog{
		prevotes:   newVoteSet(vals),
		precommits: newVoteSet(vals),
		senders:    map[int32]bool{},
	}
}

func (l *roundLog) votes(t consensus.VoteType) *voteSet {
	if t == consensus.Prevote {
		return l.prevotes
	}
	return l.precommits
}

func (l *roundLog) noteSender(signer int32, power int64) {
	if !l.senders[signer] {
		l.senders[signer] = true
		l.senderPower += power
	}
}

// loggedRounds lists the rounds with a log, ascending (map order must never
// reach the output: Step is deterministic).
func (h *height) loggedRounds() []int32 {
	rs := make([]int32, 0, len(h.rounds))
	for r := range h.rounds {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
	return rs
}

func copyProposal(p *consensus.Proposal) *consensus.Proposal {
	cp := *p
	cp.Signature = bytes.Clone(p.Signature)
	return &cp
}

func copyVote(v *consensus.Vote) *consensus.Vote {
	cp := *v
	cp.Signature = bytes.Clone(v.Signature)
	cp.Extension = bytes.Clone(v.Extension)
	cp.ExtensionSignature = bytes.Clone(v.ExtensionSignature)
	return &cp
}

func sameProposal(a, b *consensus.Proposal) bool {
	return a.Value == b.Value && a.POLRound == b.POLRound
}

// proposals lists the round's proposals, the first one first.
func (l *roundLog) proposals() []*consensus.Proposal {
	if l.proposal == nil {
		return nil
	}
	return append([]*consensus.Proposal{l.proposal}, l.otherProposals...)
}

// known reports whether the round holds a proposal equal to p.
func (l *roundLog) known(p *consensus.Proposal) bool {
	for _, q := range l.proposals() {
		if sameProposal(p, q) {
			return true
		}
	}
	return false
}
