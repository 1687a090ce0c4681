package sim

import (
	"slices"

	"github.com/bftnode/bftnode/consensus"
)

// cloneMessage returns a deep copy of m, so that no two nodes (and no core
// and the network) ever share a message they could modify.
func cloneMessage(m consensus.Message) consensus.Message {
	switch m := m.(type) {
	case *consensus.Proposal:
		c := cloneProposal(*m)
		return &c
	case *consensus.Vote:
		c := cloneVote(*m)
		return &c
	case *consensus.Checkpoint:
		c := cloneCheckpoint(*m)
		return &c
	case *consensus.ViewChange:
		c := cloneViewChange(*m)
		return &c
	case *consensus.NewView:
		c := *m
		c.Signature = slices.Clone(m.Signature)
		c.ViewChanges = make([]consensus.ViewChange, len(m.ViewChanges))
		for i := range m.ViewChanges {
			c.ViewChanges[i] = cloneViewChange(m.ViewChanges[i])
		}
		c.PrePrepares = make([]consensus.Proposal, len(m.PrePrepares))
		for i := range m.PrePrepares {
			c.PrePrepares[i] = cloneProposal(m.PrePrepares[i])
		}
		return &c
	}
	return m
}

func cloneProposal(p consensus.Proposal) consensus.Proposal {
	p.Signature = slices.Clone(p.Signature)
	return p
}

func cloneVote(v consensus.Vote) consensus.Vote {
	v.Signature = slices.Clone(v.Signature)
	return v
}

func cloneVotes(vs []consensus.Vote) []consensus.Vote {
	if vs == nil {
		return nil
	}
	out := make([]consensus.Vote, len(vs))
	for i := range vs {
		out[i] = cloneVote(vs[i])
	}
	return out
}

func cloneCheckpoint(c consensus.Checkpoint) consensus.Checkpoint {
	c.AppHash = slices.Clone(c.AppHash)
	c.Signature = slices.Clone(c.Signature)
	return c
}

func cloneViewChange(v consensus.ViewChange) consensus.ViewChange {
	v.Signature = slices.Clone(v.Signature)
	v.Stable.AppHash = slices.Clone(v.Stable.AppHash)
	if v.Stable.Proof != nil {
		proof := make([]consensus.Checkpoint, len(v.Stable.Proof))
		for i := range v.Stable.Proof {
			proof[i] = cloneCheckpoint(v.Stable.Proof[i])
		}
		v.Stable.Proof = proof
	}
	if v.Prepared != nil {
		certs := make([]consensus.PreparedCert, len(v.Prepared))
		for i, c := range v.Prepared {
			certs[i] = consensus.PreparedCert{PrePrepare: cloneProposal(c.PrePrepare), Prepares: cloneVotes(c.Prepares)}
		}
		v.Prepared = certs
	}
	return v
}
