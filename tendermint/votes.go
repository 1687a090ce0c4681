package tendermint

import (
	"sort"

	"github.com/bftnode/bftnode/consensus"
)

// maxExtraValues bounds how many values besides its first one a validator's
// votes are kept for in one slot, so an equivocator cannot grow memory.
const maxExtraValues = 2

// voteSet holds the prevotes or precommits of one round.
//
// Each validator's first vote is counted by a consensus.Tally: that gives
// "2f+1 of any value" over distinct validators (lines 34, 47) and reports
// equivocation once. The rules about one value ("2f+1 <PREVOTE, h, r,
// id(v)>", lines 28, 36, 44, 49) count, as the paper does, every validator
// that sent a vote for that value, also when it sent another value first.
// Safety does not need the second vote ignored (two quorums intersect in an
// honest validator, who votes once), but liveness needs it counted: an
// equivocator that showed one node nil and another v could otherwise keep
// that node from ever seeing the polka for v that justified the other
// node's lock, and so from ever prevoting the value that node proposes.
type voteSet struct {
	vals       *consensus.ValidatorSet
	first      *consensus.Tally[*consensus.Vote]
	extra      map[consensus.ID]map[int32]*consensus.Vote
	extraPower map[consensus.ID]int64
	extraCount map[int32]int
}

func newVoteSet(vals *consensus.ValidatorSet) *voteSet {
	return &voteSet{vals: vals, first: consensus.NewTally[*consensus.Vote](vals)}
}

// add logs v (the caller checked the validator is in the set). It reports
// whether v was the validator's first vote, and evidence (the first vote)
// the first time the validator votes for a different value. firstOnly is
// the broken variant that drops the second vote (see bugs).
func (s *voteSet) add(v *consensus.Vote, firstOnly bool) (first bool, evidence *consensus.Vote) {
	counted, prior, conflict := s.first.Add(v.Validator, v.Value, v)
	if counted {
		return true, nil
	}
	if conflict {
		evidence = prior
	}
	if firstValue, _ := s.first.Voted(v.Validator); firstValue != v.Value && !firstOnly {
		s.addExtra(v)
	}
	return false, evidence
}

func (s *voteSet) addExtra(v *consensus.Vote) {
	if _, ok := s.extra[v.Value][v.Validator]; ok || s.extraCount[v.Validator] >= maxExtraValues {
		return
	}
	if s.extra == nil {
		s.extra = map[consensus.ID]map[int32]*consensus.Vote{}
		s.extraPower = map[consensus.ID]int64{}
		s.extraCount = map[int32]int{}
	}
	if s.extra[v.Value] == nil {
		s.extra[v.Value] = map[int32]*consensus.Vote{}
	}
	s.extra[v.Value][v.Validator] = v
	s.extraPower[v.Value] += s.vals.Power(v.Validator)
	s.extraCount[v.Validator]++
}

// power is the power of the validators that voted for value.
func (s *voteSet) power(value consensus.ID) int64 {
	return s.first.Power(value) + s.extraPower[value]
}

// hasQuorum reports more than 2/3 of the power for value.
func (s *voteSet) hasQuorum(value consensus.ID) bool { return s.vals.IsQuorum(s.power(value)) }

// hasQuorumAny reports more than 2/3 of the power voting at all.
func (s *voteSet) hasQuorumAny() bool { return s.first.HasQuorumAny() }

// anyPower is the power of the validators that voted at all.
func (s *voteSet) anyPower() int64 { return s.first.AnyPower() }

// voted reports whether validator's vote is logged.
func (s *voteSet) voted(validator int32) bool {
	_, ok := s.first.Voted(validator)
	return ok
}

// messages returns one vote for value per validator that sent one, in
// validator order: a commit when value has a quorum of precommits.
func (s *voteSet) messages(value consensus.ID) []*consensus.Vote {
	out := s.first.Messages(value)
	extra := s.extra[value]
	if len(extra) == 0 {
		return out
	}
	for _, v := range extra {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Validator < out[j].Validator })
	return out
}

// quorumValue returns the smallest value other than nil with a quorum.
func (s *voteSet) quorumValue() (consensus.ID, bool) {
	if v, ok := s.first.QuorumValue(); ok && len(s.extra) == 0 {
		return v, true
	}
	var best consensus.ID
	found := false
	for _, v := range s.values() {
		if v != consensus.Nil && s.hasQuorum(v) && (!found || v < best) {
			best, found = v, true
		}
	}
	return best, found
}

// values lists every value with a vote, in no particular order.
func (s *voteSet) values() []consensus.ID {
	seen := map[consensus.ID]bool{}
	var out []consensus.ID
	for _, v := range s.first.All() {
		if !seen[v.Value] {
			seen[v.Value] = true
			out = append(out, v.Value)
		}
	}
	for v := range s.extra {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
