package pbft

import (
	"bytes"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
)

// setFrom is a validator set and the first height it applies to.
type setFrom struct {
	From int64
	Vals *consensus.ValidatorSet
}

// valSetHistory holds the validator sets of the heights the replica may
// still count messages for, in ascending order of From. The set of a height
// nobody reported yet is the latest one known: sets are fixed in practice,
// and Executed{n} reports the set of n+1 before n+1 is decided.
type valSetHistory struct {
	sets []setFrom
}

// at returns the set that applies to height.
func (h *valSetHistory) at(height int64) *consensus.ValidatorSet {
	for i := len(h.sets) - 1; i > 0; i-- {
		if h.sets[i].From <= height {
			return h.sets[i].Vals
		}
	}
	return h.sets[0].Vals
}

// holds reports whether the history still has the set of height: sets of
// heights below the stable checkpoint are pruned, and at answers the
// oldest one kept for them.
func (h *valSetHistory) holds(height int64) bool { return height >= h.sets[0].From }

// record notes that vals applies from height from on. It reports whether
// the membership or power changed, which means messages already counted
// for heights >= from must be counted again.
func (h *valSetHistory) record(from int64, vals *consensus.ValidatorSet) bool {
	if sameMembers(h.at(from), vals) {
		return false
	}
	for len(h.sets) > 0 && h.sets[len(h.sets)-1].From >= from {
		h.sets = h.sets[:len(h.sets)-1]
	}
	h.sets = append(h.sets, setFrom{From: from, Vals: vals})
	return true
}

// prune forgets the sets that apply only to heights below height.
func (h *valSetHistory) prune(height int64) {
	keep := 0
	for i := 1; i < len(h.sets); i++ {
		if h.sets[i].From <= height {
			keep = i
		}
	}
	h.sets = h.sets[keep:]
}

// sameMembers reports whether two sets have the same validators, in the
// same order, with the same power. Proposer priorities do not matter to
// PBFT: the primary of view v is the validator with index v mod N.
func sameMembers(a, b *consensus.ValidatorSet) bool {
	if a.Size() != b.Size() {
		return false
	}
	for i := range a.Validators {
		if a.Validators[i].Power != b.Validators[i].Power || !bytes.Equal(a.Validators[i].Address, b.Validators[i].Address) {
			return false
		}
	}
	return true
}

// copySet validates vals and returns a private copy with its total power
// computed, so that a set built by hand (total unset) cannot make every
// power look like a quorum.
func copySet(vals *consensus.ValidatorSet) (*consensus.ValidatorSet, error) {
	if vals == nil {
		return nil, fmt.Errorf("validator set is missing")
	}
	return consensus.ValidatorSetFromExisting(vals.Validators, vals.Proposer)
}

// indexOf returns the index of the validator with address addr, or -1.
func indexOf(vals *consensus.ValidatorSet, addr []byte) int32 {
	if len(addr) == 0 {
		return -1
	}
	for i, v := range vals.Validators {
		if bytes.Equal(v.Address, addr) {
			return int32(i)
		}
	}
	return -1
}
